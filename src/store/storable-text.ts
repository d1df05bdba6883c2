/** A UTF-16 surrogate without its partner: no UTF-8 encoding exists for it. */
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

/**
 * The string as PostgreSQL will give it back. PostgreSQL text cannot hold NUL, and a lone surrogate (say, an error
 * message cut in the middle of an emoji) is turned into U+FFFD on the way to UTF-8 — so a hash computed over the
 * original would no longer match the stored record, and one odd character would either fail the write or look like
 * tampering. Both become U+FFFD before anything is hashed or stored.
 */
export function storableText(s: string): string {
  return s.replace(LONE_SURROGATE, '\uFFFD').replaceAll('\u0000', '\uFFFD');
}
