import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../../', import.meta.url));
const hook = fileURLToPath(new URL('../harness/record-imports.ts', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'gh-plan-imports-'));
after(() => rmSync(dir, { recursive: true, force: true }));

/** Client libraries a target needs only to talk to its system: observe, apply, watch. */
const VENDOR_SDK = /^(@kubernetes\/|@octokit\/|bottleneck$)/;

// Pure planning is what the people benchmark runs: each of the five people-side targets created through its schema and
// `create`, then desired, diff, notes and guards against an observation built in-process. Run small, once, with the
// collector exposed so it plans in this process (it re-runs itself otherwise).
describe('planning from an observation loads no client library', () => {
  it('github, ldap-groups, ldap-links, kubernetes-tenants and postfix-sender-logins plan without their SDKs', () => {
    const out = join(dir, 'people.txt');
    const { ONLY: _only, ...env } = process.env;
    const r = spawnSync(process.execPath, ['--expose-gc', '--import', hook, join(root, 'bench/people.ts')], {
      env: { ...env, GATEHOUSE_RECORD_IMPORTS: out, PEOPLE: '500', GROUPS: '40', REPS: '1' },
      cwd: root,
    });
    assert.equal(r.status, 0, r.stderr.toString());
    // Every target was timed (planned), not only created.
    for (const name of ['github', 'k8s', 'ldap-groups', 'ldap-links', 'mail']) {
      assert.match(r.stdout.toString(), new RegExp(`^${name} \\(.*\\d+\\.\\d`, 'm'), `${name} was timed`);
    }
    const urls = readFileSync(out, 'utf8').split('\n');
    const files = new Set(urls.filter((u) => u.includes('/src/')).map((u) => u.slice(u.indexOf('/src/') + 1)));
    for (const t of ['github', 'ldap-groups', 'ldap-links', 'kubernetes-tenants', 'postfix-sender-logins']) {
      assert.ok(files.has(`src/targets/${t}/target.ts`), `${t} was planned`);
    }
    const packages = new Set(
      urls.flatMap((u) => {
        const m = /\/node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(u);
        return m?.[1] ? [m[1]] : [];
      }),
    );
    assert.deepEqual([...packages].filter((p) => VENDOR_SDK.test(p)).sort(), []);
  });
});
