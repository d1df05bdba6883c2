import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import pino from 'pino';
import { Engine } from '../../src/engine.ts';
import type { Link } from '../../src/core/links.ts';
import { BIND_DN, BIND_PASSWORD, PEOPLE, startSlapd, type Slapd } from '../harness/slapd.ts';
import { directoryLdif, snowflake, uidOf } from '../ldap/directory.ts';

/**
 * Approved links mirrored into a real slapd (attribute employeeType) by the ldap-links target, through the engine and
 * the store: approval sets the GitHub id on the person's entry, revoke clears it, a mass clear is held back by the guard.
 */
describe('ldap-links: approved links in the directory', () => {
  let s: Slapd;
  let dir: string;
  let engine: Engine;

  before(async () => {
    s = await startSlapd({ ldif: directoryLdif({ users: 6 }) });
    dir = await mkdtemp(join(tmpdir(), 'gatehouse-ldap-links-'));
    await writeFile(
      join(dir, 'gatehouse.yaml'),
      `sources:
  links:
    type: links
targets:
  directory:
    type: ldap-links
    connection: { url: "${s.url}", bindDn: "${BIND_DN}", bindPassword: "\${env:LDAP_PASSWORD}" }
    links: links
    people: { base: "${PEOPLE}" }
    attribute: employeeType
    guards: { maxClearFraction: 0.5 }
`,
    );
    engine = await Engine.open({
      configFile: join(dir, 'gatehouse.yaml'),
      logger: pino({ level: 'silent' }),
      env: { LDAP_PASSWORD: BIND_PASSWORD },
    });
  });
  after(async () => {
    await engine?.close();
    await s?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  async function githubIds(): Promise<Record<string, string>> {
    const out = await s.ldapsearch(['-b', PEOPLE, '(employeeType=*)', 'uid', 'employeeType']);
    const ids: Record<string, string> = {};
    for (const block of out.split('\n\n')) {
      const uid = /^uid: (.+)$/m.exec(block)?.[1];
      const v = /^employeeType: (.+)$/m.exec(block)?.[1];
      if (uid && v) ids[uid] = v;
    }
    return ids;
  }

  async function approved(person: Omit<Parameters<Engine['store']['links']['request']>[0], 'requestedBy'>) {
    const l = await engine.store.links.request({ ...person, requestedBy: person.person }, new Date());
    return (await engine.store.links.transition(l.id, 'pending', 'approved', { by: 'ops', at: new Date() })) as Link;
  }

  const run = async () => {
    const outcome = await engine.reconcile({ mode: 'apply', actor: 'test', signal: AbortSignal.timeout(30_000) });
    const t = outcome.plan.targets[0];
    return { changes: (t?.changes ?? []).map((c) => c.id), blocked: [...(t?.blocked ?? [])] };
  };

  it('an approved link sets the id (joined by Discord id or uid); revoke clears it; a mass clear is blocked', async () => {
    const a = await approved({
      person: `discord:${snowflake(1)}`,
      discord: snowflake(1),
      githubId: 4242,
      githubLogin: 'a',
    });
    const b = await approved({ person: uidOf(2), ldap: uidOf(2), githubId: 5151, githubLogin: 'b' });
    const c = await approved({ person: uidOf(3), ldap: uidOf(3), githubId: 6161, githubLogin: 'c' });
    assert.deepEqual((await run()).changes, [`link-set:${uidOf(1)}`, `link-set:${uidOf(2)}`, `link-set:${uidOf(3)}`]);
    assert.deepEqual(await githubIds(), { [uidOf(1)]: '4242', [uidOf(2)]: '5151', [uidOf(3)]: '6161' });
    assert.deepEqual((await run()).changes, [], 'converged');

    await engine.store.links.transition(a.id, 'approved', 'revoked', { by: 'ops', at: new Date() });
    assert.deepEqual(await run(), { changes: [`link-clear:${uidOf(1)}`], blocked: [] });
    assert.deepEqual(await githubIds(), { [uidOf(2)]: '5151', [uidOf(3)]: '6161' });

    for (const l of [b, c])
      await engine.store.links.transition(l.id, 'approved', 'revoked', { by: 'ops', at: new Date() });
    const mass = await run();
    assert.deepEqual(mass.blocked, [`link-clear:${uidOf(2)}`, `link-clear:${uidOf(3)}`], 'clearing 2 of 2 is over 50%');
    assert.deepEqual(await githubIds(), { [uidOf(2)]: '5151', [uidOf(3)]: '6161' }, 'nothing cleared');
  });
});
