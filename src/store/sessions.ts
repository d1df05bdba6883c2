import { createHash, randomBytes } from 'node:crypto';
import type { Db } from './db.ts';
import { storeError } from './store-error.ts';

/** One browser's session of the link flow and approval queue. */
export interface WebSession {
  /** The cookie value; only its hash is stored. */
  readonly id: string;
  /** Who signed in (`discord:1234`), undefined before sign-in. */
  readonly person?: string;
  readonly discord?: string;
  readonly ldap?: string;
  /** Token every form of this session must carry back. */
  readonly csrf: string;
  /** The OAuth `state` of the authorization in flight, and its PKCE verifier. */
  readonly oauthState?: string;
  readonly pkceVerifier?: string;
}

type Identity = Pick<WebSession, 'person' | 'discord' | 'ldap'>;

interface Row {
  person: string | null;
  discord: string | null;
  ldap: string | null;
  csrf: string;
  oauth_state: string | null;
  pkce_verifier: string | null;
}

/**
 * Web sessions in the `web_sessions` table, so any replica of `serve` can answer a browser. Signing in creates a new
 * session (a fresh id) rather than upgrading the anonymous one: an id planted before sign-in is worth nothing after.
 */
export class SqlSessions {
  readonly #db: Db;

  constructor(db: Db) {
    this.#db = db;
  }

  async create(who: Identity, ttlMs: number, oauth: { state?: string; verifier?: string } = {}): Promise<WebSession> {
    const id = token();
    const csrf = token();
    try {
      await this.#db.query('DELETE FROM web_sessions WHERE expires_at < now()');
      await this.#db.query(
        `INSERT INTO web_sessions (id_hash, person, discord, ldap, csrf, oauth_state, pkce_verifier, expires_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8::timestamptz)`,
        [
          hash(id),
          who.person ?? null,
          who.discord ?? null,
          who.ldap ?? null,
          csrf,
          oauth.state ?? null,
          oauth.verifier ?? null,
          new Date(Date.now() + ttlMs).toISOString(),
        ],
      );
    } catch (e) {
      throw storeError('creating a web session failed', e);
    }
    return {
      id,
      csrf,
      ...who,
      ...(oauth.state ? { oauthState: oauth.state } : {}),
      ...(oauth.verifier ? { pkceVerifier: oauth.verifier } : {}),
    };
  }

  async get(id: string | undefined): Promise<WebSession | undefined> {
    if (!id) return undefined;
    try {
      const { rows } = await this.#db.query<Row>(
        `SELECT person, discord, ldap, csrf, oauth_state, pkce_verifier FROM web_sessions
         WHERE id_hash = $1 AND expires_at > now()`,
        [hash(id)],
      );
      const r = rows[0];
      if (!r) return undefined;
      return {
        id,
        csrf: r.csrf,
        ...(r.person === null ? {} : { person: r.person }),
        ...(r.discord === null ? {} : { discord: r.discord }),
        ...(r.ldap === null ? {} : { ldap: r.ldap }),
        ...(r.oauth_state === null ? {} : { oauthState: r.oauth_state }),
        ...(r.pkce_verifier === null ? {} : { pkceVerifier: r.pkce_verifier }),
      };
    } catch (e) {
      throw storeError('reading a web session failed', e);
    }
  }

  /** Starts (or, with undefined, ends) an OAuth authorization in this session. */
  async setOAuth(id: string, oauth: { state: string; verifier: string } | undefined): Promise<void> {
    try {
      await this.#db.query('UPDATE web_sessions SET oauth_state = $2, pkce_verifier = $3 WHERE id_hash = $1', [
        hash(id),
        oauth?.state ?? null,
        oauth?.verifier ?? null,
      ]);
    } catch (e) {
      throw storeError('updating a web session failed', e);
    }
  }

  async delete(id: string): Promise<void> {
    try {
      await this.#db.query('DELETE FROM web_sessions WHERE id_hash = $1', [hash(id)]);
    } catch (e) {
      throw storeError('ending a web session failed', e);
    }
  }
}

/** 32 random bytes, base64url: session ids, CSRF tokens, OAuth state and PKCE verifiers. */
export function token(): string {
  return randomBytes(32).toString('base64url');
}

function hash(id: string): string {
  return createHash('sha256').update(id).digest('hex');
}
