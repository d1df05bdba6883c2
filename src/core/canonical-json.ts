/**
 * JSON with object keys sorted at every depth, so equal values always serialise to equal bytes.
 * Arrays keep their order: callers sort them where order carries no meaning.
 */
export function canonicalJson(value: unknown, indent?: number): string {
  return JSON.stringify(sortKeys(value), null, indent);
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const key of Object.keys(value).sort()) {
      const v = (value as Record<string, unknown>)[key];
      if (v !== undefined) out[key] = sortKeys(v);
    }
    return out;
  }
  return value;
}

/** sha256 of the canonical JSON form, hex. */
export function digest(value: unknown): string {
  return sha256Hex(canonicalJson(value));
}

/** sha256 of a text, hex. */
export function sha256Hex(text: string): string {
  // Loaded on first use: commands that never hash (--help, validate) start without node:crypto.
  return process.getBuiltinModule('node:crypto').createHash('sha256').update(text).digest('hex');
}

/**
 * Canonical JSON (keys sorted at every depth) laid out for people and for size: objects and arrays holding objects
 * or arrays get one member per line, indented by two; an array of plain values (strings, numbers, …) is packed into
 * lines of at most `width` columns. A plan listing 100,000 addresses one per line is ≈ 1.5× the bytes of the same
 * list packed, and no easier to read. Deterministic: the same value always prints the same bytes.
 */
export function prettyJson(value: unknown, width = 100): string {
  return layout(sortKeys(value), '', width) ?? 'null';
}

function layout(value: unknown, indent: string, width: number): string | undefined {
  if (value === null || typeof value !== 'object') return JSON.stringify(value);
  const inner = `${indent}  `;
  if (Array.isArray(value)) {
    if (value.length === 0) return '[]';
    const items = value.map((v) => layout(v, inner, width) ?? 'null');
    if (value.some((v) => v !== null && typeof v === 'object'))
      return `[\n${inner}${items.join(`,\n${inner}`)}\n${indent}]`;
    const oneLine = `[${items.join(', ')}]`;
    if (indent.length + oneLine.length <= width) return oneLine;
    const lines: string[] = [];
    let line = '';
    for (const item of items) {
      if (line !== '' && inner.length + line.length + item.length + 2 > width) {
        lines.push(line);
        line = '';
      }
      line = line === '' ? item : `${line}, ${item}`;
    }
    lines.push(line);
    return `[\n${inner}${lines.join(`,\n${inner}`)}\n${indent}]`;
  }
  const members = Object.entries(value as Record<string, unknown>).flatMap(([k, v]) => {
    const text = layout(v, inner, width);
    return text === undefined ? [] : [`${JSON.stringify(k)}: ${text}`];
  });
  return members.length === 0 ? '{}' : `{\n${inner}${members.join(`,\n${inner}`)}\n${indent}}`;
}
