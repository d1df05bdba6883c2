import { AndFilter, FilterParser } from 'ldapts';
import { GatehouseError } from '../../core/errors.ts';
import type { LdapSession } from '../../adapters/ldap/connection.ts';
import { normalizeDn } from '../../adapters/ldap/dn.ts';
import { LOCK_ATTRIBUTES, SNOWFLAKE, lockState } from '../../adapters/ldap/lock.ts';
import type { LdapGroupsConfig } from './config.ts';
import type { LockRecords } from './lock-records.ts';
import type { LdapGroupsObserved, ObservedAccount, ObservedGroup } from './types.ts';

/**
 * Reads every account under people.base (paged), the service accounts among them, each mapped group's members, and
 * which accounts this target recorded locking (`records`). Reads only. Any failed or truncated search throws (from the session): the target then has no changes this run,
 * which is what "the directory could not be read completely" must mean. A mapped group that does not exist throws
 * TARGET_FAILED: creating groups is not this target's job.
 */
export async function observeLdapGroups(
  config: LdapGroupsConfig,
  session: LdapSession,
  signal: AbortSignal,
  records: LockRecords,
): Promise<LdapGroupsObserved> {
  const p = config.people;
  // Service accounts first (DNs only), so the pass over every account below can classify each as it arrives.
  const service = new Set<string>();
  if (config.serviceAccounts.filter) {
    const filter = new AndFilter({
      filters: [FilterParser.parseString(p.filter), FilterParser.parseString(config.serviceAccounts.filter)],
    });
    await session.forEach(
      { base: p.base, scope: p.scope, filter, attributes: ['1.1'] },
      (e) => service.add(normalizeDn(e.dn)),
      signal,
    );
  }
  const serviceUids = new Set(config.serviceAccounts.uids);
  const accounts: ObservedAccount[] = [];
  await session.forEach(
    {
      base: p.base,
      scope: p.scope,
      filter: p.filter,
      attributes: [p.uidAttribute, p.discordIdAttribute, ...LOCK_ATTRIBUTES],
    },
    (e) => {
      const uid = e.first(p.uidAttribute);
      if (!uid) return;
      const dn = e.dn;
      const discordId = e.all(p.discordIdAttribute).find((v) => SNOWFLAKE.test(v));
      const account: ObservedAccount = {
        dn,
        uid,
        ...(discordId ? { discordId } : {}),
        lock: lockState(e),
        service: serviceUids.has(uid) || (service.size > 0 && service.has(normalizeDn(dn))),
      };
      accounts.push(account);
    },
    signal,
  );
  accounts.sort((a, b) => (a.dn < b.dn ? -1 : a.dn > b.dn ? 1 : 0));
  const groups: ObservedGroup[] = [];
  for (const m of config.mappings) {
    let found;
    try {
      found = await session.search(
        { base: m.ldapGroup, scope: 'base', filter: '(objectClass=*)', attributes: [config.memberAttribute] },
        signal,
      );
    } catch (e) {
      if (e instanceof GatehouseError && /NoSuchObject/.test(e.message)) {
        throw new GatehouseError('TARGET_FAILED', `mapped LDAP group ${m.ldapGroup} does not exist`, {
          terminal: true,
          cause: e,
        });
      }
      throw e;
    }
    const g = found[0];
    if (!g) throw new GatehouseError('TARGET_FAILED', `mapped LDAP group ${m.ldapGroup} does not exist`);
    groups.push({ dn: m.ldapGroup, members: [...g.all(config.memberAttribute)].sort() });
  }
  return { accounts, groups, ownLocks: await records.list() };
}
