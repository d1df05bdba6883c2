/** Process exit codes, part of the CLI's contract (scripts and systemd units depend on them). */
export const EXIT = {
  ok: 0,
  error: 1,
  /** `plan --detailed-exitcode`: the plan has changes. */
  changes: 2,
  /**
   * `apply`: nothing failed and what was safe was applied, but something needs a human: guards blocked changes, or a
   * source was not read completely (its last-known-good snapshot was used).
   */
  attention: 3,
} as const;
