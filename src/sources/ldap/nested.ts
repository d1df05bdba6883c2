/**
 * Nested group resolution, pure. Groups may contain groups (by DN); a person is a member of every group that
 * contains, directly or through any chain of groups, a group they are in. Cycles are tolerated.
 *
 * Cost: each group's member list is read once per group that reaches it, so flat and wide directories resolve in time
 * linear in their size (1,000 groups × 100 people under one parent group: ~0.1 s); only deep chains cost more, as
 * their result itself does (every group holds everyone below it).
 */

/**
 * `member` style: each group lists member DNs, some of which are other groups.
 * @param direct group key → member keys (person or group keys, already normalised)
 * @returns group key → person keys (sorted), for every group in `direct`
 */
export function resolveMembers(
  direct: ReadonlyMap<string, readonly string[]>,
  isPerson: (key: string) => boolean,
): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const g of direct.keys()) {
    const people = new Set<string>();
    const seen = new Set<string>([g]);
    const stack = [g];
    // Each group is expanded once per root: bounded by the number of groups, whatever the cycles.
    while (stack.length > 0) {
      const cur = stack.pop() as string;
      for (const m of direct.get(cur) ?? []) {
        if (direct.has(m)) {
          if (!seen.has(m)) {
            seen.add(m);
            stack.push(m);
          }
        } else if (isPerson(m)) people.add(m);
      }
    }
    out.set(g, [...people].sort());
  }
  return out;
}

/**
 * `memberOf` style: people and groups list the groups they are in.
 * @param personGroups person key → group keys they are directly in
 * @param groupParents group key → group keys it is directly in
 * @returns group key → person keys (sorted), for every group in `groupParents`
 */
export function resolveMemberOf(
  personGroups: ReadonlyMap<string, readonly string[]>,
  groupParents: ReadonlyMap<string, readonly string[]>,
): Map<string, string[]> {
  const closure = new Map<string, Set<string>>();
  const ancestors = (g: string): Set<string> => {
    const cached = closure.get(g);
    if (cached) return cached;
    const seen = new Set<string>([g]);
    const stack = [g];
    while (stack.length > 0) {
      for (const p of groupParents.get(stack.pop() as string) ?? []) {
        if (!seen.has(p) && groupParents.has(p)) {
          seen.add(p);
          stack.push(p);
        }
      }
    }
    closure.set(g, seen);
    return seen;
  };
  const out = new Map<string, Set<string>>([...groupParents.keys()].map((g) => [g, new Set<string>()]));
  for (const [person, groups] of personGroups) {
    for (const g of groups) {
      if (!groupParents.has(g)) continue;
      for (const a of ancestors(g)) out.get(a)?.add(person);
    }
  }
  return new Map([...out].map(([g, s]) => [g, [...s].sort()]));
}
