import assert from 'node:assert/strict';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { installTable, renderTable } from '../../src/targets/postfix-sender-logins/index.ts';
import { gatehouse } from '../e2e/cli.ts';
import { skipUnlessPostfix, startPostfix, type Postfix } from '../harness/postfix.ts';

const PASSWORDS = { alice: 'alice-pw-4711', bob: 'bob-pw-0815', carol: 'carol-pw-1234', 'svc-mailer': 'svc-pw-42' };

/**
 * The acceptance of the sender login table on a real Postfix, through the real CLI: a static source declares people
 * (uid = SASL login) and the `devops` group; `gatehouse apply` writes and compiles the table; a nodemailer SMTP
 * session authenticates and offers MAIL FROM. smtpd_delay_reject=no in the harness, so the verdict is the reply to
 * MAIL FROM itself (250 or 553).
 */
describe('postfix-sender-logins on a real Postfix, through the CLI', { skip: skipUnlessPostfix() }, () => {
  let pf: Postfix;
  let config: string;

  const writeConfig = async (devops: string[], extra: { aliceMail?: string; mallory?: string } = {}) => {
    await writeFile(
      config,
      `state: { dir: state }
sources:
  dir:
    type: static
    people:
      - { id: alice, ldap: alice, emails: [${extra.aliceMail ?? 'alice@example.org'}] }
      - { id: bob, ldap: bob, emails: [bob@example.org] }
      - { id: carol, ldap: carol, emails: [carol@example.org] }
    groups:
      devops: [${devops.join(', ')}]
targets:
  mail:
    type: postfix-sender-logins
    table: ${pf.table}
    postfix: { configDir: ${pf.configDir} }
    people: { from: [dir] }
    aliasDomains: { example.org: [example.net] }
    groupAddresses:
      - { address: devops@example.org, group: dir/devops }
    static:
      - { address: noreply@int.example.org, logins: [svc-mailer] }
      - { address: '@relay.example.org', logins: [svc-mailer] }
    maxShrink: 1
`,
    );
  };
  const apply = () => gatehouse(['-c', config, 'apply', '--auto-approve']);
  const from = (user: keyof typeof PASSWORDS, address: string) => pf.mailFrom(user, PASSWORDS[user], address);

  before(async () => {
    pf = await startPostfix({ users: PASSWORDS, initialTable: ['noreply@int.example.org svc-mailer'] });
    config = join(pf.dir, 'gatehouse.yaml');
  });
  after(async () => {
    await pf?.stop();
  });

  it('before any apply only the service sender is owned: alice cannot use her own address', async () => {
    assert.equal((await from('svc-mailer', 'noreply@int.example.org')).code, 250);
    assert.equal((await from('alice', 'alice@example.org')).code, 553);
  });

  it('after apply: alice sends as herself and as devops@ while in the group, never as bob', async () => {
    await writeConfig(['alice', 'carol']);
    const r = await apply();
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.equal((await from('alice', 'alice@example.org')).code, 250);
    assert.equal((await from('alice', 'alice@example.net')).code, 250, 'alias domain');
    assert.equal((await from('alice', 'devops@example.org')).code, 250);
    const bob = await from('alice', 'bob@example.org');
    assert.equal(bob.code, 553);
    assert.match(bob.text, /not owned by user alice/);
    assert.equal((await from('bob', 'devops@example.org')).code, 553);
    assert.equal((await from('svc-mailer', 'noreply@int.example.org')).code, 250);
    // The configured catch-all: any local part of the domain, for that login only.
    assert.equal((await from('svc-mailer', 'anything@relay.example.org')).code, 250);
    assert.equal((await from('alice', 'anything@relay.example.org')).code, 553);
    const again = await gatehouse(['-c', config, 'plan', '--detailed-exitcode']);
    assert.equal(again.code, 0, again.stdout);
  });

  it('after alice leaves the group and the next apply, devops@ is refused to her and still open to carol', async () => {
    await writeConfig(['carol']);
    const r = await apply();
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.equal((await from('alice', 'devops@example.org')).code, 553);
    assert.equal((await from('carol', 'devops@example.org')).code, 250);
    assert.equal((await from('alice', 'alice@example.org')).code, 250);
  });

  it('two tables installed within one second: smtpd uses the newer one', async () => {
    const tools = { postmap: ['postmap'], configDir: pf.configDir, timeoutMs: 30_000 };
    const signal = AbortSignal.timeout(30_000);
    const table = (devops: string) => renderTable(['alice@example.org alice', `devops@example.org ${devops}`], 'mail');
    for (let round = 0; round < 3; round++) {
      await installTable(pf.table, 'hash', table('alice,carol'), tools, signal);
      assert.equal((await from('alice', 'devops@example.org')).code, 250, `round ${round}: first table`);
      await installTable(pf.table, 'hash', table('carol'), tools, signal);
      assert.equal((await from('alice', 'devops@example.org')).code, 553, `round ${round}: second table`);
    }
    // Leave the table as gatehouse's config wants it.
    assert.equal((await apply()).code, 0);
  });

  it('a hand edit of the live table shows as drift in the plan and is undone by apply', async () => {
    // A human edits some time after the last apply (gatehouse may have dated the table up to a second ahead).
    await new Promise((r) => setTimeout(r, 2100));
    await writeFile(pf.table, `${await readFile(pf.table, 'utf8')}ceo@example.org bob\n`);
    const { execFileSync } = await import('node:child_process');
    execFileSync('postmap', ['-c', pf.configDir, `hash:${pf.table}`]);
    assert.equal((await from('bob', 'ceo@example.org')).code, 250);
    const plan = await gatehouse(['-c', config, 'plan', '--detailed-exitcode']);
    assert.equal(plan.code, 2, plan.stdout);
    assert.match(plan.stdout, /ceo@example\.org → bob/);
    assert.equal((await apply()).code, 0);
    assert.equal((await from('bob', 'ceo@example.org')).code, 553);
  });
});
