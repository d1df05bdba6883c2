import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isGatehouseError } from '../core/errors.ts';
import { CommandError, runCommand } from './command.ts';

const long = AbortSignal.timeout(10_000);

describe('runCommand', () => {
  it('feeds stdin and returns stdout', async () => {
    assert.equal(await runCommand(['cat'], { input: 'a\nb\n', signal: long, timeoutMs: 10_000 }), 'a\nb\n');
  });

  it('a non-zero exit is a CommandError with the exit code and the whole stderr', async () => {
    const e = await runCommand(['sh', '-c', 'echo one >&2; echo two >&2; exit 3'], { signal: long, timeoutMs: 10_000 })
      .then(() => undefined)
      .catch((x: unknown) => x);
    assert.ok(e instanceof CommandError);
    assert.equal(e.exitCode, 3);
    assert.equal(e.stderr, 'one\ntwo\n');
    assert.deepEqual(e.argv, ['sh', '-c', 'echo one >&2; echo two >&2; exit 3']);
  });

  it('an aborted run is ABORTED; one past its timeout is TARGET_FAILED; a missing program is TARGET_FAILED', async () => {
    const controller = new AbortController();
    const run = runCommand(['sleep', '5'], { signal: controller.signal, timeoutMs: 10_000 });
    setTimeout(() => controller.abort(), 50);
    await assert.rejects(run, (e) => isGatehouseError(e) && e.code === 'ABORTED');
    await assert.rejects(
      runCommand(['sleep', '5'], { signal: long, timeoutMs: 100 }),
      (e) => isGatehouseError(e) && e.code === 'TARGET_FAILED' && /did not finish/.test(e.message),
    );
    await assert.rejects(
      runCommand(['/nonexistent/gatehouse-tool'], { signal: long, timeoutMs: 10_000 }),
      (e) => isGatehouseError(e) && e.code === 'TARGET_FAILED' && /cannot run/.test(e.message),
    );
  });

  it('passes the environment it is given', async () => {
    const out = await runCommand(['sh', '-c', 'echo "$LANG"'], {
      signal: long,
      timeoutMs: 10_000,
      env: { PATH: process.env.PATH, LANG: 'C' },
    });
    assert.equal(out, 'C\n');
  });
});
