import assert from 'node:assert/strict';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { gatehouse } from '../e2e/cli.ts';
import { skipUnlessPostfix, startPostfix, type Postfix } from '../harness/postfix.ts';
import { BIND_DN, BIND_PASSWORD, GROUPS, PEOPLE, skipUnlessSlapd, startSlapd, type Slapd } from '../harness/slapd.ts';

const PASSWORDS = { alice: 'alice-pw-4711', mallory: 'mallory-pw-666', carol: 'carol-pw-1234' };
const HOSTILE = 'mallory@example.org\nalice@example.org mallory';

function user(uid: string, mails: string[]): string {
  const lines = mails.map((m) => (/[\s]/.test(m) ? `mail:: ${Buffer.from(m).toString('base64')}` : `mail: ${m}`));
  return `dn: uid=${uid},${PEOPLE}\nobjectClass: inetOrgPerson\nuid: ${uid}\ncn: ${uid}\nsn: ${uid}\n${lines.join('\n')}\n\n`;
}

/**
 * LDAP (a real slapd) → postfix-sender-logins → a real Postfix, through the CLI: what the directory holds, hostile
 * values included, and what happens when postmap fails or the directory reads empty.
 */
describe(
  'sender logins from a real directory on a real Postfix',
  { skip: skipUnlessPostfix() || skipUnlessSlapd() },
  () => {
    let pf: Postfix;
    let s: Slapd;
    let config: string;
    const env = { LDAP_PASSWORD: BIND_PASSWORD };
    const writeConfig = async (o: { postmap?: string; filter?: string; allowEmpty?: boolean } = {}) => {
      await writeFile(
        config,
        `state: { dir: state }
sources:
  dir:
    type: ldap
    connection: { url: "${s.url}", bindDn: "${BIND_DN}", bindPassword: "\${env:LDAP_PASSWORD}", timeoutMs: 20000 }
    people: { base: "${PEOPLE}"${o.filter ? `, filter: "${o.filter}"` : ''} }
    groups: { base: "${GROUPS}" }${o.allowEmpty ? '\n    allowEmpty: true' : ''}
targets:
  mail:
    type: postfix-sender-logins
    table: ${pf.table}
    postfix: { configDir: ${pf.configDir}${o.postmap ? `, postmap: ${o.postmap}` : ''} }
    people: { from: [dir] }
    groupAddresses:
      - { address: devops@example.org, group: dir/devops }
    maxShrink: 1
`,
      );
    };
    const cli = (...args: string[]) => gatehouse(['-c', config, ...args], { env });
    const from = (u: keyof typeof PASSWORDS, address: string) => pf.mailFrom(u, PASSWORDS[u], address);

    before(async () => {
      s = await startSlapd({
        ldif:
          user('alice', ['alice@example.org']) +
          user('carol', ['carol@example.org']) +
          user('mallory', [HOSTILE, 'mallory@example.org']) +
          user('eve', ['eve @example.org']) +
          `dn: cn=devops,${GROUPS}\nobjectClass: groupOfNames\ncn: devops\nmember: uid=alice,${PEOPLE}\nmember: uid=carol,${PEOPLE}\n\n`,
      });
      pf = await startPostfix({ users: PASSWORDS, initialTable: ['postmaster@example.org carol'] });
      config = join(pf.dir, 'gatehouse.yaml');
      await writeConfig();
    });
    after(async () => {
      await pf?.stop();
      await s?.stop();
    });

    it('a directory value with a newline or a space never reaches the table; the plan names its origin', async () => {
      const r = await cli('apply', '--auto-approve');
      assert.match(
        r.stdout,
        /invalid-value: source dir, person ldap:mallory: address "mallory@example.org\\nalice@example.org mallory" contains a line break; left out/,
      );
      assert.match(
        r.stdout,
        /invalid-value: source dir, person ldap:eve: address "eve @example.org" contains whitespace; left out/,
      );
      const text = await readFile(pf.table, 'utf8');
      assert.doesNotMatch(text, /alice@example\.org mallory|eve /);
      assert.match(text, /^mallory@example\.org mallory$/m);
      assert.equal((await from('mallory', 'alice@example.org')).code, 553);
      assert.equal((await from('mallory', 'mallory@example.org')).code, 250);
      assert.equal((await from('alice', 'devops@example.org')).code, 250);
    });

    it('a failing postmap keeps the old table and fails the change with postmap’s message', async () => {
      await s.ldapmodify(`dn: cn=devops,${GROUPS}\nchangetype: modify\ndelete: member\nmember: uid=alice,${PEOPLE}\n`);
      const db = await readFile(`${pf.table}.db`);
      await writeConfig({ postmap: '[prlimit, --fsize=4096, postmap]' });
      const r = await cli('apply', '--auto-approve');
      assert.notEqual(r.code, 0, r.stdout);
      assert.match(r.stdout + r.stderr, /postmap: fatal: .*File too large/);
      assert.deepEqual(await readFile(`${pf.table}.db`), db);
      // smtpd still answers from the old table.
      assert.equal((await from('alice', 'devops@example.org')).code, 250);
      await writeConfig();
      const ok = await cli('apply', '--auto-approve');
      assert.match(ok.stdout, /devops@example\.org → alice/);
      assert.equal((await from('alice', 'devops@example.org')).code, 553);
    });

    it('an empty directory read is suspicious (snapshot used); allowed empty, never-empty fires; the table stays', async () => {
      const db = await readFile(`${pf.table}.db`);
      await writeConfig({ filter: '(uid=nobody-matches-this)' });
      const suspicious = await cli('apply', '--auto-approve');
      assert.equal(suspicious.code, 3, suspicious.stdout + suspicious.stderr);
      assert.match(suspicious.stdout, /no entries.*snapshot|snapshot/);
      assert.deepEqual(await readFile(`${pf.table}.db`), db);
      await writeConfig({ filter: '(uid=nobody-matches-this)', allowEmpty: true });
      const r = await cli('apply', '--auto-approve');
      assert.equal(r.code, 3, r.stdout + r.stderr);
      assert.match(r.stdout, /never-empty: sender login table .* would become empty/);
      assert.deepEqual(await readFile(`${pf.table}.db`), db);
      assert.equal((await from('carol', 'devops@example.org')).code, 250);
      assert.equal((await from('alice', 'alice@example.org')).code, 250);
    });
  },
);
