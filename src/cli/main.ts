#!/usr/bin/env node
import { readFileSync } from 'node:fs';
import { Command, Option } from 'commander';
import { describeError, isGatehouseError } from '../core/errors.ts';
import { redact } from '../core/redact.ts';
import { applyCommand } from './commands/apply.ts';
import { auditCommand } from './commands/audit.ts';
import { discordCommand } from './commands/discord.ts';
import { githubCommand } from './commands/github.ts';
import { linkCommand } from './commands/link.ts';
import { nftablesCommand } from './commands/nftables.ts';
import { planCommand } from './commands/plan.ts';
import { releaseCommand } from './commands/release.ts';
import { schemaCommand } from './commands/schema.ts';
import { serveCommand } from './commands/serve.ts';
import { validateCommand } from './commands/validate.ts';
import { EXIT } from './exit-codes.ts';
import { printJson } from './output.ts';

// package.json sits two levels up from both src/cli/ and dist/cli/.
const { version } = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
  version: string;
};

const program = new Command('gatehouse')
  .description('Reconciles access: reads sources, plans, guards, applies and audits.')
  .version(version, '-V, --version', 'print the version')
  .option('-c, --config <file>', 'configuration file', process.env.GATEHOUSE_CONFIG ?? './gatehouse.yaml')
  .option(
    '--allow-include <dir>',
    "let include: read files under DIR, outside the config file's directory (repeatable)",
    (dir: string, dirs: string[]) => [...dirs, dir],
    [] as string[],
  )
  .addOption(new Option('-o, --output <format>', 'output format').choices(['text', 'json']).default('text'))
  .addOption(
    new Option('--log-level <level>', 'log level on stderr')
      .choices(['debug', 'info', 'warn', 'error'])
      .default('warn'),
  )
  .option(
    '--wait [duration]',
    'if another gatehouse process holds the state dir, queue behind it: --wait=DURATION (e.g. --wait=10m) at most that long, bare --wait without limit',
  )
  .showHelpAfterError()
  .addHelpText(
    'after',
    `
Examples:
  gatehouse validate                       # check ./gatehouse.yaml and its includes
  gatehouse plan                           # what would change, changes nothing
  gatehouse apply                          # plan, show, ask, apply
  gatehouse plan --out p.json && gatehouse apply p.json

With --output json, every command prints one JSON document on stdout; an error is {"error": {"code", "message"}}.`,
  )
  .addCommand(validateCommand())
  .addCommand(planCommand())
  .addCommand(applyCommand())
  .addCommand(serveCommand())
  .addCommand(auditCommand())
  .addCommand(releaseCommand())
  .addCommand(linkCommand())
  .addCommand(schemaCommand())
  .addCommand(nftablesCommand())
  .addCommand(githubCommand())
  .addCommand(discordCommand());

try {
  // `--wait` takes its value only as `--wait=DURATION`: bare, it must not swallow the next word (`--wait apply`).
  await program.parseAsync(process.argv.map((arg) => (arg === '--wait' ? '--wait=' : arg)));
} catch (e) {
  const code = isGatehouseError(e) ? e.code : 'INTERNAL';
  const message = describeError(e);
  // With --output json every outcome is one JSON document on stdout, errors included; the line on stderr stays.
  if (program.opts<{ output?: string }>().output === 'json') printJson({ error: { code, message } });
  process.stderr.write(redact(`gatehouse: ${message} [${code}]\n`));
  process.exitCode = EXIT.error;
}
