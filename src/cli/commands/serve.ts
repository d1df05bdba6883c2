import { hostname } from 'node:os';
import { join, resolve } from 'node:path';
import { Command } from 'commander';
import type { Leadership } from '../../store/leader.ts';
import { globals, lockWait, printConfigWarnings } from '../context.ts';
import { createLogger } from '../output.ts';

export function serveCommand(): Command {
  return new Command('serve')
    .description(
      'Run continuously: reconcile each target on events (Discord gateway, GitHub webhooks, LDAP change polling) and on a periodic full pass; serve /healthz, /readyz, /metrics and /webhooks/github. Guards apply exactly as in `apply`.',
    )
    .addHelpText(
      'after',
      `
Logs are JSON lines on stderr (one per reconcile, with its outcome); --log-level defaults to info here.
SIGTERM/SIGINT: the change in flight finishes and is audited, then gatehouse exits 0 (within 10 s).
SIGHUP: reload the configuration; a broken one is logged and shown on /readyz, and the running one stays.

With DATABASE_URL, run several replicas: one leads (a PostgreSQL advisory lock) and applies; the others stand by and
take over within seconds. On the embedded store, serve holds the state directory: other commands are refused.

Examples:
  gatehouse serve --config /etc/gatehouse/gatehouse.yaml
  DATABASE_URL=postgres://gatehouse@db/gatehouse gatehouse serve
  curl -s 127.0.0.1:8080/readyz; curl -s 127.0.0.1:8080/metrics | grep gatehouse_reconciles_total
  systemctl reload gatehouse-serve            # SIGHUP: reload the configuration`,
    )
    .action(async (_opts: unknown, cmd: Command) => {
      // The daemon, the engine, the store and the PostgreSQL client load when serve runs, not with every `--help`.
      const [{ loadGatehouseConfig, Engine }, { Daemon }, { ServeMetrics }, { runtimeOf }, leader, { openStore }] =
        await Promise.all([
          import('../../engine.ts'),
          import('../../serve/daemon.ts'),
          import('../../serve/metrics.ts'),
          import('../../serve/runtime.ts'),
          import('../../store/leader.ts'),
          import('../../store/index.ts'),
        ]);
      const { currentLeader, PostgresLeadership, SoloLeadership } = leader;
      const g = globals(cmd);
      const level = (cmd.parent ?? cmd).getOptionValueSource('logLevel') === 'default' ? 'info' : g.logLevel;
      const logger = createLogger(level);
      const env = process.env;
      const includeDirs = g.allowInclude;
      const first = await loadGatehouseConfig(g.config, env, { includeDirs });
      printConfigWarnings(first.warnings);
      const stateDir = resolve(first.baseDir, first.value.state.dir);
      const auditAnchorFile = resolve(
        first.baseDir,
        first.value.audit.anchorFile ?? join(stateDir, 'audit-anchors.jsonl'),
      );
      const url = env.DATABASE_URL || undefined;
      const waitMs = lockWait(g.wait);
      const store = await openStore({
        stateDir,
        auditAnchorFile,
        ...(url ? { databaseUrl: url } : {}),
        ...(waitMs === undefined ? {} : { lockWaitMs: waitMs }),
      });
      const identity = `gatehouse serve ${hostname()}:${process.pid}`;
      const leadership: Leadership = url
        ? new PostgresLeadership({ connectionString: url, identity })
        : new SoloLeadership();
      const metrics = new ServeMetrics();
      const daemon = new Daemon({
        load: async () => {
          const engine = await Engine.onStore(store, {
            configFile: g.config,
            logger,
            env,
            includeDirs,
            auditAnchorFile,
            telemetry: {
              rateLimitRemaining: (target, n) => metrics.githubRateRemaining.set({ target }, n),
            },
          });
          printConfigWarnings(engine.config.warnings);
          return runtimeOf(engine, `serve:${hostname()}:${process.pid}`, logger);
        },
        leadership,
        pingStore: async () => void (await store.db.query('SELECT 1')),
        ...(url
          ? {
              currentLeader: () => currentLeader((sql, params) => store.db.query<{ who: string }>(sql, params)),
            }
          : {}),
        metrics,
        logger,
        onListening: (a) => logger.info(a, 'listening'),
      });
      const ac = new AbortController();
      const stop = (sig: string) => {
        logger.info({ signal: sig }, 'stopping: finishing the change in flight');
        ac.abort();
      };
      process.once('SIGTERM', () => stop('SIGTERM'));
      process.once('SIGINT', () => stop('SIGINT'));
      process.on('SIGHUP', () => void daemon.reload());
      try {
        await daemon.start(ac.signal);
      } finally {
        await store.close();
      }
    });
}
