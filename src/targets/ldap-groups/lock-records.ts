import type { TargetState } from '../../core/target-state.ts';
import { normalizeDn } from '../../adapters/ldap/dn.ts';

/**
 * Which accounts this target locked itself, in the durable target state: one entry per account under
 * `ldap-groups/<target name>/locked/<normalised DN>`. Written after a lock is applied, deleted after an unlock, so a
 * lock an administrator set (say, on a compromised account) is never mistaken for one of ours.
 */
export class LockRecords {
  readonly #state: TargetState;
  readonly #prefix: string;

  constructor(state: TargetState, target: string) {
    this.#state = state;
    this.#prefix = `ldap-groups/${target}/locked/`;
  }

  /** Normalised DNs of the accounts recorded as locked by this target, sorted. */
  async list(): Promise<string[]> {
    const entries = await this.#state.list(this.#prefix);
    return entries.map(([key]) => key.slice(this.#prefix.length)).sort();
  }

  /** Records that this target locked `dn`. Idempotent. */
  add(dn: string, uid: string): Promise<void> {
    return this.#state.set(this.#key(dn), { dn, uid, lockedAt: new Date().toISOString() });
  }

  /** Forgets `dn`; forgetting an account never recorded is not an error. */
  remove(dn: string): Promise<void> {
    return this.#state.delete(this.#key(dn));
  }

  #key(dn: string): string {
    return this.#prefix + normalizeDn(dn);
  }
}
