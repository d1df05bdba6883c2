import { GatehouseError, describeError } from '../../core/errors.ts';
import { abortableSleep } from '../../core/poll.ts';
import type { SourceRead } from '../../core/model.ts';
import { redact } from '../../core/redact.ts';
import { defineSource } from '../../plugins.ts';
import { ldapSourceSchema } from './config.ts';
import { openSession } from '../../adapters/ldap/connection.ts';
import { readLdap } from './read.ts';
import { pollChanges, type ChangeCursor } from './watch.ts';

/**
 * The `ldap` source: people and groups from a directory, read with paged searches over one bound connection per read.
 * See {@link readLdap} for the facts produced. A read that cannot be completed — size limit, referral, unreachable
 * server, failed search — is reported as `complete: false` with a note saying why (so the pipeline falls back to the
 * last-known-good snapshot); a refused bind or invalid data is thrown (terminal: retrying cannot help). The bind
 * password never appears in a message.
 */
export const ldapSource = defineSource({
  type: 'ldap',
  schema: ldapSourceSchema,
  create(name, config, deps) {
    return {
      name,
      type: 'ldap',
      allowEmpty: config.allowEmpty,
      async read(signal): Promise<SourceRead> {
        const scrub = (t: string) => redact(t).split(config.connection.bindPassword).join('[redacted]');
        let session;
        try {
          session = await openSession(config.connection, {
            origin: `source ${name}`,
            baseDir: deps.baseDir,
            requestTimeoutMs: deps.requestTimeoutMs,
          });
          return await readLdap(config, session, signal);
        } catch (e) {
          if (e instanceof GatehouseError && e.code === 'SOURCE_INCOMPLETE' && !e.terminal) {
            return { complete: false, facts: {}, notes: [scrub(e.message)] };
          }
          // Defence in depth: messages are built without the password, but it must never leave here by accident.
          if (e instanceof GatehouseError && scrub(e.message) !== e.message) {
            throw new GatehouseError(e.code, scrub(e.message), { terminal: e.terminal });
          }
          throw e;
        } finally {
          await session?.close();
        }
      },
      async watch(signal, notify) {
        if (config.pollInterval === 0) return;
        const bases = [config.people, ...(config.groups ? [config.groups] : [])];
        let cursor: ChangeCursor | undefined;
        while (!signal.aborted) {
          let session;
          try {
            session = await openSession(config.connection, { origin: `source ${name}`, baseDir: deps.baseDir });
            const r = await pollChanges(session, bases, cursor, { now: new Date(), lookbackMs: 600_000, signal });
            if (r.changed) notify('ldap-change');
            cursor = r.cursor;
          } catch (e) {
            // Unknown is treated as changed: a mass change that hits the size limit must not go unnoticed.
            if (cursor !== undefined) notify('ldap-poll-failed');
            deps.logger.warn({ source: name, error: redact(describeError(e)) }, 'ldap change check failed');
          } finally {
            await session?.close().catch(() => {});
          }
          await abortableSleep(config.pollInterval, signal);
        }
      },
    };
  },
});

export { ldapSourceSchema, type LdapSourceConfig } from './config.ts';
export {
  connectionSchema,
  openSession,
  type LdapConnectionConfig,
  type LdapEntry,
  type LdapSession,
} from '../../adapters/ldap/connection.ts';
export { childDn, escapeDnValue, isUnder, normalizeDn, parseDn } from '../../adapters/ldap/dn.ts';
export { isLocked, lockState, PERMANENT_LOCK_TIME, SNOWFLAKE, type LockState } from '../../adapters/ldap/lock.ts';
export { readLdap } from './read.ts';
export { resolveMemberOf, resolveMembers } from './nested.ts';
