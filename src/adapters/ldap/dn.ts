/**
 * Distinguished names, per RFC 4514: escaping a value placed into an RDN, and a normal form for comparing DNs that
 * reach us in different spellings (`UID=Alice, OU=People` vs `uid=alice,ou=people`).
 */

/**
 * Escapes one attribute value for use in an RDN (RFC 4514 §2.4): `, + " \ < > ;` and `=` anywhere, a leading space
 * or `#`, a trailing space, and NUL. Without this, a value such as `x,ou=services` read from Discord would move the
 * new entry into another subtree.
 */
export function escapeDnValue(value: string): string {
  let out = '';
  for (let i = 0; i < value.length; i++) {
    const ch = value[i] as string;
    if (ch === '\0') out += '\\00';
    else if (',+"\\<>;='.includes(ch)) out += `\\${ch}`;
    else if ((i === 0 && (ch === ' ' || ch === '#')) || (i === value.length - 1 && ch === ' ')) out += `\\${ch}`;
    else out += ch;
  }
  return out;
}

/** `attr=escaped(value),parent`. `attr` must be a plain attribute name; anything else is a programming error. */
export function childDn(attribute: string, value: string, parent: string): string {
  if (!/^[A-Za-z][A-Za-z0-9-]*$/.test(attribute))
    throw new Error(`not an attribute name: ${JSON.stringify(attribute)}`);
  return `${attribute}=${escapeDnValue(value)},${parent}`;
}

/**
 * Splits a DN into [type, value] pairs with escapes decoded (`\,` → `,`, `\2C` → `,`). Multi-valued RDNs (`+`) are
 * kept as separate pairs in order. Throws on a malformed DN (dangling escape, missing `=`).
 */
export function parseDn(dn: string): [string, string][] {
  const out: [string, string][] = [];
  let type = '';
  let value = '';
  let inValue = false;
  const bytes: number[] = [];
  const flushBytes = () => {
    if (bytes.length > 0) {
      value += Buffer.from(bytes).toString('utf8');
      bytes.length = 0;
    }
  };
  const end = () => {
    flushBytes();
    if (!inValue) {
      if (type.trim() === '' && out.length === 0 && dn.trim() === '') return;
      throw new Error(`malformed DN: ${JSON.stringify(dn)}`);
    }
    out.push([type.trim(), value]);
    type = '';
    value = '';
    inValue = false;
  };
  for (let i = 0; i < dn.length; i++) {
    const ch = dn[i] as string;
    if (!inValue) {
      if (ch === '=') inValue = true;
      else type += ch;
      continue;
    }
    if (ch === '\\') {
      const next = dn.slice(i + 1, i + 3);
      if (/^[0-9A-Fa-f]{2}$/.test(next)) {
        bytes.push(parseInt(next, 16));
        i += 2;
        continue;
      }
      if (i + 1 >= dn.length) throw new Error(`malformed DN (dangling escape): ${JSON.stringify(dn)}`);
      flushBytes();
      value += dn[i + 1];
      i += 1;
      continue;
    }
    flushBytes();
    if (ch === ',' || ch === '+') end();
    else value += ch;
  }
  if (type !== '' || inValue) end();
  return out;
}

/**
 * A comparison key for a DN: types and values lower-cased, values trimmed and re-escaped. Treats every value as
 * case-insensitive, which matches the equality rules of the attributes DNs are made of in practice (uid, cn, ou, dc);
 * a directory that distinguishes `uid=Alice` from `uid=alice` is not supported.
 *
 * Called for every entry and member value of a read, so the common case is cheap: a DN of printable ASCII with no
 * character that needs escaping, no spaces around separators and single-valued RDNs is already in normal form except
 * for case ({@link PLAIN_DN}); anything else is parsed.
 */
export function normalizeDn(dn: string): string {
  if (!PLAIN_DN.test(dn)) return normalizeParsedDn(dn);
  // Already lower case (most DNs a directory returns): the string itself, not a copy of it (`toLowerCase` copies even
  // then, and a read keeps one normal form per entry and member: 100k copies of 50–60 bytes for 100k people).
  return UPPER.test(dn) ? dn.toLowerCase() : dn;
}
const UPPER = /[A-Z]/;

/**
 * DNs whose normal form is their lower-cased text: `type=value` RDNs separated by bare commas; types are names; values
 * are printable ASCII without backslash or `" + < > ; = ,`, do not start with `#` or a space and do not end with a space. For such
 * a DN {@link normalizeParsedDn} only lower-cases (a test checks this over generated DNs).
 *
 * Value characters, as ranges of printable ASCII: first `! $-* --: ?-[ ]-~` (no space, `#`), middle adds space and `#`,
 * last adds `#`.
 */
const TYPE = '[A-Za-z][A-Za-z0-9-]*';
const VALUE = String.raw`[!$-*\--:?-[\]-~](?:[ !#-*\--:?-[\]-~]*[!#-*\--:?-[\]-~])?`;
const PLAIN_DN = new RegExp(`^${TYPE}=${VALUE}(?:,${TYPE}=${VALUE})*$`);

/** The general path of {@link normalizeDn}: parse, then print each pair in normal form. Exported for its test. */
export function normalizeParsedDn(dn: string): string {
  return parseDn(dn)
    .map(([t, v]) => `${t.toLowerCase()}=${escapeDnValue(v.trim().toLowerCase())}`)
    .join(',');
}

/** True when `dn` is `base` or lies below it. Both are normalised first. */
export function isUnder(dn: string, base: string): boolean {
  const d = normalizeDn(dn);
  const b = normalizeDn(base);
  return d === b || d.endsWith(`,${b}`);
}
