import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { decideLink, type LinkDecision } from '../../src/core/links.ts';
import { openStore, type Store } from '../../src/store/index.ts';
import { useBackends } from './backends.ts';

const T0 = new Date('2026-01-01T00:00:00.000Z');
const T1 = new Date('2026-01-01T06:00:00.000Z');

const alice = {
  person: 'discord:100000000000000001',
  discord: '100000000000000001',
  requestedBy: 'discord:100000000000000001',
};

async function withStore(
  options: Awaited<ReturnType<ReturnType<typeof useBackends>[number]['fresh']>>,
  fn: (s: Store) => Promise<void>,
) {
  const store = await openStore(options);
  try {
    await fn(store);
  } finally {
    await store.close();
  }
}

describe('links in the store', () => {
  for (const backend of useBackends()) {
    describe(backend.name, () => {
      it('records a request, lists and decides it once; one open link per person, one approved per GitHub id', async () => {
        const options = await backend.fresh();
        await withStore(options, async (store) => {
          const l = await store.links.request({ ...alice, githubId: 4242, githubLogin: 'alice-gh' }, T0);
          assert.equal(l.status, 'pending');
          assert.equal(l.requestedAt, T0.toISOString());
          assert.deepEqual(await store.links.get(l.id), l);
          await assert.rejects(store.links.request({ ...alice, githubId: 5555, githubLogin: 'other' }, T1), {
            code: 'USAGE',
            message: /already has a pending or approved link/,
          });
          const approved = await store.links.transition(l.id, 'pending', 'approved', {
            by: 'carol',
            at: T1,
            reason: 'ok',
          });
          assert.deepEqual(
            { status: approved?.status, by: approved?.decidedBy, at: approved?.decidedAt, reason: approved?.reason },
            { status: 'approved', by: 'carol', at: T1.toISOString(), reason: 'ok' },
          );
          assert.equal(
            await store.links.transition(l.id, 'pending', 'rejected', { by: 'dave', at: T1 }),
            undefined,
            'a second decision on a decided link changes nothing',
          );
          assert.equal((await store.links.get(l.id))?.status, 'approved');

          const bob = { person: 'bob', ldap: 'bob', requestedBy: 'bob' };
          const b = await store.links.request({ ...bob, githubId: 4242, githubLogin: 'alice-gh' }, T1);
          await assert.rejects(store.links.transition(b.id, 'pending', 'approved', { by: 'carol', at: T1 }), {
            code: 'USAGE',
            message: /already linked to someone else/,
          });
          assert.deepEqual(
            (await store.links.list({ status: 'pending' })).map((x) => x.person),
            ['bob'],
          );
          assert.deepEqual(
            (await store.links.list()).map((x) => [x.person, x.status]),
            [
              [alice.person, 'approved'],
              ['bob', 'pending'],
            ],
          );
        });
        await withStore(options, async (store) => {
          assert.equal((await store.links.list({ status: 'approved' }))[0]?.githubId, 4242, 'survives a reopen');
        });
      });
    });
  }
});

describe('deciding a link', () => {
  const [pglite] = useBackends();
  const approvers = new Set(['carol', 'dave']);
  const isApprover = (p: string) => Promise.resolve(approvers.has(p));

  async function decide(store: Store, id: string, decision: LinkDecision, decider: string, reason?: string) {
    return decideLink({
      links: store.links,
      audit: store.audit,
      id,
      decision,
      decider,
      actor: `test:${decider}`,
      isApprover,
      ...(reason ? { reason } : {}),
    });
  }

  it('only an approver decides, never on their own request; every attempt is audited', async () => {
    await withStore(await pglite!.fresh(), async (store) => {
      const own = await store.links.request(
        { person: 'carol', requestedBy: 'carol', githubId: 7, githubLogin: 'c' },
        T0,
      );
      await assert.rejects(decide(store, own.id, 'approve', 'carol'), {
        code: 'FORBIDDEN',
        message: /carol cannot decide their own request/,
      });
      const l = await store.links.request({ ...alice, githubId: 4242, githubLogin: 'alice-gh' }, T0);
      await assert.rejects(decide(store, l.id, 'approve', 'mallory'), {
        code: 'FORBIDDEN',
        message: /mallory is not an approver/,
      });
      await assert.rejects(decide(store, l.id, 'approve', alice.person), { code: 'FORBIDDEN' });
      assert.equal((await store.links.get(l.id))?.status, 'pending', 'refusals change nothing');

      const approved = await decide(store, l.id, 'approve', 'dave', 'known member');
      assert.equal(approved.status, 'approved');
      await assert.rejects(decide(store, l.id, 'reject', 'carol'), { code: 'USAGE', message: /the link is approved/ });
      await assert.rejects(decide(store, 'no-such-id', 'approve', 'carol'), { code: 'USAGE', message: /no such link/ });

      const revoked = await decide(store, l.id, 'revoke', alice.person);
      assert.equal(revoked.status, 'revoked', 'a person may unlink their own account');

      const audit = (await store.audit.list()).map((r) => [r.action, r.actor, r.kind, r.status, r.message ?? '']);
      assert.deepEqual(audit, [
        ['link-decision', 'test:carol', 'approve', 'refused', 'carol cannot decide their own request'],
        ['link-decision', 'test:mallory', 'approve', 'refused', 'mallory is not an approver'],
        [
          'link-decision',
          `test:${alice.person}`,
          'approve',
          'refused',
          `${alice.person} cannot decide their own request`,
        ],
        ['link-decision', 'test:dave', 'approve', 'applied', 'known member'],
        ['link-decision', 'test:carol', 'reject', 'refused', 'the link is approved'],
        ['link-decision', 'test:carol', 'approve', 'refused', 'no such link'],
        ['link-decision', `test:${alice.person}`, 'revoke', 'applied', ''],
      ]);
    });
  });

  it('an approver check that fails refuses the decision', async () => {
    await withStore(await pglite!.fresh(), async (store) => {
      const l = await store.links.request({ ...alice, githubId: 4242, githubLogin: 'alice-gh' }, T0);
      await assert.rejects(
        decideLink({
          links: store.links,
          audit: store.audit,
          id: l.id,
          decision: 'approve',
          decider: 'carol',
          actor: 'test:carol',
          isApprover: () => Promise.reject(new Error('source approvers: read incomplete')),
        }),
        { code: 'FORBIDDEN', message: /could not check that carol is an approver: source approvers: read incomplete/ },
      );
      assert.equal((await store.links.get(l.id))?.status, 'pending');
    });
  });
});
