import type { ChangeResult } from './contracts.ts';
import { summarize, type Plan } from './plan.ts';

export type Style = 'green' | 'red' | 'yellow' | 'cyan' | 'bold' | 'dim';
export type Paint = (style: Style, text: string) => string;

const plain: Paint = (_s, t) => t;

/** The markers used everywhere a change is shown, defined once. */
export const MARK = { add: '+', remove: '-', change: '~', blocked: '✗', ok: '✓', warn: '!' } as const;

export interface RenderOptions {
  readonly paint?: Paint;
  /** Elements listed per change before eliding the rest. */
  readonly maxElements?: number;
}

/** Human-readable plan. Rendering is separate from computing: nothing here steers apply. */
export function renderPlan(plan: Plan, options: RenderOptions = {}): string {
  const paint = options.paint ?? plain;
  const max = options.maxElements ?? 20;
  const out: string[] = [];

  out.push(paint('bold', 'Sources'));
  for (const s of plan.sources) {
    const mark =
      s.status === 'live'
        ? paint('green', MARK.ok)
        : s.status === 'snapshot'
          ? paint('yellow', MARK.warn)
          : paint('red', MARK.blocked);
    out.push(`  ${mark} ${s.name} (${s.type}) ${s.status}`);
    for (const n of s.notes) out.push(`      ${paint('dim', n)}`);
  }

  for (const t of plan.targets) {
    out.push('');
    out.push(paint('bold', `Target ${t.name} (${t.type})`));
    if (t.error) {
      out.push(`  ${paint('red', `${MARK.blocked} cannot observe: ${t.error.message} [${t.error.code}]`)}`);
      continue;
    }
    if (t.changes.length === 0) out.push(`  ${paint('dim', 'no changes')}`);
    const blocked = new Set(t.blocked);
    for (const c of t.changes) {
      const head = blocked.has(c.id)
        ? paint('red', `${MARK.blocked} ${c.summary} (blocked)`)
        : paint('yellow', `${MARK.change} ${c.summary}`);
      out.push(`  ${head}`);
      const lines = [
        ...(c.add ?? []).map((e) => paint('green', `${MARK.add} ${e}`)),
        ...(c.remove ?? []).map((e) => paint('red', `${MARK.remove} ${e}`)),
      ];
      for (const l of lines.slice(0, max)) out.push(`      ${l}`);
      if (lines.length > max) out.push(`      ${paint('dim', `… and ${lines.length - max} more (see --output json)`)}`);
    }
    // At scale a target can have a note per person (e.g. everyone without a GitHub id): the first ones and a count
    // keep the changes and guard verdicts readable; `--output json` has every note.
    const notes = t.notes ?? [];
    for (const n of notes.slice(0, max)) out.push(`  ${paint('cyan', `${MARK.warn} ${n}`)}`);
    if (notes.length > max) out.push(`  ${paint('dim', `… and ${notes.length - max} more notes (see --output json)`)}`);
    for (const v of t.verdicts.filter((x) => x.outcome === 'reject')) {
      out.push(`  ${paint('red', `${MARK.blocked} guard ${v.guard}: ${v.message}`)}`);
    }
  }

  const s = summarize(plan);
  out.push('');
  const parts = [`${s.changes} to apply`, `${s.blocked} blocked by guards`, `${s.errors} targets not observable`];
  out.push(paint('bold', `Plan ${plan.id}: ${parts.join(', ')}.`));
  return out.join('\n') + '\n';
}

export function renderResults(
  reports: readonly { target: string; results: readonly ChangeResult[] }[],
  paint: Paint = plain,
): string {
  const out: string[] = [];
  for (const r of reports) {
    for (const x of r.results) {
      const mark =
        x.status === 'applied'
          ? paint('green', MARK.ok)
          : x.status === 'failed'
            ? paint('red', MARK.blocked)
            : paint('yellow', MARK.warn);
      out.push(`${mark} ${r.target} ${x.id}: ${x.status}${x.message ? ` — ${x.message}` : ''}`);
    }
  }
  return out.join('\n') + (out.length ? '\n' : '');
}
