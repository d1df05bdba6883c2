import { writeFileSync } from 'node:fs';
import { Command } from 'commander';
import { canonicalJson } from '../../core/canonical-json.ts';
import { redact } from '../../core/redact.ts';
import { renderPlan } from '../../core/render.ts';
import { summarize, type Plan } from '../../core/plan.ts';
import type { Engine } from '../../engine.ts';
import { withEngine } from '../context.ts';
import { EXIT } from '../exit-codes.ts';
import { paint, print, printJson, progress, type OutputFormat } from '../output.ts';

export function planCommand(): Command {
  return new Command('plan')
    .description('Read sources, observe targets and show what apply would change. Writes nothing to any target.')
    .option('--out <file>', 'save the plan to a file for review and a later `gatehouse apply FILE`')
    .option('--detailed-exitcode', 'exit 0 when there are no changes, 2 when there are, 1 on error')
    .addHelpText(
      'after',
      `
Examples:
  gatehouse plan
  gatehouse plan --out plan.json && gatehouse apply plan.json
  gatehouse plan --output json | jq '.targets[].changes'
  gatehouse plan --detailed-exitcode || [ $? -eq 2 ] && echo "drift"`,
    )
    .action(async (opts: { out?: string; detailedExitcode?: boolean }, cmd: Command) => {
      await withEngine(cmd, async (engine, _logger, g, run) => {
        const { plan } = await makePlan(engine, run.signal);
        if (opts.out) writeFileSync(opts.out, redact(canonicalJson(plan, 2) + '\n'), { mode: 0o600 });
        showPlan(plan, g.output);
        const s = summarize(plan);
        if (s.errors > 0) process.exitCode = EXIT.error;
        else if (opts.detailedExitcode && plan.targets.some((t) => t.changes.length > 0))
          process.exitCode = EXIT.changes;
      });
    });
}

export async function makePlan(engine: Engine, signal: AbortSignal) {
  const bar = progress('planning', engine.sources.length + engine.targets.length);
  try {
    return await engine.plan(signal, (e) => bar.tick(e.name));
  } finally {
    bar.done();
  }
}

export function showPlan(plan: Plan, format: OutputFormat): void {
  if (format === 'json') printJson(plan);
  else print(renderPlan(plan, { paint }));
}
