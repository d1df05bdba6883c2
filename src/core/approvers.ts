import type { Source } from './contracts.ts';
import { GatehouseError, describeError } from './errors.ts';
import { parseGroupRef } from './people.ts';

/**
 * Whether `person` is a member of any of `groups` (`source/group`), read now from the sources themselves: never from
 * a snapshot or a cache, since approver rights must end the moment the role is taken away. A group its source does not
 * emit has no members.
 *
 * @throws GatehouseError SOURCE_INCOMPLETE when a source that would decide it cannot be read completely, CONFIG_INVALID
 *   when a group names no configured source. The caller refuses the decision: "cannot tell" is never "yes".
 */
export async function isGroupMember(
  sources: readonly Source[],
  groups: readonly string[],
  person: string,
  signal: AbortSignal,
): Promise<boolean> {
  const bySource = new Map<string, string[]>();
  for (const text of groups) {
    const ref = parseGroupRef(text);
    if (!ref) throw new GatehouseError('CONFIG_INVALID', `approver group ${JSON.stringify(text)} is not source/group`);
    bySource.set(ref.source, [...(bySource.get(ref.source) ?? []), ref.group]);
  }
  for (const [name, names] of bySource) {
    const source = sources.find((s) => s.name === name);
    if (!source) throw new GatehouseError('CONFIG_INVALID', `approver groups name unknown source ${name}`);
    let read;
    try {
      read = await source.read(signal);
    } catch (e) {
      throw new GatehouseError('SOURCE_INCOMPLETE', `source ${name} could not be read: ${describeError(e)}`, {
        cause: e,
      });
    }
    if (!read.complete)
      throw new GatehouseError('SOURCE_INCOMPLETE', `source ${name} was not read completely: ${read.notes.join('; ')}`);
    for (const g of read.facts.groups ?? []) if (names.includes(g.name) && g.members.includes(person)) return true;
  }
  return false;
}
