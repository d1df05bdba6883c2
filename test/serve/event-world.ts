import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startDiscordFake, type DiscordFake } from '../fakes/discord/index.ts';
import { startGithubFake, type GithubFake } from '../fakes/github/index.ts';
import { resetOrg } from '../github/world.ts';
import { BIND_DN, BIND_PASSWORD, GROUPS, PEOPLE, startSlapd, type Slapd } from '../harness/slapd.ts';
import { EMPTY_MEMBER, directoryLdif, snowflake, userDn } from '../ldap/directory.ts';

export const STAFF = '910000000000000010';
export const SRE = '910000000000000011';
export const SRE_DN = `cn=sre,${GROUPS}`;
export const WEBHOOK_SECRET = 'webhook-secret-for-the-event-tests';

/**
 * Discord member `i` (user id `snowflake(i)`, LDAP account `userDn(i)`) and the GitHub account the `people` source
 * gives them. Everyone holds the Staff role (→ org member); member 2 also holds SRE (→ team sre, LDAP group sre).
 */
export const LINKED: readonly { readonly i: number; readonly github: number }[] = [
  { i: 1, github: 15 }, // erin
  { i: 2, github: 12 }, // bob
  { i: 3, github: 16 }, // dave
];

/**
 * One deployment of the event path, all on loopback: a Discord fake (REST + gateway), a real slapd, a GitHub fake,
 * and a config with a `discord` source, a static `people` source that gives Discord people their GitHub ids, an
 * `ldap-groups` target (`directory`: role SRE → cn=sre) and a `github` target (`gh`: Staff → org members, SRE → team
 * sre; the static owners group → org owners; members nobody claims are removed). The start state is converged: the first
 * reconcile changes nothing.
 */
export class EventWorld {
  readonly dir = mkdtempSync(join(tmpdir(), 'gatehouse-events-'));
  discord!: DiscordFake;
  github!: GithubFake;
  slapd!: Slapd;
  token = '';

  async start(): Promise<this> {
    this.slapd = await startSlapd({
      bindUnlimited: true,
      ldif: directoryLdif({ users: 10, groups: [{ cn: 'sre', members: [EMPTY_MEMBER, userDn(2)] }] }),
    });
    this.discord = await startDiscordFake();
    this.discord.addRole(STAFF, 'Staff');
    this.discord.addRole(SRE, 'SRE');
    for (const { i } of LINKED) this.discord.addMember({ id: snowflake(i), roles: i === 2 ? [STAFF, SRE] : [STAFF] });
    this.github = await startGithubFake();
    this.resetGithub();
    return this;
  }

  /** The org of `resetOrg` plus dave (16, a member), and team sre holding bob: what the start config wants. */
  resetGithub(): void {
    resetOrg(this.github, [['dave', 16]]);
    this.github.addMember(16);
    this.github.addTeam('sre');
    this.github.addTeamMember('sre', 12);
    this.token = this.github.issueToken(1);
  }

  /** Writes a config file (name.yaml) and returns its path. */
  config(
    name: string,
    o: { writeSpacingMs?: number; webhook?: boolean; fullPass?: string; extra?: Record<string, unknown> } = {},
  ): string {
    const file = join(this.dir, `${name}.yaml`);
    const config = {
      state: { dir: `state-${name}` },
      serve: {
        listen: '127.0.0.1:0',
        fullPass: o.fullPass ?? '1h',
        ...(o.webhook ? { githubWebhook: { secret: '${env:GATEHOUSE_WEBHOOK_SECRET}' } } : {}),
      },
      sources: {
        discord: {
          type: 'discord',
          token: '${env:DISCORD_TOKEN}',
          guildId: this.discord.state.guildId,
          apiUrl: this.discord.apiUrl,
          retries: 1,
          timeoutMs: 5000,
        },
        people: {
          type: 'static',
          people: [
            { id: 'owner', github: 1 },
            { id: 'carol', github: 13 },
            ...LINKED.map(({ i, github }) => ({ id: `discord:${snowflake(i)}`, github })),
          ],
          groups: { owners: ['owner', 'carol'] },
        },
      },
      targets: {
        directory: {
          type: 'ldap-groups',
          connection: { url: this.slapd.url, bindDn: BIND_DN, bindPassword: '${env:LDAP_BIND_PASSWORD}' },
          people: { base: PEOPLE },
          mappings: [{ group: 'discord/SRE', ldapGroup: SRE_DN }],
          emptyMember: EMPTY_MEMBER,
        },
        gh: {
          type: 'github',
          org: this.github.state.org.login,
          apiUrl: this.github.url,
          auth: { token: '${env:GITHUB_TOKEN}' },
          people: ['people'],
          admins: ['people/owners'],
          members: ['discord/Staff'],
          teams: { sre: { members: ['discord/SRE'] } },
          unmanagedMembers: 'remove',
          writeSpacingMs: o.writeSpacingMs ?? 50,
        },
      },
      ...o.extra,
    };
    writeFileSync(file, JSON.stringify(config, null, 2));
    return file;
  }

  /** The environment the config's references read. */
  env(): NodeJS.ProcessEnv {
    return {
      DISCORD_TOKEN: this.discord.token,
      GITHUB_TOKEN: this.token,
      LDAP_BIND_PASSWORD: BIND_PASSWORD,
      GATEHOUSE_WEBHOOK_SECRET: WEBHOOK_SECRET,
    };
  }

  /** Members of cn=sre as slapd itself answers (ldapsearch), sorted. */
  async sreMembers(): Promise<string[]> {
    return (await this.slapd.ldapsearch(['-b', SRE_DN, '-s', 'base', '(objectClass=*)', 'member']))
      .split('\n')
      .filter((l) => l.startsWith('member: '))
      .map((l) => l.slice(8))
      .sort();
  }

  /** GitHub ids in team sre of the fake, sorted. */
  teamMembers(): number[] {
    return [...(this.github.state.org.teams.get('sre')?.members.keys() ?? [])].sort((a, b) => a - b);
  }

  async close(): Promise<void> {
    await this.discord?.close();
    await this.github?.close();
    await this.slapd?.stop();
    rmSync(this.dir, { recursive: true, force: true });
  }
}
