import type { DesiredContext } from '../../core/contracts.ts';
import type { Facts, ResolvedSource } from '../../core/model.ts';
import { postfixSenderLoginsSchema, type PostfixSenderLoginsConfig } from './config.ts';

/** A parsed config with the given overrides (people from source `dir` unless said otherwise). */
export function config(overrides: Record<string, unknown> = {}): PostfixSenderLoginsConfig {
  return postfixSenderLoginsSchema.parse({
    type: 'postfix-sender-logins',
    table: '/etc/postfix/sender_logins',
    people: { from: ['dir'] },
    ...overrides,
  });
}

/** A desired-state context of sources; `status` defaults to live. */
export function context(
  sources: Record<string, Facts | { facts: Facts; status: ResolvedSource['status'] }>,
): DesiredContext {
  return {
    sources: new Map(
      Object.entries(sources).map(([name, v]) => {
        const { facts, status } = 'facts' in v ? v : { facts: v, status: 'live' as const };
        return [name, { name, type: 'static', status, facts, notes: [] }];
      }),
    ),
  };
}

/** A person of the directory: id `ldap:<uid>`, login `<uid>`. */
export function person(uid: string, ...emails: string[]) {
  return { id: `ldap:${uid}`, accounts: { ldap: uid, ...(emails.length > 0 ? { emails } : {}) } };
}
