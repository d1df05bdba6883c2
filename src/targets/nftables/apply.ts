import type { Logger } from 'pino';
import { tooWide, type Family, type Prefix, type WidthPolicy } from '../../core/address.ts';
import type { Change, ChangeResult } from '../../core/contracts.ts';
import { GatehouseError, describeError, isGatehouseError, type ErrorCode } from '../../core/errors.ts';
import { nftFailure, type NftRunner } from './nft.ts';
import { includeHeader, renderBatch, renderEdits, renderProbe } from './render.ts';
import { classify, recordFacts, setFacts } from './elements.ts';
import type { NftWatch } from './watch.ts';
import { formatPrefix } from '../../core/address.ts';
import { observedPrefixes, plannedContents } from './diff.ts';
import { hasAdjacent, normalize, sameList, subtract, toPrefix } from './set-math.ts';
import type {
  ManagedSet,
  NftIncludeChange,
  NftObserved,
  NftSetChange,
  ObservedSet,
  SetContents,
  TableRef,
} from './types.ts';
import { stageFile } from '../../adapters/write-file-atomic.ts';

export interface ApplyOptions {
  readonly target: string;
  readonly table: TableRef;
  readonly sets: readonly ManagedSet[];
  readonly kernel: boolean;
  readonly includeFile: string | null;
  readonly runner: NftRunner;
  /** Elements wider than this are refused at apply too, whatever the plan says (see `tooWide`). */
  readonly width: WidthPolicy;
  readonly logger?: Pick<Logger, 'debug'>;
  /** The target's `nft monitor` watch, if running: told which transaction is gatehouse's and what it wrote. */
  readonly watch?: NftWatch;
}

/**
 * A set change is applied as element edits (`delete element` + `add element`) instead of `flush set` + every element
 * when its delta is at most this fraction of the set. Edits do the kernel work of the delta only, where a replace
 * deletes and re-adds every element (a 10-element change on a 10k set: ~20 element operations instead of ~20,000). The
 * bound keeps large rewrites on the replace path, whose `flush set` needs no list of removals (nft parses every
 * deleted element of an edit, which costs about as much as adding it) and is pre-checked.
 */
export const EDIT_FRACTION = 0.25;

/**
 * True when `c` will be applied as element edits: the observation lists the kernel's elements exactly (see `SetFacts`),
 * and the delta is small against the set.
 */
function editable(c: Change, now: ObservedSet | undefined): boolean {
  if (c.kind !== 'nft-set' || !setFacts(now)?.exact || now === undefined) return false;
  const { add, remove } = c as NftSetChange;
  if (!Array.isArray(add) || !Array.isArray(remove)) return false;
  return add.length + remove.length <= EDIT_FRACTION * Math.max(now.elements.length, 1);
}

/**
 * Applies a plan's changes for one nftables target, all or nothing:
 *
 * 1. Works out each changed set's contents: what `observed` (the observation the plan was computed and verified
 *    against) holds, minus the change's `remove`, plus its `add`. Re-validates every element added (the plan may have
 *    been stored and edited since): each must parse as an address or prefix of its set's family, no wider than the
 *    target's width policy allows, and the set must be one this target manages, changed at most once. Any failure
 *    fails every change before nft runs.
 * 2. Kernel (unless `kernel: false`): one `nft -f -` batch with `flush set` + `add element` for every changed set,
 *    preceded by a check-only probe (see `kernelReplace`). nft batches are one kernel transaction: if it fails, every
 *    set keeps its previous contents, and the include file is not written.
 * 3. Only after the kernel accepted the batch: writes the include file atomically, rendered for all managed sets
 *    (changed ones with their new contents, the others as observed).
 *
 * Never flushes or reloads the ruleset, never touches a table, chain or set outside `sets`.
 * Idempotent: applying the same changes again leaves the same state. Returns one result per change, in order.
 */
