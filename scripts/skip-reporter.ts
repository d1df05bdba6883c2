/**
 * node:test reporter for CI: lists every skipped test and, when `CI=true`, fails the run if any test skipped (a test
 * that needs root or slapd skips quietly on a machine without them; CI must have them). Used beside the spec reporter
 * by scripts/run-tests.sh, so the runner's own closing summary is still printed.
 */
import type { TestEvent } from 'node:test/reporters';

/** Whether the environment says this run is CI (`CI=true` or `CI=1`, as CI services set it). */
export function isCi(env: NodeJS.ProcessEnv): boolean {
  return env.CI === 'true' || env.CI === '1';
}

export default async function* skipReporter(source: AsyncIterable<TestEvent>): AsyncGenerator<string> {
  const skipped: string[] = [];
  for await (const event of source) {
    if (event.type !== 'test:pass' && event.type !== 'test:fail') continue;
    const { skip, name, file } = event.data;
    if (skip === undefined || skip === false) continue;
    skipped.push(`${file ?? '?'}: ${name}${typeof skip === 'string' ? ` (${skip})` : ''}`);
  }
  if (skipped.length === 0) return;
  const ci = isCi(process.env);
  yield `${ci ? 'error' : 'note'}: ${skipped.length} test(s) skipped${ci ? ', which CI does not allow' : ''}:\n`;
  for (const s of skipped) yield `  - ${s}\n`;
  // The runner sets a failure exit code only for failed tests; it never resets one a reporter set.
  if (ci) process.exitCode = 1;
}
