import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { ConnectionOptions } from 'node:tls';
import {
  Attribute,
  Change,
  Client,
  FilterParser,
  InvalidCredentialsError,
  ResultCodeError,
  SizeLimitExceededError,
  type Filter,
} from 'ldapts';
import { z } from 'zod';
import { GatehouseError, type ErrorCode } from '../../core/errors.ts';
import { registerSecret } from '../../core/redact.ts';

/** Config of one LDAP connection, shared by the `ldap` source and the `ldap-groups` target. */
export const connectionSchema = z
  .object({
    url: z
      .string()
      .regex(/^ldaps?:\/\/[^/?#\s]+\/?$/, 'an ldap:// or ldaps:// URL with host and optional port, nothing else')
      .describe('Server URL: ldap://host:389 (with startTls: true for StartTLS) or ldaps://host:636.'),
    bindDn: z.string().min(1).describe('DN to bind as. Use a service account, not the rootdn (it bypasses limits).'),
    bindPassword: z
      .string()
      .min(1)
      .describe('Bind password. Write ${env:LDAP_PASSWORD} or ${file:path}; never inline. Never logged.'),
    startTls: z.boolean().default(false).describe('Upgrade an ldap:// connection with StartTLS before binding.'),
    tls: z
      .object({
        caFile: z.string().min(1).optional().describe('PEM file of CAs to trust (relative to the config file).'),
        rejectUnauthorized: z.boolean().default(true).describe('Verify the server certificate. Leave true.'),
        servername: z.string().min(1).optional().describe('Name to verify the certificate against (default: host).'),
      })
      .strict()
      .default({ rejectUnauthorized: true }),
    timeoutMs: z.number().int().min(100).max(600_000).default(30_000).describe('Timeout of each LDAP operation.'),
    connectTimeoutMs: z.number().int().min(100).max(120_000).default(10_000).describe('TCP connect timeout.'),
    pageSize: z
      .number()
      .int()
      .min(1)
      .max(10_000)
      .default(500)
      .describe('Entries per page of a paged search (RFC 2696). Every search is paged.'),
  })
  .strict()
  .superRefine((c, ctx) => {
    if (c.startTls && c.url.startsWith('ldaps:')) {
      ctx.addIssue({
        code: 'custom',
        path: ['startTls'],
        message: 'startTls is for ldap:// URLs; ldaps:// is TLS already',
      });
    }
  });

export type LdapConnectionConfig = z.output<typeof connectionSchema>;

/** An LDAP filter from configuration, checked at load time. Config is trusted; values from outside never go here. */
export const filterString = z.string().superRefine((v, ctx) => {
  try {
    FilterParser.parseString(v);
  } catch (e) {
    ctx.addIssue({ code: 'custom', message: `not a valid LDAP filter: ${(e as Error).message}` });
  }
});

/** An entry with attribute names lower-cased and every value a string (binary values are not read). */
export interface LdapEntry {
  readonly dn: string;
  readonly attrs: ReadonlyMap<string, readonly string[]>;
}

export function first(e: LdapEntry, attribute: string): string | undefined {
  return e.attrs.get(attribute.toLowerCase())?.[0];
}

export function all(e: LdapEntry, attribute: string): readonly string[] {
  return e.attrs.get(attribute.toLowerCase()) ?? [];
}

export interface SearchSpec {
  readonly base: string;
  readonly scope: 'base' | 'one' | 'sub';
  readonly filter: Filter | string;
  readonly attributes: readonly string[];
}

/**
 * One bound LDAP connection. Counts the operations it sends (bind, search pages, modify, add), for benchmarks and
 * tests that assert batching.
 */
export interface LdapSession {
  /** Operations sent so far: each search page, bind, modify and add counts one. */
  readonly ops: number;
  /**
   * A complete paged search. Throws SOURCE_INCOMPLETE (never returns fewer entries) when the server stops at a size or
   * time limit, answers with a referral or search reference (which are not followed), or fails in any other way.
   */
  search(spec: SearchSpec, signal?: AbortSignal): Promise<LdapEntry[]>;
  modify(
    dn: string,
    changes: readonly { op: 'add' | 'delete' | 'replace'; type: string; values: string[] }[],
  ): Promise<void>;
  add(dn: string, attributes: Readonly<Record<string, readonly string[]>>): Promise<void>;
  close(): Promise<void>;
}

/** Where an error happened, for messages: `source people`, `target ldap`. Never includes the password. */
export interface SessionContext {
  readonly origin: string;
  /** Directory relative TLS file paths resolve against. */
  readonly baseDir: string;
  /** Error code for failed reads: SOURCE_INCOMPLETE for sources, TARGET_FAILED for targets. */
  readonly code?: ErrorCode;
}

/**
 * Connects, optionally upgrades with StartTLS, and binds. Errors are GatehouseErrors naming the server and the bind DN
 * (never the password): a refused bind is terminal (retrying cannot help until the config changes), a server that
 * cannot be reached is not.
 */
export async function openSession(config: LdapConnectionConfig, ctx: SessionContext): Promise<LdapSession> {
  registerSecret(config.bindPassword);
  const code = ctx.code ?? 'SOURCE_INCOMPLETE';
  const tls: ConnectionOptions = {
    rejectUnauthorized: config.tls.rejectUnauthorized,
    ...(config.tls.caFile ? { ca: [readFileSync(resolve(ctx.baseDir, config.tls.caFile), 'utf8')] } : {}),
    ...(config.tls.servername ? { servername: config.tls.servername } : {}),
  };
  const client = new Client({
    url: config.url,
    timeout: config.timeoutMs,
    connectTimeout: config.connectTimeoutMs,
    // Only for ldaps://: given with an ldap:// URL, ldapts breaks the StartTLS handshake (the server resets it).
    ...(config.url.startsWith('ldaps:') ? { tlsOptions: tls } : {}),
    strictDN: true,
  });
  let ops = 0;
  const where = `${ctx.origin}: LDAP ${config.url}`;
  try {
    if (config.startTls) {
      ops++;
      // A fresh options object each time (ldapts stores the socket in it), with the host: without it Node checks the
      // certificate against "localhost".
      const host = new URL(config.url).hostname.replace(/^\[|\]$/g, '');
      await client.startTLS({ ...tls, host });
    }
    ops++;
    await client.bind(config.bindDn, config.bindPassword);
  } catch (e) {
    await client.unbind().catch(() => {});
    if (e instanceof InvalidCredentialsError) {
      throw new GatehouseError(code, `${where}: bind as ${config.bindDn} refused: invalid credentials`, {
        cause: e,
        terminal: true,
      });
    }
    throw new GatehouseError(code, `${where}: cannot connect and bind as ${config.bindDn}: ${describeLdap(e)}`, {
      cause: e,
    });
  }

  const session: LdapSession = {
    get ops() {
      return ops;
    },
    async search(spec, signal) {
      const entries: LdapEntry[] = [];
      const label = `search base ${JSON.stringify(spec.base)} scope ${spec.scope}`;
      try {
        const pages = client.searchPaginated(spec.base, {
          scope: spec.scope,
          filter: spec.filter,
          attributes: [...spec.attributes],
          paged: { pageSize: config.pageSize },
          // Never a client size limit: ldapts turns sizeLimitExceeded into success when one is set (a short list).
        });
        for await (const page of pages) {
          ops++;
          if (page.searchReferences.length > 0) {
            throw new GatehouseError(
              code,
              `${where}: ${label} returned ${page.searchReferences.length} referral(s) (${page.searchReferences
                .slice(0, 3)
                .join(', ')}), which are not followed; the read is incomplete`,
            );
          }
          for (const raw of page.searchEntries) entries.push(toEntry(raw));
          if (signal?.aborted) throw new GatehouseError('ABORTED', `${where}: ${label} aborted`);
        }
        return entries;
      } catch (e) {
        if (e instanceof GatehouseError) throw e;
        if (e instanceof SizeLimitExceededError) {
          throw new GatehouseError(
            code,
            `${where}: ${label} hit the server's size limit (sizeLimitExceeded) after ${entries.length} entries; the read is incomplete. Raise the limit for ${config.bindDn} (e.g. OpenLDAP "limits dn.exact=… size.prtotal=unlimited")`,
            { cause: e },
          );
        }
        throw new GatehouseError(code, `${where}: ${label} failed: ${describeLdap(e)}`, { cause: e });
      }
    },
    async modify(dn, changes) {
      ops++;
      await client.modify(
        dn,
        changes.map(
          (c) => new Change({ operation: c.op, modification: new Attribute({ type: c.type, values: [...c.values] }) }),
        ),
      );
    },
    async add(dn, attributes) {
      ops++;
      await client.add(
        dn,
        Object.entries(attributes).map(([type, values]) => new Attribute({ type, values: [...values] })),
      );
    },
    async close() {
      await client.unbind().catch(() => {});
    },
  };
  return session;
}

function toEntry(raw: Record<string, unknown>): LdapEntry {
  const attrs = new Map<string, string[]>();
  for (const [k, v] of Object.entries(raw)) {
    if (k === 'dn') continue;
    const values = (Array.isArray(v) ? v : [v]).map((x) => (Buffer.isBuffer(x) ? x.toString('utf8') : String(x)));
    const key = k.toLowerCase();
    attrs.set(key, [...(attrs.get(key) ?? []), ...values]);
  }
  return { dn: String(raw.dn), attrs };
}

/** One line for an ldapts or network error: the LDAP result code and its name where there is one. */
export function describeLdap(e: unknown): string {
  if (e instanceof ResultCodeError) {
    const msg = e.message.trim();
    return `${e.name} (LDAP result ${e.code})${msg && !msg.startsWith('Code:') ? `: ${msg}` : ''}`;
  }
  if (e instanceof Error) {
    const c = (e as NodeJS.ErrnoException).code;
    return c ? `${c}: ${e.message}` : e.message;
  }
  return String(e);
}

/** True for "the value was already there" / "the value was already gone": state drifted since the plan. */
export function isValueDrift(e: unknown): boolean {
  return e instanceof ResultCodeError && (e.code === 16 || e.code === 20);
}
