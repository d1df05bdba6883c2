import { closeSync, fsyncSync, mkdirSync, openSync, readFileSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';
import { GatehouseError } from '../core/errors.ts';
import type { Queryable } from './db.ts';
import { storeError } from './store-error.ts';

/**
 * The audit chain proves records were not altered relative to each other, but everything it is checked against lives
 * in the same database: someone who can write there can cut the newest records and rewind the head, or rewrite a
 * record and recompute every hash after it, and the chain still verifies. An anchor is a copy of the chain head kept
 * outside the database (a JSON line appended to a file after each run); a later verification checks the database
 * still holds every anchored record with its anchored hash, so such a rewrite is caught unless the anchor file (or a
 * head the operator kept elsewhere) was rewritten too.
 */

/** The end of the chain: the newest record's seq and hash (seq 0 and the genesis hash when empty). */
export interface AuditHead {
  readonly seq: number;
  readonly hash: string;
}

/** A head recorded outside the database, and when. */
export interface AuditAnchor extends AuditHead {
  /** ISO 8601, when the anchor was written. */
  readonly at: string;
}

const HASH = /^[0-9a-f]{64}$/;

/** Reads the chain head row. */
export async function readChainHead(db: Queryable): Promise<AuditHead | undefined> {
  const { rows } = await db.query<{ seq: number; hash: string }>('SELECT seq, hash FROM audit_chain_head WHERE id = 1');
  const row = rows[0];
  return row && { seq: Number(row.seq), hash: row.hash };
}

/**
 * Appends `anchor` to `file` as one JSON line, creating the file (and its directory) when missing, and flushes it to
 * disk before returning: an anchor matters most after a crash. One `write` of a short line with O_APPEND, so
 * processes anchoring to one file at once (several hosts' timers on one PostgreSQL write their own files; one host's
 * CLI and daemon may share one) do not interleave their lines.
 */
export function appendAnchor(file: string, anchor: AuditAnchor): void {
  mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
  const fd = openSync(file, 'a', 0o644);
  try {
    writeSync(fd, `${JSON.stringify({ seq: anchor.seq, hash: anchor.hash, at: anchor.at })}\n`);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/**
 * Reads every anchor in `file`; an absent file holds none. Throws `AUDIT_CHAIN_BROKEN` naming the line when one is not
 * an anchor: a line gatehouse did not write is itself a sign of tampering (or of a write cut by a power loss, in which
 * case the operator removes that last line after checking).
 */
export function readAnchors(file: string): AuditAnchor[] {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw storeError(`could not read the audit anchor file ${file}`, e);
  }
  const anchors: AuditAnchor[] = [];
  const lines = text.split('\n');
  if (lines.at(-1) === '') lines.pop();
  lines.forEach((line, i) => {
    const anchor = parseAnchor(line);
    if (!anchor)
      throw new GatehouseError(
        'AUDIT_CHAIN_BROKEN',
        `${file}:${i + 1} is not an audit anchor (gatehouse writes {"seq":N,"hash":"<64 hex>","at":"<time>"}); ` +
          'if the host lost power while writing it, check and remove that line',
        { terminal: true, details: { anchorFile: file, line: i + 1 } },
      );
    anchors.push(anchor);
  });
  return anchors;
}

function parseAnchor(line: string): AuditAnchor | undefined {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    return undefined;
  }
  if (value === null || typeof value !== 'object') return undefined;
  const { seq, hash, at } = value as Record<string, unknown>;
  if (!Number.isSafeInteger(seq) || (seq as number) < 0) return undefined;
  if (typeof hash !== 'string' || !HASH.test(hash) || typeof at !== 'string') return undefined;
  return { seq: seq as number, hash, at };
}

/**
 * Parses a head as `verify --expect-head` takes it, `SEQ:HASH` (what `audit --verify` prints).
 * Throws `CONFIG_INVALID` otherwise.
 */
export function parseHead(text: string): AuditHead {
  const m = /^(\d{1,15}):([0-9a-f]{64})$/.exec(text.trim().toLowerCase());
  if (!m)
    throw new GatehouseError(
      'CONFIG_INVALID',
      `expected a head as SEQ:HASH (as audit --verify prints it), got ${JSON.stringify(text)}`,
      {
        terminal: true,
      },
    );
  return { seq: Number(m[1]), hash: m[2] as string };
}

/** A head to check against, and how to name it in a report. */
export interface Checkpoint extends AuditHead {
  readonly label: string;
}

/** Checks at most this many checkpoints per query. */
const CHECKPOINTS_PER_QUERY = 500;

/**
 * Checks each checkpoint against the database whose chain head is `head`: the head must be at or beyond it, and the
 * record at its seq must carry its hash. Returns the first failure (lowest seq), or undefined when all hold.
 */
export async function checkCheckpoints(
  db: Queryable,
  head: AuditHead,
  checkpoints: readonly Checkpoint[],
): Promise<{ seq: number; reason: string } | undefined> {
  const sorted = [...checkpoints].sort((a, b) => a.seq - b.seq);
  for (let i = 0; i < sorted.length; i += CHECKPOINTS_PER_QUERY) {
    // Seq 0 is the empty log's head: every log is at or beyond it.
    const chunk = sorted.slice(i, i + CHECKPOINTS_PER_QUERY).filter((c) => c.seq > 0);
    if (chunk.length === 0) continue;
    const seqs = [...new Set(chunk.map((c) => c.seq))];
    const { rows } = await db.query<{ seq: number; hash: string }>(
      `SELECT seq, hash FROM audit_log WHERE seq IN (${seqs.map((_, j) => `$${j + 1}`).join(', ')})`,
      seqs,
    );
    const stored = new Map(rows.map((r) => [Number(r.seq), r.hash]));
    for (const c of chunk) {
      if (c.seq > head.seq)
        return {
          seq: c.seq,
          reason: `the log was cut back: ${c.label} is at seq ${c.seq}, but the chain head is at seq ${head.seq}`,
        };
      const hash = stored.get(c.seq);
      if (hash === undefined) return { seq: c.seq, reason: `record missing; ${c.label} is at this seq` };
      if (hash !== c.hash) return { seq: c.seq, reason: `record rewritten: its hash differs from ${c.label}` };
    }
  }
  return undefined;
}
