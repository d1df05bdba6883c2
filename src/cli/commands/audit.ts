import { Command } from 'commander';
import { withEngine } from '../context.ts';
import { EXIT } from '../exit-codes.ts';
import { print, printJson } from '../output.ts';
import { verifyAuditLog } from '../../store/index.ts';

export function auditCommand(): Command {
  return new Command('audit')
    .description('Show the audit log, or verify its hash chain.')
    .option('--limit <n>', 'show the last N records', '50')
    .option('--verify', 'check that no record was altered, removed or reordered')
    .addHelpText(
      'after',
      `
Examples:
  gatehouse audit --limit 20
  gatehouse audit --verify
  gatehouse audit --output json | jq 'map(select(.status=="failed"))'`,
    )
    .action(async (opts: { limit: string; verify?: boolean }, cmd: Command) => {
      await withEngine(cmd, async (engine, _logger, g) => {
        if (opts.verify) {
          const result = await verifyAuditLog(engine.store.db);
          if (g.output === 'json') printJson(result);
          else
            print(
              result.ok
                ? `audit log intact (${result.records} records)\n`
                : `audit log BROKEN at seq ${result.seq}: ${result.reason}\n`,
            );
          if (!result.ok) process.exitCode = EXIT.error;
          return;
        }
        const limit = Math.max(1, Number(opts.limit) || 50);
        const records = await engine.store.audit.list({ last: limit });
        if (g.output === 'json') printJson(records);
        else
          print(
            records
              .map(
                (r) =>
                  `${r.seq}\t${r.at}\t${r.actor}\t${r.target}\t${r.status}\t${r.summary}${r.message ? ` — ${r.message}` : ''}`,
              )
              .join('\n') + (records.length ? '\n' : 'audit log is empty\n'),
          );
      });
    });
}
