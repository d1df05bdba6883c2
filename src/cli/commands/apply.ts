import { Command } from 'commander';
import { GatehouseError } from '../../core/errors.ts';
import { renderResults } from '../../core/render.ts';
import type { Plan } from '../../core/plan.ts';
import { hostname } from 'node:os';
import type { Engine } from '../../engine.ts';
import { lockWait, withEngine, type GlobalOptions, type RunSignals } from '../context.ts';
import { exitCodeOf } from '../exit-codes.ts';
import { actor, paint, print, printJson, progress } from '../output.ts';
import { showPlan } from './plan.ts';

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
      // The plan file's schema (zod) loads only when a file is given.
      const saved = planFile === undefined ? undefined : (await import('../plan-file.ts')).readPlanFile(planFile);
      await withEngine(cmd, async (engine, _logger, g, run) => {
        // On PostgreSQL, a CLI apply holds the leader lock while it writes, so it never writes beside `serve`.
        const url = process.env.DATABASE_URL;
        const waitMs = lockWait(g.wait);
        // The PostgreSQL client loads only for an apply that needs the lock, not with `--help`.
        const applyLock = url
          ? await (
              await import('../../store/leader.ts')
            ).takeApplyLock(url, {
              identity: `gatehouse apply ${hostname()}:${process.pid}`,
              ...(waitMs === undefined ? {} : { waitMs }),
              onWait: (holder) => process.stderr.write(`gatehouse: waiting for ${holder} to stop applying\n`),
            })
          : undefined;
        try {
          await applyWith(engine, g, run);
        } finally {
          await applyLock?.release();
        }
      });
      async function applyWith(engine: Engine, g: GlobalOptions, run: RunSignals): Promise<void> {
        let shown = false;
        const planning = progress(
          saved ? 'checking the plan' : 'planning',
          engine.sources.length + engine.targets.length,
        );
        let applying: ReturnType<typeof progress> | undefined;
        const show = (plan: Plan) => {
          planning.done();
          if (!shown && !saved && g.output === 'text') showPlan(plan, 'text');
          shown = true;
        };
        const outcome = await engine
          .reconcile({
            mode: 'apply',
            actor: actor(),
            signal: run.signal,
            writeSignal: run.interrupt,
            stop: run.deadline,
            ...(saved ? { saved } : {}),
            onProgress: (e) => planning.tick(e.name),
            confirm: async (plan, runnable) => {
              show(plan);
              if (!opts.autoApprove && !(await confirm(runnable))) return false;
              applying = progress('applying', runnable);
              return true;
            },
            onResult: (_target, r) => applying?.tick(r.id),
          })
          .finally(() => {
            planning.done();
            applying?.done();
          });
        show(outcome.plan);
        if (!outcome.applied && outcome.counts.runnable > 0) {
          throw new GatehouseError('ABORTED', 'apply cancelled; nothing was changed', { terminal: true });
        }
        if (g.output === 'json') printJson({ planId: outcome.plan.id, plan: outcome.plan, results: outcome.results });
        else print(outcome.counts.runnable === 0 ? 'Nothing to apply.\n' : renderResults(outcome.results, paint));
        process.exitCode = exitCodeOf(outcome.outcome);
      }
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
  const { createInterface } = await import('node:readline/promises');
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  try {
    const answer = await rl.question(`Apply ${n} change(s)? Only 'yes' is accepted: `);
    return answer.trim() === 'yes';
  } finally {
    rl.close();
  }
}
