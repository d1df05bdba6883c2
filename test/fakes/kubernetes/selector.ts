/**
 * Label selectors as the API server parses them: `k=v`, `k==v`, `k!=v`, `k`, `!k`, `k in (a,b)`, `k notin (a,b)`,
 * joined by commas. Returns undefined for a selector it cannot parse (the server answers 400).
 */
export function parseLabelSelector(text: string): ((labels: Record<string, string>) => boolean) | undefined {
  const terms: ((l: Record<string, string>) => boolean)[] = [];
  const parts = text.match(/[^,(]+(\([^)]*\))?/g) ?? [];
  for (const raw of parts) {
    const t = raw.trim();
    if (t === '') continue;
    let m: RegExpExecArray | null;
    if ((m = /^([\w./-]+)\s*(==|=|!=)\s*([\w.-]*)$/.exec(t))) {
      const [, k, op, v] = m as unknown as [string, string, string, string];
      terms.push(op === '!=' ? (l) => l[k] !== v : (l) => l[k] === v);
    } else if ((m = /^([\w./-]+)\s+(in|notin)\s+\(([^)]*)\)$/.exec(t))) {
      const [, k, op, list] = m as unknown as [string, string, string, string];
      const values = new Set(list.split(',').map((s) => s.trim()));
      terms.push(op === 'in' ? (l) => l[k] !== undefined && values.has(l[k]) : (l) => !values.has(l[k] ?? '\0'));
    } else if ((m = /^(!?)([\w./-]+)$/.exec(t))) {
      const [, not, k] = m as unknown as [string, string, string];
      terms.push(not ? (l) => !(k in l) : (l) => k in l);
    } else return undefined;
  }
  return (labels) => terms.every((f) => f(labels));
}
