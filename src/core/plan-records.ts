/**
 * Which plans this installation made, and when. A saved plan is applied only if its id was recorded here by `plan`
 * and is younger than `plan.maxAge`: a plan file made elsewhere, or forged and re-sealed, is refused whatever it says.
 */
export interface PlanRecords {
  /** Records that plan `id` was made at `at`. Making the same plan again moves `at` forward. */
  recordPlan(id: string, at: Date): Promise<void>;
  /** When this installation last made plan `id`; undefined if it never did. */
  planMadeAt(id: string): Promise<Date | undefined>;
  /** Forgets plans last made before `before` (they are expired anyway); keeps the records from growing forever. */
  forgetPlansBefore(before: Date): Promise<void>;
}
