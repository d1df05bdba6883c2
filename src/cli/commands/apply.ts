import { readFileSync } from 'node:fs';
import { createInterface } from 'node:readline/promises';
import { Command } from 'commander';
import { GatehouseError } from '../../core/errors.ts';
import { renderResults } from '../../core/render.ts';
import { runnableChanges, type Plan } from '../../core/plan.ts';
import { parsePlanFile } from '../plan-file.ts';
import { withEngine } from '../context.ts';
import { EXIT } from '../exit-codes.ts';
import { actor, paint, print, printJson, progress } from '../output.ts';
import { makePlan, showPlan } from './plan.ts';

export function applyCommand(): Command {
  return new Command('apply')
    .description(
      'Apply a saved plan, or plan now, show it and apply after confirmation. A saved plan is refused if the configuration or any target changed since it was made.',
    )
    .argument('[plan-file]', 'a plan saved with `gatehouse plan --out`')
    .option('--auto-approve', 'apply without asking (for timers and pipelines)')
    .addHelpText(
      'after',
      `
Exit codes: 0 applied (or nothing to do), 1 error or a change failed,
3 attention: guards blocked some changes or a source was not read completely (what was safe was applied).

Examples:
  gatehouse apply                       # plan, show, ask
  gatehouse apply --auto-approve        # what the systemd timer runs
  gatehouse plan --out p.json && gatehouse apply p.json`,
    )
    .action(async (planFile: string | undefined, opts: { autoApprove?: boolean }, cmd: Command) => {
      await withEngine(cmd, async (engine, _logger, g, run) => {
        const signal = run.signal;
        let plan: Plan;
        let observed: ReadonlyMap<string, unknown> | undefined;
        if (planFile) {
          plan = parsePlanFile(readFileSync(planFile, 'utf8'), planFile);
        } else {
          ({ plan, observed } = await makePlan(engine, signal));
          showPlan(plan, g.output);
        }
        const runnable = plan.targets.reduce((n, t) => n + runnableChanges(t).length, 0);
        const blocked = plan.targets.reduce((n, t) => n + t.blocked.length, 0);
        const attention = blocked > 0 || plan.sources.some((s) => s.status !== 'live');
        const unobservable = plan.targets.some((t) => t.error);
        if (runnable === 0) {
          if (g.output === 'text') print('Nothing to apply.\n');
          process.exitCode = unobservable ? EXIT.error : attention ? EXIT.attention : EXIT.ok;
          return;
        }
        if (!planFile && !opts.autoApprove && !(await confirm(runnable))) {
          throw new GatehouseError('ABORTED', 'apply cancelled; nothing was changed', { terminal: true });
        }
        const bar = progress('applying', runnable);
        const reports = await engine
          .apply(plan, {
            actor: actor(),
            signal: run.interrupt,
            deadline: run.deadline,
            onResult: (_target, r) => bar.tick(r.id),
            ...(observed ? { observed } : {}),
          })
          .finally(() => bar.done());
        if (g.output === 'json') printJson({ planId: plan.id, results: reports });
        else print(renderResults(reports, paint));
        const failed = reports.some((r) => r.results.some((x) => x.status !== 'applied'));
        process.exitCode = failed || unobservable ? EXIT.error : attention ? EXIT.attention : EXIT.ok;
      });
    });
}

async function confirm(n: number): Promise<boolean> {
  if (!process.stdin.isTTY) {
    throw new GatehouseError(
      'ABORTED',
      'refusing to apply without confirmation: no terminal; pass --auto-approve or a plan file',
      {
        terminal: true,
      },
    );
  }
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  try {
    const answer = await rl.question(`Apply ${n} change(s)? Only 'yes' is accepted: `);
    return answer.trim() === 'yes';
  } finally {
    rl.close();
  }
}
