import { addressProblem, catchAllProblem, loginProblem } from './address.ts';
import type { SenderEntry } from './types.ts';

/** One table line: `address login,login`. Postfix splits the value on commas; no value holds one (validated). */
export function renderLine(e: SenderEntry): string {
  return `${e.address} ${e.logins.join(',')}`;
}

/** The table source file: a header comment, then one line per entry. */
export function renderTable(lines: readonly string[], target: string): string {
  return `# Written by gatehouse (target ${target}); edits are undone on the next apply.\n${lines.map((l) => `${l}\n`).join('')}`;
}

/**
 * Re-validates one rendered line before it is written: apply works from a plan that may have been saved and edited,
 * so nothing in it is trusted to be what desired() produced.
 * @returns why the line is refused, or undefined.
 */
export function lineProblem(line: string): string | undefined {
  const sp = line.indexOf(' ');
  if (sp <= 0) return 'is not "address logins"';
  const key = line.slice(0, sp);
  const logins = line.slice(sp + 1).split(',');
  const k = key.startsWith('@') ? catchAllProblem(key) : addressProblem(key);
  if (k) return `address ${k}`;
  if (key !== key.toLowerCase()) return 'address is not in lower case';
  for (const l of logins) {
    const p = loginProblem(l);
    if (p) return `login ${JSON.stringify(l)} ${p}`;
  }
  return undefined;
}

/**
 * Parses table text as Postfix reads it (`postmap -s` output or a source file): `key value`, `#` comments and blank
 * lines skipped, continuation lines (leading whitespace) appended to the value. Values are split on commas and
 * whitespace, as smtpd does for sender login maps. Later duplicates win, as with postmap. Sorted by address.
 */
export function parseTable(text: string): SenderEntry[] {
  const byKey = new Map<string, string>();
  let last: string | undefined;
  for (const raw of text.split('\n')) {
    const line = raw.replace(/\r$/, '');
    if (/^\s*(#|$)/.test(line)) continue;
    if (/^\s/.test(line)) {
      if (last !== undefined) byKey.set(last, `${byKey.get(last) ?? ''} ${line.trim()}`);
      continue;
    }
    const m = /^(\S+)\s*(.*)$/.exec(line);
    if (!m) continue;
    const key = (m[1] as string).toLowerCase();
    byKey.set(key, m[2] ?? '');
    last = key;
  }
  return [...byKey]
    .map(([address, v]) => ({ address, logins: [...new Set(v.split(/[\s,]+/).filter((x) => x !== ''))].sort() }))
    .sort((a, b) => (a.address < b.address ? -1 : a.address > b.address ? 1 : 0));
}
