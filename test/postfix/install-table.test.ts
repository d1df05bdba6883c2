import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { GatehouseError } from '../../src/core/errors.ts';
import { installTable, parseTable, renderTable } from '../../src/targets/postfix-sender-logins/index.ts';
import { observeSenderLogins } from '../../src/targets/postfix-sender-logins/observe.ts';
import { skipUnlessPostfix, supportedMapTypes } from '../harness/postfix.ts';

/** installTable against the real postmap of this host (no running Postfix needed). */
describe('installTable with the real postmap', { skip: skipUnlessPostfix() }, () => {
  let dir: string;
  let tools: { postmap: string[]; configDir: string; timeoutMs: number };
  const signal = AbortSignal.timeout(120_000);
  const table = () => join(dir, 'sender_logins');

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'gatehouse-postmap-'));
    // postmap needs a main.cf; this one is the test's, never the host's.
    await mkdir(join(dir, 'etc'));
    await writeFile(join(dir, 'etc', 'main.cf'), 'compatibility_level = 3.6\n');
    tools = { postmap: ['postmap'], configDir: join(dir, 'etc'), timeoutMs: 60_000 };
  });
  after(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('compiles and swaps; observe reads the compiled table back (postmap -s)', async () => {
    await installTable(table(), 'hash', renderTable(['a@x.org a', 'b@x.org b,c'], 't'), tools, signal);
    const seen = await observeSenderLogins(table(), 'hash', tools, signal);
    assert.deepEqual(seen, {
      exists: true,
      entries: [
        { address: 'a@x.org', logins: ['a'] },
        { address: 'b@x.org', logins: ['b', 'c'] },
      ],
    });
    assert.deepEqual(await leftovers(), []);
  });

  it('each new compiled table is dated in a later whole second than the one it replaces', async () => {
    let last = Math.floor((await stat(`${table()}.db`)).mtimeMs / 1000);
    for (let i = 0; i < 3; i++) {
      await installTable(table(), 'hash', renderTable([`a@x.org a${i}`], 't'), tools, signal);
      const now = Math.floor((await stat(`${table()}.db`)).mtimeMs / 1000);
      assert.ok(now > last, `install ${i}: ${now} is not after ${last}`);
      last = now;
    }
  });

  it('a failing postmap keeps the old table, leaves no temp files and fails with postmap’s message', async () => {
    await installTable(table(), 'hash', renderTable(['a@x.org a'], 't'), tools, signal);
    const before = await readFile(`${table()}.db`);
    const source = await readFile(table(), 'utf8');
    const big = Array.from({ length: 5000 }, (_, i) => `u${i}@x.org u${i}`);
    // A real postmap that runs out of file size: the limit is the kernel's, not a stand-in.
    const limited = { ...tools, postmap: ['prlimit', '--fsize=4096', 'postmap'] };
    await assert.rejects(installTable(table(), 'hash', renderTable(big, 't'), limited, signal), (e: unknown) => {
      assert.ok(e instanceof GatehouseError);
      assert.equal(e.code, 'TARGET_FAILED');
      assert.match(e.message, /postmap: fatal: .*File too large/);
      return true;
    });
    assert.deepEqual(await readFile(`${table()}.db`), before);
    assert.equal(await readFile(table(), 'utf8'), source);
    assert.deepEqual(await leftovers(), []);
  });

  it('texthash needs no compile: the source file is swapped in', async () => {
    const path = join(dir, 'text_logins');
    await installTable(path, 'texthash', renderTable(['a@x.org a'], 't'), tools, signal);
    assert.deepEqual(parseTable(await readFile(path, 'utf8')), [{ address: 'a@x.org', logins: ['a'] }]);
    assert.deepEqual((await observeSenderLogins(path, 'texthash', tools, signal)).entries.length, 1);
  });

  it('reports which map types this postfix supports', async () => {
    const types = await supportedMapTypes(tools.configDir);
    assert.ok(types.includes('hash'));
  });

  async function leftovers(): Promise<string[]> {
    return (await readdir(dir)).filter((f) => f.startsWith('.') || f.startsWith('__db'));
  }
});
