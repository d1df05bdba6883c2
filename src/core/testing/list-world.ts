import { aggregate, formatPrefix, parsePrefix } from '../address.ts';
import type { Change, ChangeResult, DesiredContext, Source, Target } from '../contracts.ts';
import { GatehouseError } from '../errors.ts';
import { maxShrinkGuard, neverEmptyGuard } from '../guards.ts';
import type { SourceRead } from '../model.ts';

/** A source whose next read is scripted by the test. */
export class ScriptedSource implements Source {
  readonly type = 'scripted';
  next: () => SourceRead = () => ({ complete: true, facts: {}, notes: [] });
  readonly name: string;
  constructor(name: string) {
    this.name = name;
  }
  read(): Promise<SourceRead> {
    return Promise.resolve(this.next());
  }
  serve(addresses: string[]): void {
    this.next = () => ({
      complete: true,
      facts: {
        addressSets: [{ name: this.name, prefixes: aggregate(addresses.map((a) => parsePrefix(a, this.name))) }],
      },
      notes: [],
    });
  }
}

export interface ListChange extends Change {
  readonly elements: readonly string[];
}

/**
 * A target holding one list of addresses in memory, with the never-empty and max-shrink (½) guards: the smallest real
 * implementation of the contract. `apply` writes exactly the elements the change carries.
 */
export class ListTarget implements Target<string[], string[], ListChange> {
  readonly type = 'list';
  state: string[] = [];
  readonly name: string;
  readonly sources: readonly string[];
  constructor(name: string, sources: readonly string[]) {
    this.name = name;
    this.sources = sources;
  }
  desired(ctx: DesiredContext): string[] {
    const all = this.sources.flatMap((s) => ctx.sources.get(s)?.facts.addressSets?.flatMap((a) => a.prefixes) ?? []);
    return aggregate(all).map(formatPrefix);
  }
  observe(): Promise<string[]> {
    return Promise.resolve([...this.state]);
  }
  diff(desired: string[], observed: string[]): ListChange[] {
    const add = desired.filter((d) => !observed.includes(d));
    const remove = observed.filter((o) => !desired.includes(o));
    if (add.length === 0 && remove.length === 0) return [];
    const summary = `list ${this.name}`;
    return [{ kind: 'replace', id: 'list', summary, destructive: remove.length > 0, add, remove, elements: desired }];
  }
  guard(changes: readonly ListChange[], _d: string[], observed: string[]) {
    return changes.flatMap((c) => {
      const delta = {
        label: `list ${this.name}`,
        changeId: c.id,
        before: observed.length,
        after: c.elements.length,
        removed: c.remove?.length ?? 0,
      };
      return [neverEmptyGuard(delta, false), maxShrinkGuard(delta, 0.5)].filter((v) => v !== undefined);
    });
  }
  /** Fail the next apply once (an injected target failure). */
  failNext = false;
  apply(changes: readonly ListChange[]): Promise<ChangeResult[]> {
    if (this.failNext) {
      this.failNext = false;
      return Promise.reject(new GatehouseError('TARGET_FAILED', 'injected failure'));
    }
    for (const change of changes) this.state = [...change.elements];
    return Promise.resolve(changes.map((change) => ({ id: change.id, status: 'applied' as const })));
  }
}