export async function applyNftables(
  o: ApplyOptions,
  changes: readonly Change[],
  observed: NftObserved,
  signal: AbortSignal,
): Promise<ChangeResult[]> {
  const results = new Map<string, ChangeResult>();
  const set = (id: string, status: ChangeResult['status'], message: string, errorCode?: ErrorCode) =>
    results.set(id, { id, status, message, ...(errorCode === undefined ? {} : { errorCode }) });
  const ordered = () => changes.map((c) => results.get(c.id) ?? { id: c.id, status: 'skipped' as const });

  // Each validated set is rendered once, for the batch and the include file alike.
  const rendered = new WeakMap<SetContents, string>();
  const render = (s: SetContents): string => {
    let text = rendered.get(s);
    if (text === undefined) rendered.set(s, (text = renderBatch(o.table, [s])));
    return text;
  };

  // The structural pre-check needs only each set's name and first element, so it runs while the full element lists
  // are validated and rendered below (on a 100k-element set from a stored plan that work takes about as long as the
  // probe; a plan this process just computed finds its sets rendered already, see render.ts).
  // Small deltas are edited in place without the probe: the edit batch is small, and itself one transaction.
  const seen = new Map(observed.sets.map((s) => [s.set, s]));
  const edits = new Set(changes.filter((c) => editable(c, seen.get((c as NftSetChange).set))).map((c) => c.id));
  // Nor does a set whose observation the watch still vouches for (cached: read or written by gatehouse, and no set,
  // table or element event since): it exists and took elements of this family then, which is all the probe proves.
  const proven = (c: Change) => {
    const s = seen.get((c as NftSetChange).set);
    return s !== undefined && o.watch?.cached(s.set) === s;
  };
  const probe = o.kernel
    ? settle(
        startProbe(
          o,
          changes.filter((c) => !edits.has(c.id) && !proven(c)),
          signal,
        ),
      )
    : undefined;

  let setChanges: { change: NftSetChange; contents: SetContents }[];
  let include: { change: NftIncludeChange; content: string } | undefined;
  try {
    setChanges = checkShape(changes).map((change) => ({
      change,
      contents: applyDelta(o, change, seen.get(change.set)),
    }));
    const inc = changes.find((c): c is NftIncludeChange => c.kind === 'nft-include');
    if (inc) {
      const changed = new Map(setChanges.map((s) => [s.contents.set, s.contents]));
      include = { change: inc, content: includeContent(o, inc, changed, seen, render) };
    }
  } catch (e) {
    await probe;
    for (const c of changes) {
      set(c.id, 'failed', `nothing applied: ${describeError(e)}`, isGatehouseError(e) ? e.code : 'PLAN_INVALID');
    }
    return ordered();
  }

  // The include file is written and fsynced while the kernel batch runs, and goes live only if the batch succeeded:
  // on a 100k-element set this hides the file write behind nft instead of adding it.
  const staged = include ? settle(stageFile(include.change.path, include.content)) : undefined;

  if (o.kernel && setChanges.length > 0) {
    const sets = setChanges.map((s) => s.contents);
    const batch = setChanges
      .map((s) => (edits.has(s.change.id) ? renderEdit(o, seen.get(s.change.set), s.contents) : render(s.contents)))
      .join('');
    const tokens = o.watch?.beginWrite(sets.map((s) => s.set));
    // A replace prints every element in `nft monitor`: the watch stops its monitor for it (see `NftWatch.pause`).
    const quiet = setChanges.some((s) => !edits.has(s.change.id)) ? o.watch?.pause() : undefined;
    try {
      await kernelReplace(o, probe, batch, signal);
    } catch (e) {
      quiet?.done('failed');
      const err = nftFailure(`replacing ${sets.map((s) => s.set).join(', ')}`, e);
      for (const { change } of setChanges) set(change.id, 'failed', describeError(err), err.code);
      if (include) set(include.change.id, 'skipped', 'not written: the kernel batch failed, so no set changed');
      const file = await staged;
      if (file?.ok) await file.value.abort();
      return ordered();
    }
    const written: ObservedSet[] = [];
    for (const { change, contents } of setChanges) {
      set(change.id, 'applied', `${contents.prefixes.length} entries${edits.has(change.id) ? ' (edited)' : ''}`);
      const now = writtenObservation(contents, seen.get(contents.set), o.watch);
      const token = tokens?.get(contents.set);
      if (now && quiet) written.push(now);
      else if (now && token !== undefined) o.watch?.store(now, token);
    }
    quiet?.done(written);
  }

  if (include && staged) {
    const { change } = include;
    try {
      const file = await staged;
      if (!file.ok) throw file.error;
      await file.value.commit();
      set(change.id, 'applied', `wrote ${change.path}`);
    } catch (e) {
      const err = new GatehouseError('TARGET_FAILED', `writing include file ${change.path} failed`, { cause: e });
      set(change.id, 'failed', describeError(err), err.code);
    }
  }
  if (!o.kernel) {
    // Without the kernel, the include file is where set contents land: set changes share its result.
    const inc = include ? results.get(include.change.id) : undefined;
    for (const { change, contents } of setChanges) {
      if (!inc) set(change.id, 'skipped', 'kernel: false, and the include file already holds these contents');
      else if (inc.status === 'applied')
        set(change.id, 'applied', `${contents.prefixes.length} entries (include file)`);
      else set(change.id, inc.status, inc.message ?? '', inc.errorCode);
    }
  }
  return ordered();
}

