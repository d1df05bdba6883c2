import { randomUUID } from 'node:crypto';
import { GatehouseError } from '../core/errors.ts';
import type { Link, LinkStatus, LinkStore, NewLink } from '../core/links.ts';
import type { Db } from './db.ts';
import { storableText } from './storable-text.ts';
import { storeError } from './store-error.ts';

interface LinkRow {
  id: string;
  person: string;
  discord: string | null;
  ldap: string | null;
  github_id: number;
  github_login: string;
  status: LinkStatus;
  requested_by: string;
  requested_at: string;
  decided_by: string | null;
  decided_at: string | null;
  reason: string | null;
}

const COLUMNS =
  'id, person, discord, ldap, github_id, github_login, status, requested_by, requested_at, decided_by, decided_at, reason';

/** PostgreSQL's unique_violation: a partial unique index of the `links` table refused the row. */
const UNIQUE_VIOLATION = '23505';

/**
 * Core's `LinkStore` in the `links` table. Decisions are one conditional UPDATE (`WHERE status = from`), so two
 * approvers pressing at once (two processes on one PostgreSQL database included) record exactly one decision.
 */
export class SqlLinkStore implements LinkStore {
  readonly #db: Db;

  constructor(db: Db) {
    this.#db = db;
  }

  async request(link: NewLink, at: Date): Promise<Link> {
    try {
      const { rows } = await this.#db.query<LinkRow>(
        `INSERT INTO links (id, person, discord, ldap, github_id, github_login, status, requested_by, requested_at)
         VALUES ($1, $2, $3, $4, $5, $6, 'pending', $7, $8) RETURNING ${COLUMNS}`,
        [
          randomUUID(),
          storableText(link.person),
          link.discord ?? null,
          link.ldap ?? null,
          link.githubId,
          storableText(link.githubLogin),
          storableText(link.requestedBy),
          at.toISOString(),
        ],
      );
      return toLink(rows[0] as LinkRow);
    } catch (e) {
      if ((e as { code?: unknown }).code === UNIQUE_VIOLATION)
        throw new GatehouseError(
          'USAGE',
          `${link.person} already has a pending or approved link; unlink it before linking another GitHub account`,
          { terminal: true },
        );
      throw storeError(`recording the link request of ${link.person} failed`, e);
    }
  }

  async get(id: string): Promise<Link | undefined> {
    try {
      const { rows } = await this.#db.query<LinkRow>(`SELECT ${COLUMNS} FROM links WHERE id = $1`, [id]);
      return rows[0] ? toLink(rows[0]) : undefined;
    } catch (e) {
      throw storeError(`reading link ${id} failed`, e);
    }
  }

  async list(filter: { status?: LinkStatus; person?: string } = {}): Promise<Link[]> {
    try {
      const { rows } = await this.#db.query<LinkRow>(
        `SELECT ${COLUMNS} FROM links
         WHERE ($1::text IS NULL OR status = $1) AND ($2::text IS NULL OR person = $2)
         ORDER BY requested_at, id`,
        [filter.status ?? null, filter.person ?? null],
      );
      return rows.map(toLink);
    } catch (e) {
      throw storeError('listing links failed', e);
    }
  }

  async transition(
    id: string,
    from: LinkStatus,
    to: LinkStatus,
    decision: { by: string; at: Date; reason?: string },
  ): Promise<Link | undefined> {
    try {
      const { rows } = await this.#db.query<LinkRow>(
        `UPDATE links SET status = $3, decided_by = $4, decided_at = $5, reason = $6
         WHERE id = $1 AND status = $2 RETURNING ${COLUMNS}`,
        [
          id,
          from,
          to,
          storableText(decision.by),
          decision.at.toISOString(),
          decision.reason === undefined ? null : storableText(decision.reason),
        ],
      );
      return rows[0] ? toLink(rows[0]) : undefined;
    } catch (e) {
      if ((e as { code?: unknown }).code === UNIQUE_VIOLATION)
        throw new GatehouseError(
          'USAGE',
          `link ${id}: its GitHub account is already linked to someone else by an approved link; revoke that one first`,
          { terminal: true },
        );
      throw storeError(`deciding link ${id} failed`, e);
    }
  }
}

function toLink(r: LinkRow): Link {
  return {
    id: r.id,
    person: r.person,
    ...(r.discord === null ? {} : { discord: r.discord }),
    ...(r.ldap === null ? {} : { ldap: r.ldap }),
    githubId: Number(r.github_id),
    githubLogin: r.github_login,
    status: r.status,
    requestedBy: r.requested_by,
    requestedAt: r.requested_at,
    ...(r.decided_by === null ? {} : { decidedBy: r.decided_by }),
    ...(r.decided_at === null ? {} : { decidedAt: r.decided_at }),
    ...(r.reason === null ? {} : { reason: r.reason }),
  };
}
