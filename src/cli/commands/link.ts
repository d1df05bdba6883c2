import { Command, Option } from 'commander';
import { GatehouseError } from '../../core/errors.ts';
import { describeLink, LINK_STATUSES, type Link, type LinkDecision, type LinkStatus } from '../../core/links.ts';
import { withEngine } from '../context.ts';
import { actor, print, printJson } from '../output.ts';

/**
 * `gatehouse link`: operators list, show and decide account links. A decision names who decides (`--as`, a person id
 * as the approvers group names its members); that person must be an approver now and not the one linked or asking.
 */
export function linkCommand(): Command {
  const cmd = new Command('link')
    .description('List, show, approve, reject or revoke account links (person ↔ numeric GitHub id).')
    .addHelpText(
      'after',
      `
Exit codes: 0 done, 1 error or refused (not an approver, own request, no such link, already decided).

Examples:
  gatehouse link list --status pending
  gatehouse link approve 6f1c… --as discord:81234567890123456 --reason "known contributor"
  gatehouse link revoke 6f1c… --as alice --reason "left the team"`,
    );

  cmd
    .command('list')
    .description('Links, oldest request first.')
    .addOption(new Option('--status <status>', 'only links in this state').choices(LINK_STATUSES))
    .action(async (opts: { status?: LinkStatus }, sub: Command) => {
      await withEngine(sub, async (engine, _logger, g) => {
        const links = await engine.store.links.list(opts.status ? { status: opts.status } : {});
        if (g.output === 'json') printJson(links);
        else print(links.length ? links.map(line).join('\n') + '\n' : 'no links\n');
      });
    });

  cmd
    .command('show')
    .description('One link, with who asked and who decided.')
    .argument('<id>', 'link id')
    .action(async (id: string, _opts: unknown, sub: Command) => {
      await withEngine(sub, async (engine, _logger, g) => {
        const link = await engine.store.links.get(id);
        if (!link) throw new GatehouseError('USAGE', `no link ${id}`, { terminal: true });
        if (g.output === 'json') printJson(link);
        else print(details(link));
      });
    });

  for (const [name, description] of [
    ['approve', 'Approve a pending request: the next reconcile grants by its GitHub id.'],
    ['reject', 'Reject a pending request.'],
    ['revoke', 'Revoke a link (or withdraw a pending request): the next reconcile takes its access away.'],
  ] as const) {
    cmd
      .command(name)
      .description(description)
      .argument('<id>', 'link id')
      .requiredOption('--as <person>', 'person id of who decides (must be in a links.approvers group)')
      .option('--reason <text>', 'why; kept with the link and in the audit log')
      .action(async (id: string, opts: { as: string; reason?: string }, sub: Command) => {
        await withEngine(sub, async (engine, _logger, g, run) => {
          const link = await engine.decideLink({
            id,
            decision: name satisfies LinkDecision,
            decider: opts.as,
            actor: `${actor()} as ${opts.as}`,
            ...(opts.reason === undefined ? {} : { reason: opts.reason }),
            signal: run.signal,
          });
          if (g.output === 'json') printJson(link);
          else print(`${link.status}: ${describeLink(link)}\n`);
        });
      });
  }
  return cmd;
}

function line(l: Link): string {
  return `${l.id}\t${l.status}\t${describeLink(l)}\trequested ${l.requestedAt} by ${l.requestedBy}`;
}

function details(l: Link): string {
  const rows: [string, string | undefined][] = [
    ['id', l.id],
    ['status', l.status],
    ['person', l.person],
    ['discord', l.discord],
    ['ldap', l.ldap],
    ['github', `${l.githubId} (${l.githubLogin} at link time)`],
    ['requested', `${l.requestedAt} by ${l.requestedBy}`],
    ['decided', l.decidedBy ? `${l.decidedAt ?? ''} by ${l.decidedBy}` : undefined],
    ['reason', l.reason],
  ];
  return rows
    .filter(([, v]) => v !== undefined)
    .map(([k, v]) => `${k.padEnd(10)}${v}`)
    .join('\n')
    .concat('\n');
}