/**
 * The structural pre-check: `flush set` + the first element of each changed set, under `nft -c`. Not the full batch:
 * checking a 100k-element batch costs as much as applying it (the kernel builds the whole transaction, then aborts
 * it), about doubling every replace, and buys nothing the real batch does not give: the real batch is itself one
 * transaction, so a failure there leaves every set as it was, and every element was already validated. The probe
 * still proves, before a large batch is sent, that each set exists and takes elements of its family with prefixes
 * (`flags interval`). Measured with bench/nftables.ts (nftables 1.0.6, 2 vCPUs, medians): replacing a 100k-element
 * set takes 1.1–1.3 s with `nft -f`; `nft -c` of the same batch 0.9–1.3 s; the probe 0.1 s.
 */
async function startProbe(o: ApplyOptions, changes: readonly Change[], signal: AbortSignal): Promise<void> {
  const sets = checkShape(changes).map((c) =>
    validated(o, c.set, c.family, listOf(c.add, `change ${c.id} add`).slice(0, 1), `change ${c.id} add`),
  );
  if (sets.length === 0) return;
  const t = performance.now();
  try {
    await o.runner.run(['-c', '-f', '-'], { input: renderProbe(o.table, sets), signal });
  } catch (e) {
    throw nftFailure('pre-check (nft -c) of the changed sets', e);
  }
  o.logger?.debug({ ms: Math.round(performance.now() - t) }, 'nft pre-check passed');
}

/** Waits for the pre-check, then sends the real batch. */
async function kernelReplace(
  o: ApplyOptions,
  probe: ReturnType<typeof settle<void>> | undefined,
  batch: string,
  signal: AbortSignal,
): Promise<void> {
  const checked = await probe;
  if (checked && !checked.ok) throw checked.error;
  const t = performance.now();
  let pid: number | undefined;
  try {
    await o.runner.run(['-f', '-'], {
      input: batch,
      signal,
      onSpawn: (p) => {
        pid = p;
        o.watch?.ownProcess(p);
      },
    });
  } catch (e) {
    if (pid !== undefined) o.watch?.forgetProcess(pid);
    throw e;
  }
  o.logger?.debug({ ms: Math.round(performance.now() - t), bytes: batch.length }, 'nft batch applied');
}

/**
 * The set changes, once the plan's structure is checked (cheap, and before nft runs at all): known kinds, distinct
 * ids, each set changed at most once, `add` and `remove` lists.
 */
function checkShape(changes: readonly Change[]): NftSetChange[] {
  const other = changes.find((c) => c.kind !== 'nft-set' && c.kind !== 'nft-include');
  if (other) throw new GatehouseError('PLAN_INVALID', `change ${other.id}: unknown kind ${other.kind}`);
  if (new Set(changes.map((c) => c.id)).size !== changes.length) {
    throw new GatehouseError('PLAN_INVALID', 'two changes with the same id');
  }
  const sets = changes.filter((c): c is NftSetChange => c.kind === 'nft-set');
  if (new Set(sets.map((c) => c.set)).size !== sets.length) {
    throw new GatehouseError('PLAN_INVALID', 'two changes of the same set');
  }
  for (const c of sets) {
    listOf(c.add, `change ${c.id} add`);
    if (listOf(c.remove, `change ${c.id} remove`).some((e) => typeof e !== 'string')) {
      throw new GatehouseError('PLAN_INVALID', `change ${c.id} remove: not a string`);
    }
  }
  return sets;
}

/** Elements a plan gives, checked to be a list (a stored plan may have been edited). */
function listOf(value: unknown, origin: string): unknown[] {
  if (!Array.isArray(value)) throw new GatehouseError('PLAN_INVALID', `${origin}: not a list`);
  return value as unknown[];
}

/**
 * A plan's elements back as validated prefixes of a set this target manages: each a string that parses as an address
 * or prefix of the set's family, no wider than the width policy allows.
 */
function validated(o: ApplyOptions, set: string, family: Family, elements: unknown[], origin: string): SetContents {
  const managed = o.sets.find((s) => s.set === set);
  if (!managed || managed.family !== family) {
    throw new GatehouseError('PLAN_INVALID', `${origin}: set ${String(set)} (IPv${family}) is not managed here`);
  }
  const prefixes = elements.map((e, i) => {
    if (typeof e !== 'string') throw new GatehouseError('PLAN_INVALID', `${origin}[${i}]: not a string`);
    const p = toPrefix(e, `${origin}[${i}]`);
    if (p.family !== family) {
      throw new GatehouseError('PLAN_INVALID', `${origin}[${i}]: ${e} is not an IPv${family} address`);
    }
    const wide = tooWide(p, o.width);
    if (wide !== undefined) throw new GatehouseError('PLAN_INVALID', `${origin}[${i}]: ${wide}`);
    return p;
  });
  return { set, family, prefixes: normalize(prefixes) };
}

