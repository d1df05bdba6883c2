import type { Target } from '../../core/contracts.ts';
import type { PluginDeps, TargetBody } from '../../plugins.ts';
import { openSession, type LdapSession } from '../../adapters/ldap/connection.ts';
import { applyLdapGroups } from './apply.ts';
import type { LdapGroupsConfig } from './config.ts';
import { desiredState } from './desired.ts';
import { diffLdapGroups, ldapGroupsNotes } from './diff.ts';
import { guardLdapGroups } from './guard.ts';
import { LockRecords } from './lock-records.ts';
import { observeLdapGroups } from './observe.ts';
import type { LdapGroupsChange, LdapGroupsDesired, LdapGroupsObserved } from './types.ts';

export type LdapGroupsTarget = Target<LdapGroupsDesired, LdapGroupsObserved, LdapGroupsChange> & {
  /** LDAP operations sent by this target so far (binds, search pages, modifies, adds), for benchmarks and tests. */
  readonly ldapOps: number;
};

/**
 * Builds the ldap-groups target. Not atomic: each change stands alone (a failed group does not hold back a lock). Each
 * observe opens one bound connection and closes it; so does each run of changes (`openSession`). The locks it applies are recorded in `deps.state`
 * (see {@link LockRecords}), so that by default it undoes only its own.
 */
export function createLdapGroupsTarget(
  name: string,
  config: LdapGroupsConfig,
  deps: PluginDeps,
): TargetBody<LdapGroupsTarget> {
  let ops = 0;
  const connect = () =>
    openSession(config.connection, {
      origin: `target ${name}`,
      baseDir: deps.baseDir,
      code: 'TARGET_FAILED',
      requestTimeoutMs: deps.requestTimeoutMs,
    });
  const release = async (s: LdapSession) => {
    ops += s.ops;
    await s.close();
  };
  const withSession = async <T>(fn: (s: LdapSession) => Promise<T>): Promise<T> => {
    const s = await connect();
    try {
      return await fn(s);
    } finally {
      await release(s);
    }
  };
  const records = new LockRecords(deps.state, name);
  return {
    name,
    type: 'ldap-groups',
    atomic: false,
    get ldapOps() {
      return ops;
    },
    desired: (ctx) => desiredState(config, ctx),
    observe: (signal) => withSession((s) => observeLdapGroups(config, s, signal, records)),
    diff: (desired, observed) => diffLdapGroups(config, desired, observed),
    notes: (desired, observed) => ldapGroupsNotes(config, desired, observed),
    guard: (changes, desired, observed) => guardLdapGroups(config, changes, desired, observed),
    apply: (changes, signal) => withSession((s) => applyLdapGroups(config, s, changes, signal, records)),
    // One bound connection for every change of a run: the run still checks and audits each change between calls.
    openSession: async () => {
      const s = await connect();
      return {
        apply: (changes, signal) => applyLdapGroups(config, s, changes, signal, records),
        close: () => release(s).catch(() => {}),
      };
    },
  };
}
