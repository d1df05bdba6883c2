import assert from 'node:assert/strict';
import { cp, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { openStore } from '../../src/store/index.ts';
import { gatehouse } from './cli.ts';

/** `audit --verify` as an operator runs it, against a log someone with database access cut back. */
describe('audit --verify with anchors', () => {
  let dir: string;
  let config: string;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'gh-anchor-'));
    await cp(new URL('../../examples/quickstart', import.meta.url), dir, {
      recursive: true,
      filter: (src) => !/\/(\.gatehouse|out)(\/|$)/.test(src),
    });
    config = join(dir, 'gatehouse.yaml');
  });
  after(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('apply anchors the head; verify prints it; a cut-back log is BROKEN, also against --expect-head', async () => {
    const applied = await gatehouse(['-c', config, '--log-level', 'info', 'apply', '--auto-approve']);
    assert.equal(applied.code, 0, applied.stdout + applied.stderr);
    assert.match(applied.stderr, /audit chain head anchored/);
    const lines = (await readFile(join(dir, '.gatehouse', 'audit-anchors.jsonl'), 'utf8')).trim().split('\n');
    assert.equal(lines.length, 1);
    const anchor = JSON.parse(lines[0] ?? '') as { seq: number; hash: string };
    assert.ok(anchor.seq >= 2, lines[0]);

    const intact = await gatehouse(['-c', config, 'audit', '--verify']);
    assert.equal(intact.code, 0, intact.stdout + intact.stderr);
    assert.match(intact.stdout, /audit log intact \(\d+ records; 1 anchor\(s\) in .*audit-anchors\.jsonl hold\)/);
    assert.match(intact.stdout, new RegExp(`^head ${anchor.seq}:${anchor.hash}$`, 'm'));
    const head = `${anchor.seq}:${anchor.hash}`;

    // Cut the last record and rewind the head, behind the append-only trigger.
    const store = await openStore({ stateDir: join(dir, '.gatehouse') });
    try {
      const records = await store.audit.list();
      await store.db.transaction(async (tx) => {
        await tx.query('ALTER TABLE audit_log DISABLE TRIGGER USER');
        await tx.query('DELETE FROM audit_log WHERE seq = $1', [anchor.seq]);
        await tx.query('UPDATE audit_chain_head SET seq = $1, hash = $2', [anchor.seq - 1, records.at(-2)?.hash ?? '']);
        await tx.query('ALTER TABLE audit_log ENABLE TRIGGER USER');
      });
    } finally {
      await store.close();
    }

    const cut = await gatehouse(['-c', config, 'audit', '--verify']);
    assert.equal(cut.code, 1, cut.stdout + cut.stderr);
    assert.match(cut.stdout, new RegExp(`audit log BROKEN at seq ${anchor.seq}: the log was cut back`));

    await rm(join(dir, '.gatehouse', 'audit-anchors.jsonl'));
    const unanchored = await gatehouse(['-c', config, 'audit', '--verify']);
    assert.equal(unanchored.code, 0, unanchored.stdout);
    assert.match(
      unanchored.stdout,
      /no anchors in .* yet: records cut from the end or a recomputed chain would not show/,
    );
    const expected = await gatehouse(['-c', config, 'audit', '--verify', '--expect-head', head]);
    assert.equal(expected.code, 1, expected.stdout + expected.stderr);
    assert.match(expected.stdout, /BROKEN at seq \d+: the log was cut back: the expected head is at seq/);
  });
});