/**
 * The contents a set has once `c` is applied: what `now` holds, minus `remove`, plus `add` (validated). When `remove`
 * is everything the set holds — a replacement — nothing needs subtracting. Removals need no validation beyond being
 * strings (see `checkShape`): they only take away, and what no prefix can express (a stray element) is dropped with
 * the flush anyway.
 */
function applyDelta(o: ApplyOptions, c: NftSetChange, now: ObservedSet | undefined): SetContents {
  // A change this process's diff computed (the fresh plan of this run) leads to the desired contents it came from:
  // on a 100k-element set that saves parsing, subtracting and re-validating 200k elements.
  const known = plannedContents(c);
  if (known) return known;
  const origin = `change ${c.id}`;
  const added = validated(o, c.set, c.family, listOf(c.add, `${origin} add`), `${origin} add`);
  const remove = c.remove; // a list of strings: checkShape saw to it
  const held = now?.elements ?? [];
  if (held.length === 0) return added;
  const everything =
    remove.length === held.length + (now?.stray.length ?? 0) && sameList(held, remove.slice(0, held.length));
  if (everything) return added;
  const gone: Prefix[] = [];
  for (const e of remove) {
    try {
      const p = toPrefix(e, `${origin} remove`);
      if (p.family === c.family) gone.push(p);
    } catch {
      // A stray element (e.g. an IPv4-mapped IPv6 address): not among the set's prefixes, so nothing to subtract.
    }
  }
  const kept = subtract(observedPrefixes(now), gone).prefixes;
  return { set: c.set, family: c.family, prefixes: normalize([...kept, ...added.prefixes]) };
}

function includeContent(
  o: ApplyOptions,
  c: NftIncludeChange,
  changed: ReadonlyMap<string, SetContents>,
  observed: ReadonlyMap<string, ObservedSet>,
  render: (s: SetContents) => string,
): string {
  if (c.path !== o.includeFile) {
    throw new GatehouseError('PLAN_INVALID', `change include: ${c.path} is not this target's include file`);
  }
  const pieces = o.sets.map((m) => {
    const contents = changed.get(m.set) ?? {
      set: m.set,
      family: m.family,
      prefixes: observedPrefixes(observed.get(m.set)),
    };
    return render(contents);
  });
  return includeHeader(o.target) + pieces.join('');
}

/**
 * The edit batch taking a set from `now` (whose elements are the kernel's, see `editable`) to `contents`: delete the
 * elements not wanted as they are, add the wanted ones not held as they are. Afterwards the set holds exactly
 * `contents`' prefixes.
 */
function renderEdit(o: ApplyOptions, now: ObservedSet | undefined, contents: SetContents): string {
  const held = new Set(now?.elements ?? []);
  const texts = contents.prefixes.map(formatPrefix);
  const wanted = new Set(texts);
  const remove = (now?.elements ?? []).filter((e) => !wanted.has(e)).map((e) => toPrefix(e, `set ${contents.set}`));
  const add = contents.prefixes.filter((_, i) => !held.has(texts[i] as string));
  return renderEdits(o.table, { set: contents.set, family: contents.family, remove, add });
}

/**
 * What a set holds after gatehouse's own transaction wrote `contents`, for the watch's cache; undefined when the set
 * cannot be cached (no listing showed its flags allow it: element timeouts, a dynamic set). Its elements are the
 * prefixes written, unless an `auto-merge` set joined neighbours into ranges: when the set may merge (the watch has not
 * learned otherwise) and two prefixes touch, the entry is not marked exact, and the next change replaces the set.
 */
function writtenObservation(
  contents: SetContents,
  before: ObservedSet | undefined,
  watch: NftWatch | undefined,
): ObservedSet | undefined {
  if (!setFacts(before)?.cacheable) return undefined;
  const observed = classify(contents.set, contents.family, contents.prefixes, `set ${contents.set}`);
  const merges = watch?.autoMerge(contents.set) ?? true;
  recordFacts(observed, { exact: !merges || !hasAdjacent(contents.prefixes), cacheable: true });
  return observed;
}

/** A promise that never rejects, so it can be started early and awaited later without an unhandled rejection. */
function settle<T>(p: Promise<T>): Promise<{ ok: true; value: T } | { ok: false; error: unknown }> {
  return p.then(
    (value) => ({ ok: true as const, value }),
    (error: unknown) => ({ ok: false as const, error }),
  );
}
