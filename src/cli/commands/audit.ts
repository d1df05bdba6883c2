import { Command } from 'commander';
import { withEngine } from '../context.ts';
import { EXIT } from '../exit-codes.ts';
import { print, printJson } from '../output.ts';
// The light modules, not store/index.ts: `--help` must not load the database drivers.
import type { AuditTrailVerification } from '../../store/audit-log.ts';

export function auditCommand(): Command {
  return new Command('audit')
    .description('Show the audit log, or verify its hash chain against the heads anchored outside the database.')
    .option('--limit <n>', 'show the last N records', '50')
    .option(
      '--verify',
      'check that no record was altered, removed or reordered, and that every head in the anchor file (audit.anchorFile) is still in the log; prints the head',
    )
    .option(
      '--expect-head <seq:hash>',
      'with --verify: also require this head, kept elsewhere from an earlier --verify',
    )
    .addHelpText(
      'after',
      `
Exit codes: 0 shown or intact, 1 error or the log is broken.

Examples:
  gatehouse audit --limit 20
  gatehouse audit --verify
  gatehouse audit --verify --expect-head 1042:5f0c…   # a head you copied somewhere safe earlier
  gatehouse audit --output json | jq 'map(select(.status=="failed"))'`,
    )
    .action(async (opts: { limit: string; verify?: boolean; expectHead?: string }, cmd: Command) => {
      // The store's modules load with the command, not with the CLI: --help and every other command skip them.
      const { parseHead, readAnchors } = await import('../../store/audit-anchor.ts');
      const { verifyAuditTrail } = await import('../../store/audit-log.ts');
      const expectHead = opts.expectHead === undefined ? undefined : parseHead(opts.expectHead);
      await withEngine(cmd, async (engine, _logger, g) => {
        if (opts.verify || expectHead) {
          const file = engine.auditAnchorFile;
          // Anchors first: one written by a run finishing meanwhile is then never ahead of the head read after it.
          const anchors = readAnchors(file);
          const result = await verifyAuditTrail(engine.store.db, { anchors, ...(expectHead ? { expectHead } : {}) });
          if (g.output === 'json') printJson({ ...result, anchorFile: file });
          else print(describe(result, anchors.length, file));
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

function describe(result: AuditTrailVerification, anchors: number, file: string): string {
  if (!result.ok) return `audit log BROKEN at seq ${result.seq}: ${result.reason}\n`;
  const head = result.head ? `${result.head.seq}:${result.head.hash}` : 'none';
  const checked =
    anchors > 0
      ? `${anchors} anchor(s) in ${file} hold`
      : `no anchors in ${file} yet: records cut from the end or a recomputed chain would not show`;
  return `audit log intact (${result.records} records; ${checked})\nhead ${head}\n`;
}
