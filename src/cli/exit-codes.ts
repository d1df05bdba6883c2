/** Process exit codes, part of the CLI's contract (scripts and systemd units depend on them). */
export const EXIT = {
  ok: 0,
  /** An error, a failed change, or a refused plan. */
  error: 1,
  /** `plan --detailed-exitcode`: the plan has changes that apply would make. */
  changes: 2,
  /**
   * Something needs a human. `apply`: nothing failed and what was safe was applied, but guards blocked changes or a
   * source was not read completely (its last-known-good snapshot was used). `plan --detailed-exitcode`: the plan has
   * changes, but guards block every one of them (apply would change nothing).
   */
  attention: 3,
} as const;

/** The exit code of a run's outcome class (see `classify` in core/reconcile.ts). */
export function exitCodeOf(outcome: 'ok' | 'attention' | 'error'): number {
  return outcome === 'error' ? EXIT.error : outcome === 'attention' ? EXIT.attention : EXIT.ok;
}
