import { generateKeyPairSync } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startDiscordFake, type DiscordFake } from '../fakes/discord/index.ts';
import { startGithubFake, type GithubFake } from '../fakes/github/index.ts';
import { startOAuthFake, type OAuthFake } from '../fakes/oauth/server.ts';

export const CHANNEL = '930000000000000001';
export const DEVOPS = '940000000000000001';
export const COMMUNITY = '940000000000000002';
/** Discord users: alice asks for a link, bob is a plain member, carol is in DevOps (an approver). */
export const ALICE = '800000000000000001';
export const BOB = '800000000000000002';
export const CAROL = '800000000000000003';
/** alice's GitHub account. */
export const ALICE_GH = 4242;

/**
 * Everything a links deployment talks to, on loopback: a Discord fake (members, roles, the approvers' channel, OAuth2
 * user tokens), a GitHub fake (the org, `/user`), and an OAuth authorization server for each; plus a configuration
 * whose github target grants org membership to the Community role through approved links.
 */
export class LinksWorld {
  discord!: DiscordFake;
  github!: GithubFake;
  githubOAuth!: OAuthFake;
  discordOAuth!: OAuthFake;
  dir = '';
  config = '';
  readonly env: NodeJS.ProcessEnv = {};

  /** `serve`: a `serve:` block to add (listen address, pass interval) for tests that run the daemon. */
  static async start(publicUrl: string, serve?: { listen: string; fullPass: string }): Promise<LinksWorld> {
    const w = new LinksWorld();
    w.discord = await startDiscordFake();
    w.discord.addRole(DEVOPS, 'DevOps');
    w.discord.addRole(COMMUNITY, 'Community');
    w.discord.addChannel(CHANNEL);
    w.discord.addMember({ id: ALICE, username: 'alice', roles: [COMMUNITY] });
    w.discord.addMember({ id: BOB, username: 'bob' });
    w.discord.addMember({ id: CAROL, username: 'carol', roles: [DEVOPS] });
    w.github = await startGithubFake({ org: 'acme', rateLimit: 1_000_000 });
    w.github.addUser('owner', 1);
    w.github.addUser('alice-gh', ALICE_GH);
    w.github.addUser('carol-gh', 5151);
    w.github.addMember(1, 'admin');
    const base = publicUrl.replace(/\/+$/, '');
    w.githubOAuth = await startOAuthFake({
      name: 'GitHub',
      clientId: 'gh-client',
      clientSecret: 'gh-client-secret-0123456789',
      redirectUri: `${base}/auth/github/callback`,
      onToken: (user, token) => void w.github.issueToken(Number(user), token),
    });
    w.discordOAuth = await startOAuthFake({
      name: 'Discord',
      clientId: '900000000000000009',
      clientSecret: 'discord-client-secret-0123456789',
      redirectUri: `${base}/auth/discord/callback`,
      onToken: (user, token) => void w.discord.oauthTokens.set(token, user),
    });
    const { publicKey } = generateKeyPairSync('ed25519');
    const publicHex = Buffer.from(publicKey.export({ format: 'jwk' }).x as string, 'base64url').toString('hex');
    Object.assign(w.env, {
      DISCORD_TOKEN: w.discord.token,
      GH_TOKEN: w.github.issueToken(1),
      GH_CLIENT_SECRET: 'gh-client-secret-0123456789',
      DISCORD_CLIENT_SECRET: 'discord-client-secret-0123456789',
    });
    w.dir = await mkdtemp(join(tmpdir(), 'gatehouse-links-web-'));
    w.config = join(w.dir, 'gatehouse.yaml');
    await writeFile(
      w.config,
      `sources:
  discord:
    type: discord
    token: "\${env:DISCORD_TOKEN}"
    guildId: "${w.discord.state.guildId}"
    apiUrl: ${w.discord.apiUrl}
    roleGroups: name
  links:
    type: links
links:
  approvers: [discord/DevOps]
  publicUrl: ${base}
  discord:
    applicationId: "900000000000000009"
    publicKey: ${publicHex}
    token: "\${env:DISCORD_TOKEN}"
    guildId: "${w.discord.state.guildId}"
    channelId: "${CHANNEL}"
    apiUrl: ${w.discord.apiUrl}
  web:
    github:
      clientId: gh-client
      clientSecret: "\${env:GH_CLIENT_SECRET}"
      authorizeUrl: ${w.githubOAuth.authorizeUrl}
      tokenUrl: ${w.githubOAuth.tokenUrl}
      apiUrl: ${w.github.url}
    discord:
      clientId: "900000000000000009"
      clientSecret: "\${env:DISCORD_CLIENT_SECRET}"
      authorizeUrl: ${w.discordOAuth.authorizeUrl}
      tokenUrl: ${w.discordOAuth.tokenUrl}
      apiUrl: ${w.discord.apiUrl}
targets:
  gh:
    type: github
    org: acme
    apiUrl: ${w.github.url}
    auth: { token: "\${env:GH_TOKEN}" }
    members: [discord/Community]
    people: [discord, links]
    protected: [1]
    writeSpacingMs: 0
${serve ? `serve:\n  listen: "${serve.listen}"\n  fullPass: ${serve.fullPass}\n` : ''}`,
    );
    return w;
  }

  async close(): Promise<void> {
    await Promise.all([
      this.discord?.close(),
      this.github?.close(),
      this.githubOAuth?.close(),
      this.discordOAuth?.close(),
    ]);
    if (this.dir) await rm(this.dir, { recursive: true, force: true });
  }

  assertClean(): void {
    this.discord.assertClean();
    this.github.assertClean();
    this.githubOAuth.assertClean();
    this.discordOAuth.assertClean();
  }
}
