/** JSON Pointer (RFC 6901) helpers for local `$ref`s (`#/components/...`). External refs are not supported. */

export type Json = Record<string, unknown>;

export function isObject(v: unknown): v is Json {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export function escapeSegment(s: string): string {
  return s.replace(/~/g, '~0').replace(/\//g, '~1');
}

/** `['paths', '/a/{b}', 'get']` → `/paths/~1a~1{b}/get`. */
export function toPointer(segments: readonly (string | number)[]): string {
  return segments.map((s) => '/' + escapeSegment(String(s))).join('');
}

/** A pointer as a URI fragment, for ajv refs: each segment percent-encoded (`{`, `}` are not fragment characters). */
export function toFragment(pointer: string): string {
  return pointer
    .split('/')
    .map((s) => encodeURIComponent(s))
    .join('/');
}

/** Resolves `#/a/b` in `root`; undefined when the ref is not local or does not resolve. */
export function resolveRef(root: unknown, ref: string): unknown {
  if (!ref.startsWith('#')) return undefined;
  const pointer = decodeURIComponent(ref.slice(1));
  if (pointer === '') return root;
  let cur: unknown = root;
  for (const raw of pointer.slice(1).split('/')) {
    const key = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    if (Array.isArray(cur)) cur = cur[Number(key)];
    else if (isObject(cur)) cur = cur[key];
    else return undefined;
  }
  return cur;
}

/**
 * Follows a chain of `$ref`s on a non-schema object (parameter, response, header, request body) and returns the final
 * object with the pointer where it lives, so schemas inside it can be compiled by pointer.
 *
 * @throws Error for an unresolvable or cyclic chain.
 */
export function deref(root: unknown, value: unknown, pointer: string): { value: Json; pointer: string } {
  let cur = value;
  let at = pointer;
  for (let hops = 0; hops < 20; hops++) {
    if (!isObject(cur)) throw new Error(`${at}: expected an object`);
    const ref = cur.$ref;
    if (typeof ref !== 'string') return { value: cur, pointer: at };
    const next = resolveRef(root, ref);
    if (next === undefined) throw new Error(`${at}: cannot resolve $ref ${ref}`);
    cur = next;
    at = decodeURIComponent(ref.slice(1));
  }
  throw new Error(`${pointer}: $ref chain too long or cyclic`);
}
