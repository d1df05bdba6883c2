import assert from 'node:assert/strict';
import { chmodSync, existsSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { PGlite } from '@electric-sql/pglite';
import { openPglite } from '../../src/store/pglite-db.ts';
import { readTemplate, saveTemplate, templateFile } from '../../src/store/pglite-template.ts';

const root = mkdtempSync(join(tmpdir(), 'gatehouse-template-'));
let n = 0;
const stateDir = () => join(root, `state-${++n}`);

/** Whether the store in `dir` was made from the marked template (a table initdb never creates). */
async function fromMarkedTemplate(dir: string): Promise<boolean> {
  const db = await openPglite(dir);
  try {
    const r = await db.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM pg_tables WHERE tablename = 'from_template'`,
    );
    await db.query('SELECT 1'); // and the store works
    return r.rows[0]?.n === 1;
  } finally {
    await db.close();
  }
}

/** Writes a template whose cluster holds a marker table, so a store made from it can be told apart. */
async function markedTemplate(): Promise<void> {
  const pg = new PGlite(join(root, `marked-${++n}`));
  await pg.waitReady;
  await pg.query('CREATE TABLE from_template (x int)');
  await saveTemplate(pg, templateFile());
  await pg.close();
}

describe('PGlite data directory template', () => {
  before(() => {
    process.env.GATEHOUSE_CACHE_DIR = join(root, 'cache');
  });
  after(() => rmSync(root, { recursive: true, force: true }));

  it('the first store saves a template, private to the user; a new store is then made from it', async () => {
    const file = templateFile();
    assert.equal(existsSync(file), false);
    assert.equal(await fromMarkedTemplate(stateDir()), false);
    assert.equal(statSync(file).mode & 0o077, 0);
    await markedTemplate();
    assert.equal(await fromMarkedTemplate(stateDir()), true);
  });

  it('a template others could have written is not used: the store is initialised from scratch', async () => {
    await markedTemplate();
    chmodSync(templateFile(), 0o666);
    assert.equal(await fromMarkedTemplate(stateDir()), false);
    chmodSync(templateFile(), 0o600);
    chmodSync(join(root, 'cache'), 0o777);
    assert.equal(await fromMarkedTemplate(stateDir()), false);
    chmodSync(join(root, 'cache'), 0o700);
  });

  it('a damaged template is replaced by a good one, and the store is initialised from scratch', async () => {
    writeFileSync(templateFile(), 'not a tarball', { mode: 0o600 });
    assert.equal(await fromMarkedTemplate(stateDir()), false);
    assert.ok((readTemplate(templateFile())?.size ?? 0) > 100_000, 'a good template replaced the damaged one');
  });
});
