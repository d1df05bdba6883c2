import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { ConnectionOptions } from 'node:tls';
import {
  Attribute,
  Change,
  Client,
  ConfidentialityRequiredError,
  FilterParser,
  InvalidCredentialsError,
  ResultCodeError,
  SizeLimitExceededError,
  StrongAuthRequiredError,
  type Filter,
} from 'ldapts';
import * as z from 'zod';
import { secretField } from '../../core/config/secret-field.ts';
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
    bindPassword: secretField(
      z
        .string()
        .min(1)
        .describe('Bind password. Write ${env:LDAP_PASSWORD} or ${file:path}; never inline. Never logged.'),
    ),
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

/**
 * One entry of a search result: its DN as the server sent it, and its values by attribute name in any case. An
 * attribute the entry does not have reads as no values. Every value is a string: a value that is not valid UTF-8 is
 * decoded lossily (gatehouse reads no binary attributes).
 */
export interface LdapEntry {
  readonly dn: string;
  /** The first value of `attribute`, or undefined. */
  first(attribute: string): string | undefined;
  /** Every value of `attribute`; an empty list when absent. */
  all(attribute: string): readonly string[];
}

const NONE: readonly string[] = Object.freeze([]);

/**
 * Attribute spellings of one search, shared by all its entries. ldapts keys an entry's values by the name as the server
 * spells it (OpenLDAP: the schema's `employeeNumber`), and adds `[]` under the requested spelling for a requested
 * attribute the entry lacks. Lower-casing is done once per distinct spelling, not per entry.
 */
class Spellings {
  readonly #lower = new Map<string, string>();
  readonly #keys = new Map<string, string[]>();
  constructor(requested: readonly string[]) {
    for (const a of requested) this.note(a);
  }
  lower(name: string): string {
    let l = this.#lower.get(name);
    if (l === undefined) {
      l = name.toLowerCase();
      this.#lower.set(name, l);
    }
    return l;
  }
  note(key: string): void {
    const l = this.lower(key);
    const keys = this.#keys.get(l);
    if (!keys) this.#keys.set(l, [key]);
    else if (!keys.includes(key)) keys.push(key);
  }
  keys(lower: string): readonly string[] | undefined {
    return this.#keys.get(lower);
  }
}

/**
 * An {@link LdapEntry} over ldapts' entry object, read in place: one small object per entry, and an array only when a
 * caller asks for all values of a single-valued attribute. Entries are read once per account of a directory, so this
 * is the hot path of every large read.
 */
class RawEntry implements LdapEntry {
  readonly #raw: Record<string, unknown>;
  readonly #spellings: Spellings;
  constructor(raw: Record<string, unknown>, spellings: Spellings) {
    this.#raw = raw;
    this.#spellings = spellings;
  }
  get dn(): string {
    return String(this.#raw.dn);
  }
  first(attribute: string): string | undefined {
    const v = this.#value(attribute);
    if (v === undefined || typeof v === 'string') return v;
    return v.length === 0 ? undefined : asString(v[0]);
  }
  all(attribute: string): readonly string[] {
    const v = this.#value(attribute);
    if (v === undefined) return NONE;
    if (typeof v === 'string') return [v];
    for (const x of v) if (typeof x !== 'string') return v.map(asString);
    return v as string[];
  }
  /**
   * The raw value (a string, or a non-empty array), undefined when absent. A server sends an attribute once per entry,
   * so the first known spelling that is present decides (ldapts' `[]` placeholder means the entry lacks it).
   */
  #value(attribute: string): string | readonly unknown[] | undefined {
    const lower = this.#spellings.lower(attribute);
    for (const k of this.#spellings.keys(lower) ?? NONE) {
      const v = this.#raw[k];
      if (v === undefined) continue;
      if (typeof v === 'string') return v;
      if (!Array.isArray(v)) return [v];
      return v.length > 0 ? (v as unknown[]) : undefined;
    }
    // A spelling not seen yet in this search (or an attribute that was not requested): look once, remember it.
    for (const k in this.#raw) {
      if (k !== 'dn' && this.#spellings.lower(k) === lower) {
        this.#spellings.note(k);
        return this.#value(attribute);
      }
    }
    return undefined;
  }
}

/**
 * Reads ldapts entry objects of one search as {@link LdapEntry}. `requested` is the attribute list of the search.
 * Exported for tests and benchmarks.
 */
export function entryReader(requested: readonly string[]): (raw: Record<string, unknown>) => LdapEntry {
  const spellings = new Spellings(requested);
  return (raw) => new RawEntry(raw, spellings);
}

/** ldapts hands over a Buffer only where UTF-8 decoding failed. */
function asString(x: unknown): string {
  return typeof x === 'string' ? x : Buffer.isBuffer(x) ? x.toString('utf8') : String(x);
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
  /**
   * The same search, handing each entry to `visit` as its page arrives instead of collecting them, so a large read
   * keeps only what the caller builds from each entry (the entry itself is garbage right away). Resolves with the
   * number of entries. Fails exactly like {@link search}; `visit` may then have seen part of the result, which the
   * caller must discard — a rejected promise is the only signal of an incomplete read.
   */
  forEach(spec: SearchSpec, visit: (entry: LdapEntry) => void, signal?: AbortSignal): Promise<number>;
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
  /**
   * Upper bound of any one operation and of connecting (`run.requestTimeout`); the connection's own `timeoutMs` and
   * `connectTimeoutMs` apply when shorter.
   */
  readonly requestTimeoutMs?: number;
}

