/** Process exit codes, part of the CLI's contract (scripts and systemd units depend on them). */
export const EXIT = {
  ok: 0,
  error: 1,
  /** `plan --detailed-exitcode`: the plan has changes. */
  changes: 2,
  /** `apply`: nothing failed, but guards blocked some changes; the target did not converge. */
  blocked: 3,
} as const;
