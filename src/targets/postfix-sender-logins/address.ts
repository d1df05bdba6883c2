/**
 * Validation of what may become a key or a value of a Postfix lookup table. Every address and login passes through
 * here before it can reach the table: the table format has no quoting, so a space ends a key, a newline starts a new
 * entry, and a `#` at the start of a line makes it a comment. Anything outside the grammar below is refused with a
 * reason, never repaired.
 */

/** RFC 5321 `atext`: the characters of a dot-atom local part. */
const ATEXT = /^[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+$/;
/** One RFC 5321 domain label: letters, digits, hyphens inside. */
const LABEL = /^[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?$/;

/**
 * Addresses every check of {@link fullAddressProblem} accepts, as one pattern: a dot-atom local part of 1–64
 * characters not starting with `#`, `@`, a host name of 1–253 characters. Every character it admits is printable
 * ASCII. Planning checks every address of the directory (220k for 100k people): one match, without the slices and
 * splits of the full check, which then only runs for what this refuses (a test compares both over generated text).
 */
const ATEXT_CHARS = "A-Za-z0-9!#$%&'*+/=?^_`{|}~-";
const LABEL_PATTERN = '[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?';
const PLAIN_ADDRESS = new RegExp(
  `^(?!#)(?=[^@]{1,64}@)[${ATEXT_CHARS}]+(?:\\.[${ATEXT_CHARS}]+)*@(?=[^@]{1,253}$)${LABEL_PATTERN}(?:\\.${LABEL_PATTERN})*$`,
);
/** Logins every check of {@link fullLoginProblem} accepts: 1–255 printable ASCII characters but `,`, no leading `#`. */
const PLAIN_LOGIN = /^(?!#)[\x21-\x2b\x2d-\x7e]{1,255}$/;

/** Why `text` is not an acceptable envelope sender address, or undefined when it is. */
export function addressProblem(text: string): string | undefined {
  return PLAIN_ADDRESS.test(text) ? undefined : fullAddressProblem(text);
}

/** {@link addressProblem} check by check, with the reason. Exported for the test of the pattern. */
export function fullAddressProblem(text: string): string | undefined {
  const bad = unsafeCharacter(text);
  if (bad) return bad;
  const at = text.lastIndexOf('@');
  if (at < 0) return 'has no @';
  const local = text.slice(0, at);
  const domain = text.slice(at + 1);
  return localPartProblem(local) ?? domainProblem(domain);
}

/**
 * Why `text` is not an acceptable catch-all key (`@domain`), or undefined. Catch-alls are only ever written from
 * explicit configuration.
 */
export function catchAllProblem(text: string): string | undefined {
  if (!text.startsWith('@')) return 'a catch-all is written @domain';
  return unsafeCharacter(text) ?? domainProblem(text.slice(1));
}

/** Why `text` is not an acceptable domain (RFC 5321 `Domain`, no address literals), or undefined. */
export function domainProblem(text: string): string | undefined {
  const bad = unsafeCharacter(text);
  if (bad) return bad;
  if (text.length === 0) return 'has an empty domain';
  if (text.length > 253) return 'has a domain longer than 253 characters';
  if (!text.split('.').every((l) => LABEL.test(l))) return `domain ${JSON.stringify(text)} is not a host name`;
  return undefined;
}

function localPartProblem(local: string): string | undefined {
  if (local.length === 0) return 'has an empty local part';
  if (local.length > 64) return 'has a local part longer than 64 characters';
  // A leading `#` would turn the table line into a comment.
  if (local.startsWith('#')) return 'starts with #';
  if (!local.split('.').every((p) => ATEXT.test(p))) return 'local part is not an RFC 5321 dot-atom';
  return undefined;
}

/**
 * A SASL login as the table's right-hand side: Postfix splits the value on commas and whitespace, so neither may
 * appear, nor control characters.
 */
export function loginProblem(text: string): string | undefined {
  return PLAIN_LOGIN.test(text) ? undefined : fullLoginProblem(text);
}

/** {@link loginProblem} check by check, with the reason. Exported for the test of the pattern. */
export function fullLoginProblem(text: string): string | undefined {
  if (text.length === 0) return 'is empty';
  if (text.length > 255) return 'is longer than 255 characters';
  const bad = unsafeCharacter(text);
  if (bad) return bad;
  if (text.includes(',')) return 'contains a comma';
  if (text.startsWith('#')) return 'starts with #';
  return undefined;
}

function unsafeCharacter(text: string): string | undefined {
  if (/[\r\n]/.test(text)) return 'contains a line break';
  if (/\s/.test(text)) return 'contains whitespace';
  // eslint-disable-next-line no-control-regex
  if (/[\x00-\x1f\x7f]/.test(text)) return 'contains a control character';
  if (/[^\x21-\x7e]/.test(text)) return 'contains a character outside printable ASCII';
  return undefined;
}

/** Postfix looks senders up in lower case (and `postmap` folds keys): keys are kept in that form. */
export function canonicalAddress(text: string): string {
  // Nearly every address is already in lower case; toLowerCase would still build a copy first (220k per run).
  return NOTHING_TO_LOWER.test(text) ? text : text.toLowerCase();
}

/** ASCII without capitals: what lower-casing leaves as it is, checked without building a copy. */
// eslint-disable-next-line no-control-regex -- every ASCII character but A-Z, control characters included
const NOTHING_TO_LOWER = /^[\x00-\x40\x5b-\x7f]*$/;