/**
 * Connects, optionally upgrades with StartTLS, and binds. Errors are GatehouseErrors naming the server and the bind DN
 * (never the password): a refused bind is terminal (retrying cannot help until the config changes), a server that
 * cannot be reached is not. A server that does not answer in time (connecting, TLS handshake, any operation of the
 * session) is TIMEOUT.
 */
export async function openSession(config: LdapConnectionConfig, ctx: SessionContext): Promise<LdapSession> {
  registerSecret(config.bindPassword);
  const code = ctx.code ?? 'SOURCE_INCOMPLETE';
  const tls: ConnectionOptions = {
    rejectUnauthorized: config.tls.rejectUnauthorized,
    ...(config.tls.caFile ? { ca: [readFileSync(resolve(ctx.baseDir, config.tls.caFile), 'utf8')] } : {}),
    ...(config.tls.servername ? { servername: config.tls.servername } : {}),
  };
  const bound = ctx.requestTimeoutMs ?? Infinity;
  const timeoutMs = Math.min(config.timeoutMs, bound);
  const connectTimeoutMs = Math.min(config.connectTimeoutMs, bound);
  const client = new Client({
    url: config.url,
    timeout: timeoutMs,
    connectTimeout: connectTimeoutMs,
    // Only for ldaps://: given with an ldap:// URL, ldapts breaks the StartTLS handshake (the server resets it).
    ...(config.url.startsWith('ldaps:') ? { tlsOptions: tls } : {}),
    strictDN: true,
  });
  let ops = 0;
  const where = `${ctx.origin}: LDAP ${config.url}`;
  let step: 'connect' | 'starttls' | 'bind' = 'connect';
  try {
    if (config.startTls) {
      step = 'starttls';
      ops++;
      // A fresh options object each time (ldapts stores the socket in it), with the host: without it Node checks the
      // certificate against "localhost".
      const host = new URL(config.url).hostname.replace(/^\[|\]$/g, '');
      await client.startTLS({ ...tls, host });
    }
    step = 'bind';
    ops++;
    await client.bind(config.bindDn, config.bindPassword);
  } catch (e) {
    await client.unbind().catch(() => {});
    if (isLdapTimeout(e)) {
      throw new GatehouseError(
        'TIMEOUT',
        `${where}: ${step === 'connect' || e.message === CONNECT_TIMEOUT ? 'connect' : step} as ${config.bindDn}: no answer within ${e.message === CONNECT_TIMEOUT ? connectTimeoutMs : timeoutMs} ms`,
        { cause: e },
      );
    }
    if (e instanceof InvalidCredentialsError) {
      throw new GatehouseError(code, `${where}: bind as ${config.bindDn} refused: invalid credentials`, {
        cause: e,
        terminal: true,
      });
    }
    const tlsCode = (e as NodeJS.ErrnoException | undefined)?.code;
    if (tlsCode !== undefined && CERTIFICATE_ERRORS.has(tlsCode)) {
      // Fails closed: no credentials were sent (a failed StartTLS never falls back to a plain bind).
      const how = config.startTls ? 'StartTLS' : 'LDAPS';
      const fix =
        tlsCode === 'ERR_TLS_CERT_ALTNAME_INVALID' || tlsCode === 'HOSTNAME_MISMATCH'
          ? 'connect by a name the certificate holds, or set connection.tls.servername to it'
          : 'set connection.tls.caFile to the CA that signed it';
      throw new GatehouseError(
        code,
        `${where}: ${how}: the server's certificate is not trusted (${tlsCode}: ${firstSentence(e)}); ${fix}. The bind was not attempted.`,
        { cause: e, terminal: true },
      );
    }
    if (step === 'bind' && (e instanceof ConfidentialityRequiredError || e instanceof StrongAuthRequiredError)) {
      throw new GatehouseError(
        code,
        `${where}: the server requires TLS to bind as ${config.bindDn} (${describeLdap(e)}); set connection.startTls: true or use an ldaps:// URL. The password was sent unencrypted.`,
        { cause: e, terminal: true },
      );
    }
    if (step === 'starttls' && e instanceof ResultCodeError) {
      // The server answered, and said no: it does not offer TLS. Not retried; never falls back to a clear bind.
      throw new GatehouseError(
        code,
        `${where}: the server refused StartTLS (${describeLdap(e)}); it offers no TLS on this port. The bind was not attempted.`,
        { cause: e, terminal: true },
      );
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
      await session.forEach(spec, (e) => entries.push(e), signal);
      return entries;
    },
    async forEach(spec, visit, signal) {
      let count = 0;
      const read = entryReader(spec.attributes);
      const label = `search base ${JSON.stringify(spec.base)} scope ${spec.scope}`;
      try {
        const pages = client.searchPaginated(spec.base, {
          scope: spec.scope,
          filter: spec.filter,
          attributes: [...spec.attributes],
          paged: { pageSize: config.pageSize },
          // Never a client size limit: ldapts turns sizeLimitExceeded into success when one is set (a short list).
        });
        // One page of look-ahead: the request for the next page goes out before this one is handed to `visit`, so the
        // server produces it while the client converts (ldapts sends it only when asked). Without this the server
        // idles for the client's whole per-page work, which at 100k entries was a third of the read.
        const it = pages[Symbol.asyncIterator]();
        let next = it.next();
        // Left unawaited when this loop throws: its failure (the socket closes with the session) must not go unhandled.
        next.catch(() => {});
        for (;;) {
          const r = await next;
          if (r.done === true) break;
          const page = r.value;
          ops++;
          if (page.searchReferences.length > 0) {
            throw new GatehouseError(
              code,
              `${where}: ${label} returned ${page.searchReferences.length} referral(s) (${page.searchReferences
                .slice(0, 3)
                .join(', ')}), which are not followed; the read is incomplete`,
            );
          }
          next = it.next();
          next.catch(() => {});
          for (const raw of page.searchEntries) visit(read(raw));
          count += page.searchEntries.length;
          if (signal?.aborted) throw new GatehouseError('ABORTED', `${where}: ${label} aborted`);
        }
        return count;
      } catch (e) {
        if (e instanceof GatehouseError) throw e;
        if (isLdapTimeout(e)) {
          throw new GatehouseError('TIMEOUT', `${where}: ${label}: no answer within ${timeoutMs} ms`, { cause: e });
        }
        if (e instanceof SizeLimitExceededError) {
          throw new GatehouseError(
            code,
            `${where}: ${label} hit the server's size limit (sizeLimitExceeded) after ${count} entries; the read is incomplete. Raise the limit for ${config.bindDn} (e.g. OpenLDAP "limits dn.exact=… size.prtotal=unlimited")`,
            { cause: e },
          );
        }
        throw new GatehouseError(code, `${where}: ${label} failed: ${describeLdap(e)}`, { cause: e });
      }
    },
    async modify(dn, changes) {
      ops++;
      await client
        .modify(
          dn,
          changes.map(
            (c) =>
              new Change({ operation: c.op, modification: new Attribute({ type: c.type, values: [...c.values] }) }),
          ),
        )
        .catch((e: unknown) => {
          throw timeoutOr(e, `${where}: modify ${dn}`, timeoutMs);
        });
    },
    async add(dn, attributes) {
      ops++;
      await client
        .add(
          dn,
          Object.entries(attributes).map(([type, values]) => new Attribute({ type, values: [...values] })),
        )
        .catch((e: unknown) => {
          throw timeoutOr(e, `${where}: add ${dn}`, timeoutMs);
        });
    },
    async close() {
      await client.unbind().catch(() => {});
    },
  };
  return session;
}

