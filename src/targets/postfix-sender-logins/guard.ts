import { maxShrinkGuard, neverEmptyGuard } from '../../core/guards.ts';
import type { GuardVerdict } from '../../core/plan.ts';
import type { PostfixSenderLoginsConfig } from './config.ts';
import { finalEntries } from './diff.ts';
import type { SenderDesired, SenderObserved, TableChange } from './types.ts';

/**
 * Target guards, pure (core's source-completeness guard runs first and refuses the change if it is destructive while
 * any source is not live):
 *
 * - `never-empty`: the entries drawn from people and groups (static ones not counted) would drop to none → refused
 *   unless `allowEmpty`. An empty directory read looks exactly like this.
 * - `max-shrink`: more than `maxShrink` of the entries would disappear or lose a login → refused.
 * - `address-conflict`, `group-unknown`, `invalid-value`, `frozen`: reports; the diff already left the affected
 *   entries as they are (or refused the value), so these block nothing.
 */
export function guardSenderLogins(
  config: PostfixSenderLoginsConfig,
  changes: readonly TableChange[],
  desired: SenderDesired,
  observed: SenderObserved,
): GuardVerdict[] {
  const verdicts: GuardVerdict[] = [];
  const report = (guard: string, messages: readonly string[]) => {
    for (const message of messages) verdicts.push({ guard, outcome: 'reject', changeIds: [], message });
  };
  if (desired.frozen) report('frozen', [`${desired.frozen}; the table is left as it is this run`]);
  report('address-conflict', desired.conflicts);
  report('group-unknown', desired.unknownGroups);
  report('invalid-value', desired.invalid);

  const c = changes[0];
  if (!c) return verdicts;
  const label = `sender login table ${c.path}`;
  const statics = new Set(desired.staticAddresses);
  // Counted, not filtered: both lists hold every entry of the table. An indexed loop: this runs once per plan, and
  // an iterator there makes a result object per entry (220k) before the loop is optimised.
  const drawn = (entries: readonly { address: string }[]) => {
    let n = 0;
    for (let i = 0; i < entries.length; i++) if (!statics.has((entries[i] as { address: string }).address)) n++;
    return n;
  };
  const empty = neverEmptyGuard(
    {
      label: `${label} (entries from people and groups)`,
      changeId: c.id,
      before: drawn(observed.entries),
      after: drawn(finalEntries(desired, observed)),
      removed: c.shrunk,
    },
    config.allowEmpty,
  );
  if (empty) verdicts.push(empty);
  const shrink = maxShrinkGuard(
    { label, changeId: c.id, before: c.before, after: c.after, removed: c.shrunk },
    config.maxShrink,
  );
  if (shrink) verdicts.push(shrink);
  return verdicts;
}
