#!/usr/bin/env node
import { Command, Option } from 'commander';
import { describeError, isGatehouseError } from '../core/errors.ts';
import { redact } from '../core/redact.ts';
import { applyCommand } from './commands/apply.ts';
import { auditCommand } from './commands/audit.ts';
import { githubCommand } from './commands/github.ts';
import { nftablesCommand } from './commands/nftables.ts';
import { planCommand } from './commands/plan.ts';
import { schemaCommand } from './commands/schema.ts';
import { validateCommand } from './commands/validate.ts';
import { EXIT } from './exit-codes.ts';

const program = new Command('gatehouse')
  .description('Reconciles access: reads sources, plans, guards, applies and audits.')
  .option('-c, --config <file>', 'configuration file', process.env.GATEHOUSE_CONFIG ?? './gatehouse.yaml')
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
  gatehouse plan --out p.json && gatehouse apply p.json`,
  )
  .addCommand(validateCommand())
  .addCommand(planCommand())
  .addCommand(applyCommand())
  .addCommand(auditCommand())
  .addCommand(schemaCommand())
  .addCommand(nftablesCommand())
  .addCommand(githubCommand());

try {
  // `--wait` takes its value only as `--wait=DURATION`: bare, it must not swallow the next word (`--wait apply`).
  await program.parseAsync(process.argv.map((arg) => (arg === '--wait' ? '--wait=' : arg)));
} catch (e) {
  const code = isGatehouseError(e) ? e.code : 'INTERNAL';
  process.stderr.write(redact(`gatehouse: ${describeError(e)} [${code}]\n`));
  process.exitCode = EXIT.error;
}
