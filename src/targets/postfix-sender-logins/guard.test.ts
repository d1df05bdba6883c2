import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { desiredState } from './desired.ts';
import { diffSenderLogins } from './diff.ts';
import { guardSenderLogins } from './guard.ts';
import { config, context, person } from './test-fixtures.ts';
import type { SenderEntry, SenderObserved } from './types.ts';

const observedOf = (...lines: string[]): SenderObserved => ({
  exists: true,
  entries: lines.map((l): SenderEntry => ({ address: l.split(' ')[0] as string, logins: [l.split(' ')[1] as string] })),
});

function verdicts(c: ReturnType<typeof config>, facts: Parameters<typeof context>[0], observed: SenderObserved) {
  const d = desiredState(c, context(facts));
  const changes = diffSenderLogins({ path: '/t', mapType: 'hash' }, d, observed);
  return guardSenderLogins(c, changes, d, observed).map((v) => `${v.guard}:${v.changeIds.join(',')}`);
}

describe('postfix-sender-logins guards', () => {
  const observed = observedOf('a@x.org a', 'b@x.org b', 'noreply@int.x.org svc');
  const statics = { static: [{ address: 'noreply@int.x.org', logins: ['svc'] }], maxShrink: 1 };

  it('never-empty fires on an empty directory read, even with static entries left', () => {
    assert.deepEqual(verdicts(config(statics), { dir: { people: [] } }, observed), ['never-empty:table:/t']);
  });

  it('allowEmpty lets it through', () => {
    assert.deepEqual(verdicts(config({ ...statics, allowEmpty: true }), { dir: { people: [] } }, observed), []);
  });

  it('max-shrink refuses losing more than the allowed share', () => {
    const facts = { dir: { people: [person('a', 'a@x.org')] } };
    assert.deepEqual(verdicts(config({ ...statics, maxShrink: 0.2 }), facts, observed), ['max-shrink:table:/t']);
    assert.deepEqual(verdicts(config({ ...statics, maxShrink: 0.5 }), facts, observed), []);
  });

  it('conflicts and refused values are reported without blocking', () => {
    const facts = {
      dir: { people: [person('a', 'a@x.org', 's@x.org'), person('b', 'b@x.org', 's@x.org'), person('m', 'm x@x.org')] },
    };
    assert.deepEqual(verdicts(config(statics), facts, observed), ['address-conflict:', 'invalid-value:']);
  });
});
