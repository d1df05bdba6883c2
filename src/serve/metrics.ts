import { Counter, Gauge, Histogram, Registry } from 'prom-client';

/**
 * The daemon's metrics, one registry per daemon (tests run several in one process). Label values are target and
 * source names from the configuration and stable codes, never free text, so cardinality stays bounded.
 */
export class ServeMetrics {
  readonly registry = new Registry();

  readonly reconcileDuration = new Histogram({
    name: 'gatehouse_reconcile_duration_seconds',
    help: 'Wall time of one reconcile of one target (read sources, observe, plan, apply).',
    labelNames: ['target', 'outcome'] as const,
    buckets: [0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60, 120, 300],
    registers: [this.registry],
  });

  readonly reconciles = new Counter({
    name: 'gatehouse_reconciles_total',
    help: 'Reconciles by target and outcome (ok, attention, error, plan-only, standby).',
    labelNames: ['target', 'outcome'] as const,
    registers: [this.registry],
  });

  readonly changes = new Counter({
    name: 'gatehouse_changes_total',
    help: 'Changes by target and result: applied, failed, skipped, blocked (held back by a guard).',
    labelNames: ['target', 'result'] as const,
    registers: [this.registry],
  });

  readonly blockedNow = new Gauge({
    name: 'gatehouse_blocked_changes',
    help: 'Changes a guard holds back in the latest plan of each target; non-zero needs a human.',
    labelNames: ['target'] as const,
    registers: [this.registry],
  });

  readonly pendingNow = new Gauge({
    name: 'gatehouse_pending_changes',
    help: 'Changes the latest plan of each plan-only target would make: drift nobody applies.',
    labelNames: ['target'] as const,
    registers: [this.registry],
  });

  readonly sourceStatus = new Gauge({
    name: 'gatehouse_source_read_status',
    help: 'Latest read of each source: 1 for its current status (live, snapshot, missing), 0 for the others.',
    labelNames: ['source', 'status'] as const,
    registers: [this.registry],
  });

  readonly lag = new Histogram({
    name: 'gatehouse_event_converged_lag_seconds',
    help: 'From the first event that asked for a reconcile of a target to the end of the reconcile that covered it.',
    labelNames: ['target'] as const,
    buckets: [0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60, 300, 900],
    registers: [this.registry],
  });

  readonly queueDepth = new Gauge({
    name: 'gatehouse_queue_depth',
    help: 'Targets waiting for a reconcile.',
    registers: [this.registry],
  });

  readonly leader = new Gauge({
    name: 'gatehouse_leader',
    help: '1 while this process leads (applies changes), 0 while it stands by.',
    registers: [this.registry],
  });

  readonly events = new Counter({
    name: 'gatehouse_events_total',
    help: 'Events received, by trigger (discord, github-webhook, ldap-poll, poll, periodic, reload).',
    labelNames: ['trigger'] as const,
    registers: [this.registry],
  });

  readonly webhookRejected = new Counter({
    name: 'gatehouse_webhook_rejected_total',
    help: 'Webhook deliveries refused, by reason (signature, size, event).',
    labelNames: ['reason'] as const,
    registers: [this.registry],
  });

  readonly lastSuccess = new Gauge({
    name: 'gatehouse_last_success_timestamp_seconds',
    help: 'Unix time of the latest reconcile of each target that ended without error.',
    labelNames: ['target'] as const,
    registers: [this.registry],
  });

  readonly configReloads = new Counter({
    name: 'gatehouse_config_reloads_total',
    help: 'Configuration reloads by result (ok, error). After an error the previous configuration keeps running.',
    labelNames: ['result'] as const,
    registers: [this.registry],
  });

  readonly configValid = new Gauge({
    name: 'gatehouse_config_last_reload_ok',
    help: '1 when the latest configuration reload succeeded (or none was attempted), 0 when it failed.',
    registers: [this.registry],
  });

  readonly githubRateRemaining = new Gauge({
    name: 'gatehouse_github_rate_limit_remaining',
    help: 'Primary rate-limit requests remaining, as last reported by GitHub, per target.',
    labelNames: ['target'] as const,
    registers: [this.registry],
  });

  constructor() {
    this.configValid.set(1);
    this.leader.set(0);
    this.queueDepth.set(0);
  }
}
