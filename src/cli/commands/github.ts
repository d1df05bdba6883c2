import { writeFileSync } from 'node:fs';
import { Command, Option } from 'commander';
import { MemoryCache } from '../../core/cache.ts';
import { GatehouseError } from '../../core/errors.ts';
import { registerSecret } from '../../core/redact.ts';
import type { GithubConfig } from '../../targets/github/config.ts';
import { globals, interruptSignal } from '../context.ts';
import { createLogger, print } from '../output.ts';

interface DumpFlags {
  target?: string;
  org?: string;
  apiUrl: string;
  tokenEnv: string;
  out?: string;
  source: string;
  targetName: string;
}

/** `gatehouse github …`: tools for the github target. */
export function githubCommand(): Command {
  const github = new Command('github').description('Tools for the github target.');
  github.addCommand(
    new Command('dump')
      .description(
        "Write a GitHub org's current members, owners, teams and pending invitations as gatehouse configuration " +
          '(people keyed by numeric GitHub id, groups per role and team, and the github target mapping), to adopt an ' +
          'existing org. Reads only.',
      )
      .option('--target <name>', 'read org, apiUrl and credentials from this github target of the configuration')
      .option('--org <login>', 'the organisation (instead of --target)')
      .option('--api-url <url>', 'REST API base URL (with --org)', 'https://api.github.com')
      .option('--token-env <NAME>', 'environment variable holding the token (with --org)', 'GITHUB_TOKEN')
      .option('--out <file>', 'write to this file instead of stdout')
      .addOption(new Option('--source <name>', 'name of the static source to write').default('github-people'))
      .addOption(new Option('--target-name <name>', 'name of the github target to write').default('github'))
      .addHelpText(
        'after',
        `
Examples:
  GITHUB_TOKEN=… gatehouse github dump --org acme > acme.yaml
  gatehouse github dump --target github --out adopt.yaml`,
      )
      .action(async (flags: DumpFlags, cmd: Command) => {
        const g = globals(cmd);
        const logger = createLogger(g.logLevel ?? 'warn');
        const { org, apiUrl, auth } = await connection(flags, g.config);
        // Octokit is loaded by the command that talks to GitHub, not by every start of the CLI.
        const { ConditionalReader, createGithubClient, dumpConfig, observeGithub } =
          await import('../../targets/github/index.ts');
        const octokit = createGithubClient({ apiUrl, auth, writeSpacingMs: 1000, logger, id: `gatehouse:dump:${org}` });
        // A one-off read: nothing to be conditional against, so the cache lives for this command only.
        const cache = new MemoryCache();
        const reader = new ConditionalReader(octokit, cache, apiUrl);
        const signal = interruptSignal();
        const observed = await observeGithub(
          { org, reader, teams: 'all', hasSelf: false, cache, concurrency: 4, now: () => new Date() },
          signal,
        );
        const invitationTeams = new Map<number, string[]>();
        for (const i of observed.invitations.filter((x) => x.teamCount > 0)) {
          const teams = await reader.list(
            `/orgs/${encodeURIComponent(org)}/invitations/${i.id}/teams`,
            (t) => String((t as { slug?: unknown }).slug),
            signal,
          );
          invitationTeams.set(i.id, teams);
        }
        const text = dumpConfig(observed, { apiUrl, source: flags.source, target: flags.targetName, invitationTeams });
        if (flags.out) writeFileSync(flags.out, text);
        else print(text);
        logger.info({ requests: reader.stats.requests }, 'dumped');
      }),
  );
  return github;
}

async function connection(
  flags: DumpFlags,
  configFile: string | undefined,
): Promise<{ org: string; apiUrl: string; auth: GithubConfig['auth'] }> {
  if (flags.target) {
    // Loaded here, not at the top: `--help` needs neither the config loader nor zod.
    const { loadGatehouseConfig } = await import('../../config/load-gatehouse.ts');
    const { githubSchema } = await import('../../targets/github/config.ts');
    const { pluginBlock } = await import('../../config/schema.ts');
    const cfg = await loadGatehouseConfig(configFile ?? './gatehouse.yaml');
    const raw = cfg.value.targets[flags.target];
    if (!raw || raw.type !== 'github') {
      throw new GatehouseError('CONFIG_INVALID', `no github target ${flags.target} in ${configFile}`, {
        terminal: true,
      });
    }
    const t = githubSchema.parse(pluginBlock(raw));
    return { org: t.org, apiUrl: t.apiUrl, auth: t.auth };
  }
  if (!flags.org) throw new GatehouseError('CONFIG_INVALID', 'give --target NAME, or --org LOGIN', { terminal: true });
  const token = process.env[flags.tokenEnv];
  if (!token) {
    throw new GatehouseError('CONFIG_INVALID', `environment variable ${flags.tokenEnv} holds no token`, {
      terminal: true,
    });
  }
  registerSecret(token);
  return { org: flags.org, apiUrl: flags.apiUrl, auth: { token } };
}