/**
 * Node's codes for a server certificate that failed verification (OpenSSL's X509_V_ERR_* names, and Node's own name
 * check). Retrying cannot help until the configuration or the server's certificate changes.
 */
const CERTIFICATE_ERRORS = new Set([
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'CERT_UNTRUSTED',
  'CERT_REJECTED',
  'CERT_REVOKED',
  'CERT_HAS_EXPIRED',
  'CERT_NOT_YET_VALID',
  'CERT_SIGNATURE_FAILURE',
  'CERT_CHAIN_TOO_LONG',
  'INVALID_CA',
  'INVALID_PURPOSE',
  'PATH_LENGTH_EXCEEDED',
  'HOSTNAME_MISMATCH',
  'ERR_TLS_CERT_ALTNAME_INVALID',
]);

/** The first sentence of an error message (Node appends advice about --use-system-ca that does not apply here). */
function firstSentence(e: unknown): string {
  const m = e instanceof Error ? e.message : String(e);
  return m.split(/;\s/)[0] ?? m;
}

/** ldapts' messages for its own timers (it has no error classes for them). */
const CONNECT_TIMEOUT = 'Connection timeout';

/** True for ldapts' connect timeout and its per-operation timeout (`BindRequest: Operation timed out`). */
function isLdapTimeout(e: unknown): e is Error {
  return e instanceof Error && (e.message === CONNECT_TIMEOUT || / Operation timed out$/.test(e.message));
}

/** A TIMEOUT GatehouseError for an ldapts timeout; any other error unchanged. */
function timeoutOr(e: unknown, what: string, ms: number): unknown {
  return isLdapTimeout(e) ? new GatehouseError('TIMEOUT', `${what}: no answer within ${ms} ms`, { cause: e }) : e;
}

/** One line for an ldapts or network error: the LDAP result code and its name where there is one. */
export function describeLdap(e: unknown): string {
  if (e instanceof ResultCodeError) {
    // ldapts appends " Code: 0x…" to the server's message; the code is given here already.
    const msg = e.message.replace(/\s*Code: 0x[0-9a-f]+\s*$/i, '').trim();
    return `${e.name} (LDAP result ${e.code})${msg ? `: ${msg}` : ''}`;
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
