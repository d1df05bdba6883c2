import type { ErrorCode } from './errors.ts';
import type { Facts, ResolvedSource, SourceRead } from './model.ts';
import type { GuardVerdict } from './plan.ts';

/**
 * A source reads facts. It never writes. It reports an incomplete read through `complete: false` rather than returning
 * a shorter list; it throws only for errors the caller should see as a failed read (also treated as incomplete).
 */
export interface Source {
  readonly name: string;
  readonly type: string;
  /**
   * True when a complete read with no entries is a legitimate answer. Unset or false: a complete read with no entries
   * while the last-known-good snapshot has some is treated as incomplete (the snapshot stands in, nothing is removed):
   * an empty answer from a source that had entries is far more often an outage, an expired credential seeing nothing,
   * or a truncated file than an intent.
   */
  readonly allowEmpty?: boolean;
  read(signal: AbortSignal): Promise<SourceRead>;
  /**
   * For the daemon: runs until `signal` aborts, calling `notify` when the facts may have changed (a gateway event, a
   * changed timestamp, a poll interval). Carries no facts: reconciliation re-reads. Rejects when watching cannot
   * continue (the daemon restarts it with backoff); a lost notification only delays convergence to the periodic pass.
   */
  watch?(signal: AbortSignal, notify: (reason: string) => void): Promise<void>;
}

/** Every change a target proposes. `summary` is display-only and never steers apply. */
export interface Change {
  readonly kind: string;
  /** Stable id within the target (e.g. `set:db_allow_v4`), used by guards and results. */
  readonly id: string;
  /** One line for humans. */
  readonly summary: string;
  /** True when the change takes access away from someone or something. */
  readonly destructive: boolean;
  /** Optional per-element detail for rendering (`+ 1.2.3.4`, `- 5.6.7.8`). */
  readonly add?: readonly string[];
  readonly remove?: readonly string[];
}

export interface ChangeResult {
  readonly id: string;
  readonly status: 'applied' | 'failed' | 'skipped';
  readonly message?: string;
  readonly errorCode?: ErrorCode;
}

/** Everything a target needs to compute its desired state: the resolved facts of the sources it draws from. */
export interface DesiredContext {
  readonly sources: ReadonlyMap<string, ResolvedSource>;
}

/**
 * A place where access is granted.
 *
 * Reconciliation is level-based: every run observes the target's current state, whatever woke it. A target with a
 * `watch` may answer part of `observe` from what it read or wrote before, but only for parts its watch proves nobody
 * changed since (an event stream that reports every change and is known to be caught up); anything it cannot prove
 * is read again, so each run still compares desired state with the actual state. `observe` reads only; `diff` is pure and
 * deterministic; `apply` is idempotent, so re-running after a partial failure converges. Targets whose changes must
 * commit together (one kernel transaction) are `atomic`: `apply` gets them all at once, and a guard that blocks one
 * change blocks them all.
 */
export interface Target<Desired = unknown, Observed = unknown, C extends Change = Change> {
  readonly name: string;
  readonly type: string;
  readonly atomic?: boolean;
  /** Source names this target draws from, for completeness checks. Derived from the plugin's `sourceRefs`. */
  readonly sources: readonly string[];
  /**
   * Schema of one change of this target, for reading back a saved plan: a change that does not fit it was not made
   * by this kind of target (or was edited) and the plan is refused as PLAN_INVALID. Set from the plugin's declaration.
   */
  readonly changeSchema?: ChangeSchema;
  desired(ctx: DesiredContext): Desired;
  observe(signal: AbortSignal): Promise<Observed>;
  /**
   * For the daemon: runs until `signal` aborts, watching the target for changes made by others (a hand edit), and calls
   * `notify` when it may have changed, so the daemon reconciles it (and reverts the edit) without waiting for the
   * periodic pass. While it runs, `observe` may skip re-reading what the watch proves unchanged. Rejects when watching
   * cannot continue (the daemon restarts it with backoff); from then until it runs again, nothing is skipped.
   */
  watch?(signal: AbortSignal, notify: (reason: string) => void): Promise<void>;
  diff(desired: Desired, observed: Observed): C[];
  /**
   * Findings that need a human but are not changes (e.g. "needs enrolment: no account for this person"). Pure; shown
   * in the plan, never applied or audited.
   */
  notes?(desired: Desired, observed: Observed): string[];
  /** Target-specific guards; run after the generic ones. Pure. */
  guard?(changes: readonly C[], desired: Desired, observed: Observed, ctx: DesiredContext): GuardVerdict[];
  /**
   * Guards hold back the removal, never the grant. Called when guards reject the changes in `rejected`; returns the
   * changes to plan instead: under each rejected id, the destructive part alone (shown blocked, never applied); under
   * new ids, non-destructive changes granting what the rejected ones would have granted (e.g. a set becoming old ∪
   * new); every other change as it should now run (recomputed if it mirrors what is withheld). Undefined when the
   * target cannot split them; then the rejection blocks as usual. Pure. See `holdBack` in guards.ts.
   */
  withhold?(
    changes: readonly C[],
    rejected: ReadonlySet<string>,
    desired: Desired,
    observed: Observed,
  ): C[] | undefined;
  /**
   * Applies `changes` and returns one result per change, in order; a failing change is a `failed` result, not a throw
   * (a throw fails every change of the call). An `atomic` target gets every runnable change of a run in one call and
   * commits them together. Any other target gets one change per call: between calls the run audits each change and
   * checks it may still write (the daemon's leadership), so a lost lock stops it before its next change.
   *
   * `observed`, when given, is the observation the plan was computed from, verified unchanged just before applying
   * (same digest): a target whose changes are deltas applies them to it instead of observing again.
   */
  apply(changes: readonly C[], signal: AbortSignal, observed?: Observed): Promise<ChangeResult[]>;
  /**
   * Opens what the changes of one run share (e.g. one LDAP connection and bind), just before the run's first write.
   * The run then applies through the session, with the same contract as `apply`, and closes it when done, whatever
   * happened. Without it, `apply` is called directly.
   */
  openSession?(signal: AbortSignal): Promise<TargetSession<C, Observed>>;
  /**
   * Non-atomic targets: how many changes may be applied at once, among consecutive changes of the same kind (a target
   * orders its changes by kind when kinds depend on each other). Default 1. Each one is still checked and audited.
   */
  readonly applyConcurrency?: number;
}

/** The changes of one run of one target, applied over something they share. See `Target.openSession`. */
export interface TargetSession<C extends Change = Change, Observed = unknown> {
  /** As `Target.apply`, over what the session holds. */
  apply(changes: readonly C[], signal: AbortSignal, observed?: Observed): Promise<ChangeResult[]>;
  /** Releases what the session holds. Never throws. */
  close(): Promise<void>;
}

/** What a saved plan's change is checked with: a zod schema, seen structurally so the core needs no zod import. */
export interface ChangeSchema {
  safeParse(value: unknown): {
    readonly success: boolean;
    readonly error?: {
      readonly issues: readonly { readonly path: readonly PropertyKey[]; readonly message: string }[];
    };
  };
}

/** The shape every long-running part shares: runs until `signal` aborts, then resolves. */
export interface Runnable {
  start(signal: AbortSignal): Promise<void>;
}

export type { Facts };
