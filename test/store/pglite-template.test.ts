import assert from 'node:assert/strict';
import {
  chmodSync,
  chownSync,
  cpSync,
  existsSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  truncateSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { after, before, beforeEach, describe, it } from 'node:test';
import { PGlite } from '@electric-sql/pglite';
import { openPglite, PGLITE_DIR } from '../../src/store/pglite-db.ts';
import {
  cacheTemplateDir,
  findTemplate,
  publishTemplate,
  shippedTemplateDir,
} from '../../src/store/pglite-template.ts';

const root = mkdtempSync(join(tmpdir(), 'gatehouse-template-'));
let n = 0;
const stateDir = () => join(root, `state-${++n}`);
/** A closed cluster holding a marker table initdb never creates, so a store made from it can be told apart. */
const marked = join(root, 'marked');

/** Whether the store in `dir` was made from the marked template; it must work either way. */
async function fromMarkedTemplate(dir: string): Promise<boolean> {
  const db = await openPglite(dir);
  try {
    const r = await db.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM pg_tables WHERE tablename = 'from_template'`,
    );
    await db.query('CREATE TEMP TABLE works (x int)'); // and it works
    return r.rows[0]?.n === 1;
  } finally {
    await db.close();
  }
}

/** Puts a copy of the marked cluster at `target` as the code under test would (private modes, renamed into place). */
async function markedTemplateAt(target: string): Promise<void> {
  mkdirSync(join(target, '..'), { recursive: true, mode: 0o755 });
  assert.equal(await publishTemplate(target, (tmp) => cpSync(marked, tmp, { recursive: true })), true);
}

/** Every entry under `dir`, itself included. */
function entries(dir: string): string[] {
  return [dir, ...readdirSync(dir, { recursive: true }).map((e) => join(dir, String(e)))];
}

describe('PGlite data directory template', () => {
  before(async () => {
    const pg = new PGlite(marked);
    await pg.waitReady;
    await pg.query('CREATE TABLE from_template (x int)');
    await pg.close();
  });
  beforeEach(() => {
    // Each test starts with neither a shipped nor a cached template.
    process.env.GATEHOUSE_CACHE_DIR = join(root, `cache-${++n}`);
    process.env.GATEHOUSE_STORE_TEMPLATE_DIR = join(root, `shipped-${n}`);
  });
  after(() => rmSync(root, { recursive: true, force: true }));

  it('the first store on a machine saves a template in the cache, writable only by the user; the next store is copied from it', async () => {
    assert.equal(findTemplate(), undefined);
    assert.equal(await fromMarkedTemplate(stateDir()), false);
    const saved = cacheTemplateDir();
    assert.ok(existsSync(join(saved, 'PG_VERSION')), 'template saved');
    for (const e of entries(saved)) assert.equal(lstatSync(e).mode & 0o022, 0, e);
    assert.deepEqual(findTemplate(), { dir: saved, where: 'cache' });

    rmSync(saved, { recursive: true });
    await markedTemplateAt(saved);
    const dir = stateDir();
    assert.equal(await fromMarkedTemplate(dir), true);
    // The copy was started once, so it is an ordinary store now: reopened, it is not taken for a fresh copy.
    assert.deepEqual(
      readdirSync(join(dir, PGLITE_DIR)).filter((e) => e.startsWith('gatehouse-')),
      [],
    );
    assert.equal(statSync(join(dir, PGLITE_DIR)).mode & 0o777, 0o700);
    assert.equal(await fromMarkedTemplate(dir), true);
  });

  it('the shipped template is used when the cache has none, even without the empty directories npm pack drops', async () => {
    const shipped = shippedTemplateDir();
    await markedTemplateAt(shipped);
    for (const e of entries(shipped).reverse())
      if (lstatSync(e).isDirectory() && readdirSync(e).length === 0) rmSync(e, { recursive: true });
    assert.equal(existsSync(join(shipped, 'pg_tblspc')), false);
    assert.deepEqual(findTemplate(), { dir: shipped, where: 'shipped' });
    assert.equal(await fromMarkedTemplate(stateDir()), true);
    assert.equal(existsSync(cacheTemplateDir()), false, 'no initdb ran, so nothing was saved in the cache');
  });

  it('a template that others could have written is refused: an entry or its parent writable by group or others, or owned by another user', async () => {
    const shipped = shippedTemplateDir();
    await markedTemplateAt(shipped);
    assert.equal(findTemplate()?.where, 'shipped');
    const file = join(shipped, 'global', 'pg_control');

    chmodSync(file, 0o620);
    assert.equal(findTemplate(), undefined, 'group-writable entry');
    chmodSync(file, 0o600);
    chmodSync(join(shipped, '..'), 0o757);
    assert.equal(findTemplate(), undefined, 'others-writable parent');
    chmodSync(join(shipped, '..'), 0o755);
    chownSync(join(shipped, 'base'), 65534, 65534);
    assert.equal(findTemplate(), undefined, 'entry owned by another user');
    chownSync(join(shipped, 'base'), process.getuid?.() ?? 0, 0);
    assert.equal(findTemplate()?.where, 'shipped');

    // The cache's template: the same rule.
    rmSync(shipped, { recursive: true });
    const cached = cacheTemplateDir();
    await markedTemplateAt(cached);
    assert.equal(findTemplate()?.where, 'cache');
    chmodSync(join(cached, 'base'), 0o777);
    assert.equal(findTemplate(), undefined);
    // End to end: the refused template is not copied; the store is initialised from scratch and works.
    assert.equal(await fromMarkedTemplate(stateDir()), false);
    assert.equal(lstatSync(join(cached, 'base')).mode & 0o777, 0o777, 'a refused template is left alone');
  });

  it('a saver that finds a template already in place keeps that one and leaves nothing of its own behind', async () => {
    const target = cacheTemplateDir();
    mkdirSync(join(target, '..'), { recursive: true });
    const fill = (content: string) => (tmp: string) => {
      mkdirSync(tmp);
      writeFileSync(join(tmp, 'PG_VERSION'), content);
    };
    assert.equal(await publishTemplate(target, fill('first')), true);
    assert.equal(await publishTemplate(target, fill('second')), false);
    assert.equal(readFileSync(join(target, 'PG_VERSION'), 'utf8'), 'first');
    assert.deepEqual(readdirSync(join(target, '..')), [basename(target)]);
  });

  it('a damaged cached template: the store is still created, and the cache template is replaced by a good one', async () => {
    const cached = cacheTemplateDir();
    await markedTemplateAt(cached);
    truncateSync(join(cached, 'global', 'pg_control'), 10);
    assert.equal(await fromMarkedTemplate(stateDir()), false);
    assert.equal(statSync(join(cached, 'global', 'pg_control')).size, 8192, 'a good template replaced it');
    assert.equal(findTemplate()?.where, 'cache');
  });

  it('a damaged shipped template is skipped, not removed: the store is made from the cache template, else by initdb', async () => {
    const shipped = shippedTemplateDir();
    await markedTemplateAt(shipped);
    truncateSync(join(shipped, 'global', 'pg_control'), 10);
    assert.equal(await fromMarkedTemplate(stateDir()), false);
    assert.equal(statSync(join(shipped, 'global', 'pg_control')).size, 10, 'left for its installer');
    assert.ok(existsSync(join(cacheTemplateDir(), 'PG_VERSION')), 'initdb ran and saved a cache template');

    rmSync(cacheTemplateDir(), { recursive: true });
    await markedTemplateAt(cacheTemplateDir());
    assert.equal(await fromMarkedTemplate(stateDir()), true);
  });
});
