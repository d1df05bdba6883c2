import { createInterface } from 'node:readline/promises';
import { Command } from 'commander';
import type { TargetApplyReport } from '../../core/apply.ts';
import { GatehouseError } from '../../core/errors.ts';
import { renderResults } from '../../core/render.ts';
import { runnableChanges, type Plan } from '../../core/plan.ts';
import { readPlanFile } from '../plan-file.ts';
import { withEngine } from '../context.ts';
import { EXIT } from '../exit-codes.ts';
import { actor, paint, print, printJson, progress } from '../output.ts';
import { makePlan, showPlan } from './plan.ts';

export function applyCommand(): Command {
  return new Command('apply')
    .description(
      'Apply a saved plan, or plan now, show it and apply after confirmation. A saved plan is decided from the world: it is refused unless this installation made it within plan.maxAge and planning now gives the same plan; then the plan made now is applied.',
    )
    .argument('[plan-file]', 'a plan saved with `gatehouse plan --out`')
    .option('--auto-approve', 'apply without asking (for timers and pipelines)')
    .addHelpText(
      'after',
      `
Exit codes: 0 applied (or nothing to do), 1 error, a change failed or the plan was refused,
3 attention: guards blocked some changes or a source was not read completely (what was safe was applied).

With --output json, exactly one JSON document is printed: {"planId", "plan", "results"}, or {"error": {"code", "message"}}.

Examples:
  gatehouse apply                       # plan, show, ask
  gatehouse apply --auto-approve        # what the systemd timer runs
  gatehouse plan --out p.json && gatehouse apply p.json`,
    )
    .action(async (planFile: string | undefined, opts: { autoApprove?: boolean }, cmd: Command) => {
      // Read before the store is opened: a wrong path fails at once.
      const saved = planFile === undefined ? undefined : readPlanFile(planFile);
      await withEngine(cmd, async (engine, _logger, g, run) => {
        const signal = run.signal;
        const who = actor();
        let plan: Plan;
        let observed: ReadonlyMap<string, unknown>;
        if (saved) {
          const bar = progress('checking the plan', engine.sources.length + engine.targets.length);
          ({ plan, observed } = await engine
            .replanSaved(saved, { actor: who, signal, onProgress: (e) => bar.tick(e.name) })
            .finally(() => bar.done()));
        } else {
          ({ plan, observed } = await makePlan(engine, signal));
          if (g.output === 'text') showPlan(plan, 'text');
        }
        const runnable = plan.targets.reduce((n, t) => n + runnableChanges(t).length, 0);
        const blocked = plan.targets.reduce((n, t) => n + t.blocked.length, 0);
        const attention = blocked > 0 || plan.sources.some((s) => s.status !== 'live');
        const unobservable = plan.targets.some((t) => t.error);
        if (runnable > 0 && !planFile && !opts.autoApprove && !(await confirm(runnable))) {
          throw new GatehouseError('ABORTED', 'apply cancelled; nothing was changed', { terminal: true });
        }
        let reports: TargetApplyReport[] = [];
        // Applied even when every change is blocked: the guard decisions made now are audited.
        if (runnable > 0 || blocked > 0) {
          const bar = progress('applying', runnable);
          reports = await engine
            .apply(plan, {
              actor: who,
              signal: run.interrupt,
              deadline: run.deadline,
              observed,
              onResult: (_target, r) => bar.tick(r.id),
            })
            .finally(() => bar.done());
        }
        if (g.output === 'json') printJson({ planId: plan.id, plan, results: reports });
        else print(runnable === 0 ? 'Nothing to apply.\n' : renderResults(reports, paint));
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
      { terminal: true },
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
