import { Command, Option } from 'commander';
import { GatehouseError } from '../../core/errors.ts';
import { releasedChanges, releaseVerdicts, type Release, type ReleaseStatus } from '../../core/releases.ts';
import { withEngine } from '../context.ts';
import { actor, print, printJson } from '../output.ts';

const STATUSES: readonly ReleaseStatus[] = ['pending', 'released', 'refused'];

/**
 * `gatehouse release`: the CLI's side of guard releases, next to Discord's Release button. A release names who decides
 * (`--as`, a person id as the links.approvers groups name their members); that person must be an approver now, and the
 * plan is decided from the world before anything is applied, as a saved plan is.
 */
export function releaseCommand(): Command {
  const cmd = new Command('release')
    .description('List, show or release plans a guard blocked (queued by `serve` for targets with releaseQueue: true).')
    .addHelpText(
      'after',
      `
Exit codes: 0 done, 1 error or refused (not an approver, no such release, already decided, stale plan).

Examples:
  gatehouse release list --status pending
  gatehouse release show 3f2a…
  gatehouse release approve 3f2a… --as carol`,
    );

  cmd
    .command('list')
    .description('Releases, oldest request first.')
    .addOption(new Option('--status <status>', 'only releases in this state').choices(STATUSES))
    .action(async (opts: { status?: ReleaseStatus }, sub: Command) => {
      await withEngine(sub, async (engine, _logger, g) => {
        const releases = await engine.store.releases.list(opts.status ? { status: opts.status } : {});
        if (g.output === 'json') printJson(releases.map(summary));
        else print(releases.length ? releases.map(line).join('\n') + '\n' : 'no releases\n');
      });
    });

  cmd
    .command('show')
    .description('One release: the guard verdicts and every change it would apply.')
    .argument('<id>', 'release id')
    .action(async (id: string, _opts: unknown, sub: Command) => {
      await withEngine(sub, async (engine, _logger, g) => {
        const r = await engine.store.releases.get(id);
        if (!r) throw new GatehouseError('USAGE', `no release ${id}`, { terminal: true });
        if (g.output === 'json') printJson({ ...summary(r), changes: releasedChanges(r) });
        else print(details(r));
      });
    });

  cmd
    .command('approve')
    .description(
      'Release a pending plan once: applied with its blocked changes, only if planning now gives the same plan.',
    )
    .argument('<id>', 'release id')
    .requiredOption('--as <person>', 'person id of who decides (must be in a links.approvers group)')
    .action(async (id: string, opts: { as: string }, sub: Command) => {
      await withEngine(sub, async (engine, _logger, g, run) => {
        const r = await engine.releasePlan({
          id,
          decider: opts.as,
          actor: `${actor()} as ${opts.as}`,
          signal: run.signal,
        });
        if (g.output === 'json') printJson(summary(r));
        else print(`released: plan ${r.planId} of ${r.target}, ${r.blocked.length} held-back change(s) applied\n`);
      });
    });
  return cmd;
}

/** A release without its plan (which `show` lists change by change). */
function summary(r: Release) {
  const { plan: _plan, ...rest } = r;
  return { ...rest, verdicts: releaseVerdicts(r) };
}

function line(r: Release): string {
  return `${r.id}\t${r.status}\t${r.target}\t${r.blocked.length} blocked\trequested ${r.requestedAt}`;
}

function details(r: Release): string {
  const rows: [string, string | undefined][] = [
    ['id', r.id],
    ['status', r.status],
    ['target', r.target],
    ['plan', r.planId],
    ['requested', r.requestedAt],
    ['decided', r.decidedBy ? `${r.decidedAt ?? ''} by ${r.decidedBy}` : undefined],
    ['reason', r.reason],
  ];
  const head = rows
    .filter(([, v]) => v !== undefined)
    .map(([k, v]) => `${k.padEnd(10)}${v}`)
    .join('\n');
  const verdicts = releaseVerdicts(r).map((v) => `  ${v}`);
  const changes = releasedChanges(r).map((c) => `  ${c}`);
  return [head, 'guards:', ...verdicts, 'held back (applied on release):', ...changes, ''].join('\n');
}
