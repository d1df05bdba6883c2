import { statSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { Command } from 'commander';
import { GatehouseError } from '../../core/errors.ts';
import { renderPlan } from '../../core/render.ts';
import { summarize, type Plan } from '../../core/plan.ts';
import type { Engine } from '../../engine.ts';
import { withEngine } from '../context.ts';
import { EXIT } from '../exit-codes.ts';
import { fileProblem } from '../file-problem.ts';
import { actor, paint, print, printJson, progress, toJson, type OutputFormat } from '../output.ts';

export function planCommand(): Command {
  return new Command('plan')
    .description('Read sources, observe targets and show what apply would change. Writes nothing to any target.')
    .option('--out <file>', 'save the plan to a file for review and a later `gatehouse apply FILE`')
    .option(
      '--detailed-exitcode',
      'exit 0 when there are no changes, 2 when there are changes to apply, 3 when guards block every change, 1 on error',
    )
    .addHelpText(
      'after',
      `
Exit codes: 0 ok (with --detailed-exitcode: no changes), 1 error or a target could not be observed,
with --detailed-exitcode: 2 changes to apply, 3 changes that guards block (apply would change nothing).

A saved plan can be applied by this installation only, within plan.maxAge (default 24h), and only while planning
again gives the same plan.

Examples:
  gatehouse plan
  gatehouse plan --out plan.json && gatehouse apply plan.json
  gatehouse plan --output json | jq '.targets[].changes'
  gatehouse plan --detailed-exitcode >/dev/null; case $? in 0) echo converged;; 2) echo drift;; 3) echo blocked;; *) echo error;; esac`,
    )
    .action(async (opts: { out?: string; detailedExitcode?: boolean }, cmd: Command) => {
      if (opts.out) checkOutputDir(opts.out);
      await withEngine(cmd, async (engine, _logger, g, run) => {
        const { plan } = await makePlan(engine, run.signal);
        if (opts.out) writePlanFile(opts.out, plan);
        showPlan(plan, g.output);
        const s = summarize(plan);
        if (s.errors > 0) process.exitCode = EXIT.error;
        else if (opts.detailedExitcode && s.changes > 0) process.exitCode = EXIT.changes;
        else if (opts.detailedExitcode && s.blocked > 0) process.exitCode = EXIT.attention;
      });
    });
}

/** Fails before any work is done when the plan file could not be written: its directory must exist. */
function checkOutputDir(file: string): void {
  const dir = dirname(resolve(file));
  let isDir: boolean;
  try {
    isDir = statSync(dir).isDirectory();
  } catch (e) {
    throw new GatehouseError('USAGE', `cannot write plan file ${file}: directory ${dir}: ${fileProblem(e)}`, {
      terminal: true,
    });
  }
  if (!isDir) {
    throw new GatehouseError('USAGE', `cannot write plan file ${file}: ${dir} is not a directory`, { terminal: true });
  }
}

function writePlanFile(file: string, plan: Plan): void {
  try {
    writeFileSync(file, toJson(plan), { mode: 0o600 });
  } catch (e) {
    throw new GatehouseError('USAGE', `cannot write plan file ${file}: ${fileProblem(e)}`, { terminal: true });
  }
}

/** One reconcile pass in plan mode (the same `reconcileOnce` as `apply` and `serve`): nothing is written to a target. */
export async function makePlan(engine: Engine, signal: AbortSignal) {
  const bar = progress('planning', engine.sources.length + engine.targets.length);
  try {
    const outcome = await engine.reconcile({
      mode: 'plan',
      actor: actor(),
      signal,
      onProgress: (e) => bar.tick(e.name),
    });
    return { plan: outcome.plan };
  } finally {
    bar.done();
  }
}

export function showPlan(plan: Plan, format: OutputFormat): void {
  if (format === 'json') printJson(plan);
  else print(renderPlan(plan, { paint }));
}
