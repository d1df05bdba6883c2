import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isGatehouseError } from '../core/errors.ts';
import { CommandError, runCommand, startLineProcess } from './command.ts';

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

describe('startLineProcess', () => {
  // Reads lines and answers each on stderr at once: what `nft -i` does with a failing command.
  const echoErr = ['sh', '-c', 'while read -r l; do [ "$l" = quit ] && exit 0; echo "got $l" >&2; done'];

  it('each line is acted on as it is sent; stderr lines come back one by one; it ends once, then refuses lines', async () => {
    const errors: string[] = [];
    let closed = 0;
    let ended!: () => void;
    const end = new Promise<void>((r) => (ended = r));
    const p = startLineProcess(echoErr, {
      signal: long,
      onError: (l) => errors.push(l),
      onClose: () => {
        closed++;
        ended();
      },
    });
    assert.equal(p.send('one'), true);
    for (let i = 0; i < 100 && errors.length < 1; i++) await new Promise((r) => setTimeout(r, 20));
    assert.deepEqual(errors, ['got one'], 'answered before any more input and before stdin closes');
    assert.equal(p.send('two'), true);
    assert.equal(p.send('quit'), true);
    await end;
    assert.deepEqual(errors, ['got one', 'got two']);
    assert.equal(p.send('three'), false);
    await new Promise((r) => setTimeout(r, 50));
    assert.equal(closed, 1);
  });

  it('an abort kills it and reports the end; a missing program reports the end', async () => {
    const stop = new AbortController();
    const closes: string[] = [];
    const p = startLineProcess(echoErr, { signal: stop.signal, onError: () => {}, onClose: () => closes.push('a') });
    assert.equal(p.send('x'), true);
    stop.abort();
    const missing = startLineProcess(['/nonexistent/gatehouse-test'], {
      signal: long,
      onError: () => {},
      onClose: () => closes.push('b'),
    });
    for (let i = 0; i < 100 && closes.length < 2; i++) await new Promise((r) => setTimeout(r, 20));
    assert.deepEqual(closes.sort(), ['a', 'b']);
    assert.equal(p.send('y'), false);
    assert.equal(missing.send('y'), false);
  });
});
