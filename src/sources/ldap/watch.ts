import { GreaterThanEqualsFilter } from 'ldapts';
import type { LdapSession } from '../../adapters/ldap/connection.ts';

/** Generalized time (`YYYYMMDDHHMMSSZ`) as directories write `modifyTimestamp`. */
export function generalizedTime(d: Date): string {
  return d
    .toISOString()
    .replace(/[-:T]/g, '')
    .replace(/\.\d+Z$/, 'Z');
}

/**
 * Where the last poll left off: the oldest timestamp still asked about, and what each entry modified since then looked
 * like (its `modifyTimestamp` and, where the server has one, its `entryCSN`), so an entry seen at the same second is not
 * reported twice, and a second change within that second is still seen where `entryCSN` exists.
 */
export interface ChangeCursor {
  readonly since: string;
  readonly seen: ReadonlyMap<string, string>;
}

export interface PollResult {
  readonly changed: boolean;
  readonly cursor: ChangeCursor;
}

/**
 * One cheap change check: `(modifyTimestamp>=since)` under each base, asking for the change stamps only
 * (`modifyTimestamp`, and OpenLDAP's `entryCSN`, whose microseconds tell apart two changes within one second; a
 * directory without it may report two such changes of one entry as one, which the periodic pass covers). A change is an entry not seen by the previous poll or seen with another timestamp.
 * Deleted entries leave no timestamp behind; group changes they cause (referential integrity) do, and the periodic full
 * pass covers the rest. Any failure (size limit on a mass change included) throws: the caller treats it as a possible
 * change.
 *
 * The first poll (no cursor) only establishes the cursor; it starts `lookbackMs` before the local clock, so a server
 * clock somewhat behind ours still has its changes seen.
 */
export async function pollChanges(
  session: LdapSession,
  bases: readonly { base: string; scope: 'one' | 'sub' }[],
  cursor: ChangeCursor | undefined,
  options: { now: Date; lookbackMs: number; signal?: AbortSignal },
): Promise<PollResult> {
  const since = cursor?.since ?? generalizedTime(new Date(options.now.getTime() - options.lookbackMs));
  const filter = new GreaterThanEqualsFilter({ attribute: 'modifyTimestamp', value: since });
  const current = new Map<string, { ts: string; stamp: string }>();
  for (const b of bases) {
    const entries = await session.search(
      { base: b.base, scope: b.scope, filter, attributes: ['modifyTimestamp', 'entryCSN'] },
      options.signal,
    );
    for (const e of entries) {
      const ts = e.first('modifyTimestamp');
      if (ts !== undefined) current.set(e.dn, { ts, stamp: `${ts} ${e.first('entryCSN') ?? ''}` });
    }
  }
  const changed = cursor !== undefined && [...current].some(([dn, v]) => cursor.seen.get(dn) !== v.stamp);
  // Move the window up to the newest timestamp seen, keeping only the entries at it: older ones cannot match again.
  let newest = since;
  for (const { ts } of current.values()) if (ts > newest) newest = ts;
  const seen = new Map([...current].filter(([, v]) => v.ts >= newest).map(([dn, v]) => [dn, v.stamp]));
  return { changed, cursor: { since: newest, seen } };
}
