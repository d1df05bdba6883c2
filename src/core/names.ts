/** Names a finding lists before it says how many more there are. */
export const MAX_LISTED = 20;

/**
 * `a, b, c and 17 more`: the first `max` of `names`, then the count of the rest, so a finding about thousands of
 * people stays one line a human reads. `total` is the count when `names` holds only the first of them (a caller that
 * counts a large group need not keep every name to list twenty).
 */
export function listNames(names: readonly string[], max = MAX_LISTED, total = names.length): string {
  const head = names.slice(0, max).join(', ');
  return total > max ? `${head} and ${total - max} more` : head;
}
