/**
 * Child process for the lock tests (not a test itself): takes the state dir lock at `<lockPath>`, prints `ready`,
 * then keeps its event loop busy in bursts (as PGlite does: it runs queries synchronously), so connections to the lock
 * socket are accepted late, often after the client already gave up. Prints `alive` and answers a line on stdin:
 * `release` releases the lock and exits 0.
 *
 * Usage: node test/store/lock-holder.ts <lockPath>
 */
import { createInterface } from 'node:readline';
import { lockStateDir } from '../../src/store/state-dir-lock.ts';

const [lockPath] = process.argv.slice(2);
if (!lockPath) throw new Error('usage: lock-holder.ts <lockPath>');

const lock = await lockStateDir(lockPath);
process.stdout.write('ready\n');

let stopped = false;
const busy = () => {
  if (stopped) return;
  const until = Date.now() + 50;
  while (Date.now() < until); // a synchronous query, as PGlite runs them
  setTimeout(busy, 5);
};
busy();

for await (const line of createInterface({ input: process.stdin })) {
  if (line === 'ping') process.stdout.write('alive\n');
  if (line === 'release') {
    stopped = true;
    await lock.release();
    process.stdout.write('released\n');
    break;
  }
}
// Exits by itself only if the released lock left nothing running (no listening socket, no open connection).
process.stdin.destroy();
