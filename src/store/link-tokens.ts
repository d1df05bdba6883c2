import { createHash, randomBytes } from 'node:crypto';
import type { LinkIdentity, LinkTokens } from '../core/links.ts';
import type { Db } from './db.ts';
import { storeError } from './store-error.ts';

/**
 * Core's `LinkTokens` in the `link_tokens` table. A token is 32 random bytes (base64url); the table holds its SHA-256
 * only. `consume` is one conditional UPDATE, so a token opened twice at once starts one flow.
 */
export class SqlLinkTokens implements LinkTokens {
  readonly #db: Db;

  constructor(db: Db) {
    this.#db = db;
  }

  async issue(who: LinkIdentity, expiresAt: Date): Promise<string> {
    const token = randomBytes(32).toString('base64url');
    try {
      // Expired tokens are dead weight; each issue clears them.
      await this.#db.query('DELETE FROM link_tokens WHERE expires_at < now()');
      await this.#db.query(
        'INSERT INTO link_tokens (token_hash, person, discord, ldap, expires_at) VALUES ($1, $2, $3, $4, $5::timestamptz)',
        [hash(token), who.person, who.discord ?? null, who.ldap ?? null, expiresAt.toISOString()],
      );
      return token;
    } catch (e) {
      throw storeError(`issuing a link token for ${who.person} failed`, e);
    }
  }

  async consume(token: string, now: Date): Promise<LinkIdentity | undefined> {
    try {
      const { rows } = await this.#db.query<{ person: string; discord: string | null; ldap: string | null }>(
        `UPDATE link_tokens SET used_at = $2::timestamptz
         WHERE token_hash = $1 AND used_at IS NULL AND expires_at > $2::timestamptz
         RETURNING person, discord, ldap`,
        [hash(token), now.toISOString()],
      );
      const r = rows[0];
      if (!r) return undefined;
      return {
        person: r.person,
        ...(r.discord === null ? {} : { discord: r.discord }),
        ...(r.ldap === null ? {} : { ldap: r.ldap }),
      };
    } catch (e) {
      throw storeError('using a link token failed', e);
    }
  }
}

function hash(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}
