import type { ChangeResult } from '../../core/contracts.ts';
import { GatehouseError, describeError } from '../../core/errors.ts';
import { describeLdap, isValueDrift, type LdapSession } from '../../adapters/ldap/connection.ts';
import { normalizeDn } from '../../adapters/ldap/dn.ts';
import { PERMANENT_LOCK_TIME } from '../../adapters/ldap/lock.ts';
import type { LdapGroupsConfig } from './config.ts';
import type { LockRecords } from './lock-records.ts';
import type { LdapGroupsChange } from './types.ts';

/**
 * Applies changes over one session, each isolated (a failure is recorded and the rest go on). Every change is one LDAP
 * operation:
 *
 * - group: ONE modify with `add member` and `delete member` values together. If the server says a value was already
 *   there or already gone (the group drifted since the plan), the group is re-read and the remaining difference sent
 *   in one more modify — so re-applying converges (idempotent).
 * - lock: one modify replacing nsAccountLock (TRUE) and/or pwdAccountLockedTime (000001010000Z), per config; then the
 *   lock is recorded in `records`. Recorded only once LDAP took it: should recording fail, the change fails saying so,
 *   and the lock is later treated as set by hand (left in place, with a note) — never the other way round.
 * - unlock: one modify clearing the locks the change names (replace with no values: no error when already clear); then
 *   the record is deleted (a record left behind is forgotten by a later `ldap-forget-lock`).
 * - forget-lock: deletes the record only; no LDAP operation.
 * - create: one add.
 *
 * A change of a kind this target does not make (a plan file from another version) fails as PLAN_INVALID.
 *
 * Never deletes an entry.
 */
export async function applyLdapGroups(
  config: LdapGroupsConfig,
  session: LdapSession,
  changes: readonly LdapGroupsChange[],
  signal: AbortSignal,
  records: LockRecords,
): Promise<ChangeResult[]> {
  const results: ChangeResult[] = [];
  for (const c of changes) {
    if (signal.aborted) {
      results.push({ id: c.id, status: 'skipped', message: 'aborted' });
      continue;
    }
    try {
      results.push(await applyOne(config, session, c, signal, records));
    } catch (e) {
      const err =
        e instanceof GatehouseError
          ? e
          : new GatehouseError('TARGET_FAILED', `${c.id}: ${describeLdap(e)}`, { cause: e });
      results.push({ id: c.id, status: 'failed', message: describeError(err), errorCode: err.code });
    }
  }
  return results;
}

async function applyOne(
  config: LdapGroupsConfig,
  session: LdapSession,
  c: LdapGroupsChange,
  signal: AbortSignal,
  records: LockRecords,
): Promise<ChangeResult> {
  const attr = config.memberAttribute;
  switch (c.kind) {
    case 'ldap-group-members': {
      const mods = (add: readonly string[], remove: readonly string[]) => [
        ...(add.length > 0 ? [{ op: 'add' as const, type: attr, values: [...add] }] : []),
        ...(remove.length > 0 ? [{ op: 'delete' as const, type: attr, values: [...remove] }] : []),
      ];
      try {
        await session.modify(c.group, mods(c.add, c.remove));
        return { id: c.id, status: 'applied', message: `+${c.add.length} -${c.remove.length}` };
      } catch (e) {
        if (!isValueDrift(e)) throw e;
      }
      const [g] = await session.search(
        { base: c.group, scope: 'base', filter: '(objectClass=*)', attributes: [attr] },
        signal,
      );
      const now = new Set((g?.all(attr) ?? []).map((m) => normalizeDn(m)));
      const add = c.add.filter((m) => !now.has(normalizeDn(m)));
      const remove = c.remove.filter((m) => now.has(normalizeDn(m)));
      if (add.length > 0 || remove.length > 0) await session.modify(c.group, mods(add, remove));
      return { id: c.id, status: 'applied', message: `+${add.length} -${remove.length} (group had drifted)` };
    }
    case 'ldap-lock': {
      const mods = [
        ...(config.lock.nsAccountLock ? [{ op: 'replace' as const, type: 'nsAccountLock', values: ['TRUE'] }] : []),
        ...(config.lock.pwdAccountLockedTime
          ? [{ op: 'replace' as const, type: 'pwdAccountLockedTime', values: [PERMANENT_LOCK_TIME] }]
          : []),
      ];
      await session.modify(c.dn, mods);
      try {
        await records.add(c.dn, c.uid);
      } catch (e) {
        throw new GatehouseError(
          'TARGET_FAILED',
          `${c.id}: locked, but recording the lock failed, so gatehouse will not unlock it by itself: ${describeError(e)}`,
          { cause: e },
        );
      }
      return { id: c.id, status: 'applied', message: 'locked' };
    }
    case 'ldap-unlock': {
      const mods = [
        ...(c.clear.nsAccountLock ? [{ op: 'replace' as const, type: 'nsAccountLock', values: [] }] : []),
        ...(c.clear.pwdAccountLockedTime ? [{ op: 'replace' as const, type: 'pwdAccountLockedTime', values: [] }] : []),
      ];
      if (mods.length > 0) await session.modify(c.dn, mods);
      await records.remove(c.dn);
      return { id: c.id, status: 'applied', message: 'unlocked' };
    }
    case 'ldap-forget-lock': {
      await records.remove(c.dn);
      return { id: c.id, status: 'applied', message: 'lock record forgotten' };
    }
    case 'ldap-create-account': {
      if (!c.dn || !c.attributes) throw new GatehouseError('PLAN_INVALID', `${c.id}: no entry to create`);
      await session.add(c.dn, c.attributes);
      return { id: c.id, status: 'applied', message: `created ${c.dn}` };
    }
    default: {
      const { id, kind } = c as { id?: unknown; kind?: unknown };
      throw new GatehouseError('PLAN_INVALID', `${String(id)}: unknown change kind ${String(kind)}`);
    }
  }
}
