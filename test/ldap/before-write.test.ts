import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { applyPlan } from '../../src/core/apply.ts';
import { GatehouseError } from '../../src/core/errors.ts';
import { buildPlan } from '../../src/core/pipeline.ts';
import { MemoryStore } from '../../src/core/testing/memory-store.ts';
import { staticSource } from '../../src/sources/static/index.ts';
import { ldapGroupsTarget } from '../../src/targets/ldap-groups/index.ts';
import { testDeps } from '../../src/testing/plugin-deps.ts';
import { BIND_DN, BIND_PASSWORD, GROUPS, PEOPLE, skipUnlessSlapd, startSlapd, type Slapd } from '../harness/slapd.ts';
import { EMPTY_MEMBER, directoryLdif, snowflake, userDn } from './directory.ts';

/**
 * The daemon checks it may still write (leadership) before every change. ldap-groups applies its changes over one
 * connection; that must not turn several changes into one unchecked write.
 */
describe('ldap-groups: the before-write check runs before every change', { skip: skipUnlessSlapd() }, () => {
  let s: Slapd;
  const deps = testDeps();
  before(async () => {
    s = await startSlapd({
      ldif: directoryLdif({
        users: 3,
        groups: ['a', 'b', 'c'].map((cn) => ({ cn, members: [EMPTY_MEMBER] })),
      }),
    });
  });
  after(async () => {
    await s?.stop();
  });

  const members = async (cn: string) =>
    (await s.ldapsearch(['-b', `cn=${cn},${GROUPS}`, '-s', 'base', '(objectClass=*)', 'member']))
      .split('\n')
      .filter((l) => l.startsWith('member: '))
      .map((l) => l.slice(8).toLowerCase())
      .sort();

  it('after the first change, a refused check skips the rest: one group written, two left alone, one session', async () => {
    const source = staticSource.create(
      'roles',
      staticSource.schema.parse({
        type: 'static',
        people: [0, 1, 2].map((i) => ({ id: `p${i}`, discord: snowflake(i) })),
        groups: { a: ['p0'], b: ['p1'], c: ['p2'] },
      }),
      deps,
    );
    const target = ldapGroupsTarget.create(
      'ldap',
      ldapGroupsTarget.schema.parse({
        type: 'ldap-groups',
        connection: { url: s.url, bindDn: BIND_DN, bindPassword: BIND_PASSWORD },
        people: { base: PEOPLE },
        mappings: ['a', 'b', 'c'].map((cn) => ({ group: `roles/${cn}`, ldapGroup: `cn=${cn},${GROUPS}` })),
        emptyMember: EMPTY_MEMBER,
      }),
      deps,
    );
    const store = new MemoryStore();
    const signal = AbortSignal.timeout(30_000);
    const { plan, observed } = await buildPlan({
      configDigest: 'c',
      sources: [source],
      targets: [target],
      snapshots: store,
      signal,
    });
    assert.equal(plan.targets[0]?.changes.length, 3);
    let checks = 0;
    const opsBefore = target.ldapOps;
    const [report] = await applyPlan({
      plan,
      configDigest: 'c',
      targets: [target],
      audit: store,
      actor: 'test',
      signal,
      observed,
      beforeWrite: () => {
        checks++;
        return checks > 1 ? Promise.reject(new GatehouseError('STORE_LOCKED', 'leadership lost')) : Promise.resolve();
      },
    });
    assert.deepEqual(
      report?.results.map((r) => [r.status, r.errorCode]),
      [
        ['applied', undefined],
        ['skipped', 'STORE_LOCKED'],
        ['skipped', 'STORE_LOCKED'],
      ],
    );
    assert.equal(checks, 2, 'checked before the first and the second change; the third is skipped without asking');
    const written = [await members('a'), await members('b'), await members('c')].map((m) => m.length > 1);
    assert.deepEqual(written, [true, false, false]);
    assert.ok((await members('a')).includes(userDn(0).toLowerCase()));
    // Bind, one modify: one session for the run.
    assert.ok(target.ldapOps - opsBefore <= 3, String(target.ldapOps - opsBefore));
  });
});
