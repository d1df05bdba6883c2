import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Link } from '../../src/core/links.ts';
import type { Plan } from '../../src/core/plan.ts';
import { openStore } from '../../src/store/index.ts';
import { gatehouse } from '../e2e/cli.ts';
import { startGithubFake, type GithubFake } from '../fakes/github/index.ts';

/**
 * `gatehouse link` through the real CLI against a GitHub fake: a devops group (static source) grants org membership by
 * GitHub id; alice has no GitHub id until her link is approved; carol is the approver.
 */
describe('gatehouse link: approved links feed the github target', () => {
  let fake: GithubFake;
  let dir: string;
  let config: string;
  let env: NodeJS.ProcessEnv;

  before(async () => {
    fake = await startGithubFake({ org: 'acme', rateLimit: 1_000_000 });
    for (const [login, id] of [
      ['owner', 1],
      ['bob-gh', 12],
      ['alice-gh', 4242],
    ] as const)
      fake.addUser(login, id);
    fake.addMember(1, 'admin');
    fake.addMember(12);
    env = { GH_TOKEN: fake.issueToken(1), GATEHOUSE_ACTOR: 'cli:ops' };
    dir = await mkdtemp(join(tmpdir(), 'gatehouse-links-'));
    config = join(dir, 'gatehouse.yaml');
    await writeFile(
      config,
      `sources:
  people:
    type: static
    people:
      - { id: alice }
      - { id: bob, github: 12 }
      - { id: carol }
    groups:
      devops: [alice, bob]
      approvers: [carol]
  links:
    type: links
links:
  approvers: [people/approvers]
targets:
  gh:
    type: github
    org: acme
    apiUrl: ${fake.url}
    auth: { token: "\${env:GH_TOKEN}" }
    members: [people/devops]
    people: [people, links]
    protected: [1]
    writeSpacingMs: 0
`,
    );
  });
  after(async () => {
    await fake?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  const cli = (...args: string[]) => gatehouse(['-c', config, ...args], { env });

  async function plan(): Promise<{ changes: string[]; notes: string[] }> {
    const r = await cli('plan', '--output', 'json');
    assert.ok(r.code === 0 || r.code === 2, `${r.code}: ${r.stdout.slice(0, 3000)} ${r.stderr}`);
    const p = JSON.parse(r.stdout) as Plan;
    const gh = p.targets.find((t) => t.name === 'gh');
    return { changes: (gh?.changes ?? []).map((c) => c.id), notes: [...(gh?.notes ?? [])] };
  }

  async function request(): Promise<Link> {
    // Requests come from the OAuth web flow; here one is written the way that flow writes it.
    const store = await openStore({ stateDir: join(dir, '.gatehouse') });
    try {
      return await store.links.request(
        { person: 'alice', ldap: 'alice', githubId: 4242, githubLogin: 'alice-gh', requestedBy: 'alice' },
        new Date(),
      );
    } finally {
      await store.close();
    }
  }

  it('pending: no grant and a note; own and non-approver decisions refused; an approver approves; revoke removes', async () => {
    const link = await request();
    const before = await plan();
    assert.deepEqual(before.changes, []);
    assert.ok(
      before.notes.some((n) =>
        /^group people\/devops: \d+ member\(s\) have no github account; nothing is granted to them: .*\balice\b/.test(
          n,
        ),
      ),
      before.notes.join('\n'),
    );

    const own = await cli('link', 'approve', link.id, '--as', 'alice');
    assert.equal(own.code, 1);
    assert.match(own.stderr, /alice cannot decide their own request \[FORBIDDEN\]/);
    const bob = await cli('link', 'approve', link.id, '--as', 'bob', '--output', 'json');
    assert.equal(bob.code, 1);
    assert.deepEqual(JSON.parse(bob.stdout), {
      error: { code: 'FORBIDDEN', message: `approve alice → github 4242 (alice-gh) refused: bob is not an approver` },
    });
    const listed = await cli('link', 'list', '--status', 'pending', '--output', 'json');
    assert.deepEqual(
      (JSON.parse(listed.stdout) as Link[]).map((l) => [l.id, l.status]),
      [[link.id, 'pending']],
    );

    const ok = await cli('link', 'approve', link.id, '--as', 'carol', '--reason', 'known', '--output', 'json');
    assert.equal(ok.code, 0, ok.stderr);
    assert.deepEqual(
      (({ status, decidedBy, reason }: Link) => ({ status, decidedBy, reason }))(JSON.parse(ok.stdout) as Link),
      { status: 'approved', decidedBy: 'carol', reason: 'known' },
    );
    const shown = await cli('link', 'show', link.id);
    assert.match(shown.stdout, /^status {4}approved$/m);
    assert.match(shown.stdout, /^decided {3}\S+ by carol$/m);

    const approved = await plan();
    assert.deepEqual(approved.changes, ['invite:4242'], 'the next plan invites the linked numeric id');
    assert.ok(!approved.notes.some((n) => n.startsWith('person alice')), approved.notes.join('\n'));
    const applied = await cli('apply', '--auto-approve');
    assert.equal(applied.code, 0, applied.stdout + applied.stderr);
    assert.deepEqual(
      [...fake.state.org.invitations.values()].map((i) => i.inviteeId),
      [4242],
    );

    const revoked = await cli('link', 'revoke', link.id, '--as', 'carol', '--reason', 'left');
    assert.equal(revoked.code, 0, revoked.stderr);
    assert.equal(revoked.stdout, 'revoked: alice → github 4242 (alice-gh)\n');
    const invitation = [...fake.state.org.invitations.entries()].find(([, i]) => i.inviteeId === 4242)?.[0];
    assert.ok(invitation !== undefined, 'alice was invited');
    assert.deepEqual((await plan()).changes, [`cancel-invitation:${invitation}`], 'revoked: the grant is withdrawn');
    // Unless another grant holds: the static source giving alice the same GitHub id keeps her invitation.
    const text = await readFile(config, 'utf8');
    await writeFile(config, text.replace('- { id: alice }', '- { id: alice, github: 4242 }'));
    assert.deepEqual((await plan()).changes, [], 'another grant holds: nothing is withdrawn');
    await writeFile(config, text);

    const audit = await cli('audit', '--output', 'json');
    const decisions = (JSON.parse(audit.stdout) as { action: string; actor: string; kind: string; status: string }[])
      .filter((r) => r.action === 'link-decision')
      .map((r) => [r.actor, r.kind, r.status]);
    assert.deepEqual(decisions, [
      ['cli:ops as alice', 'approve', 'refused'],
      ['cli:ops as bob', 'approve', 'refused'],
      ['cli:ops as carol', 'approve', 'applied'],
      ['cli:ops as carol', 'revoke', 'applied'],
    ]);
  });
});
