import type { Json } from './pointer.ts';

export type HeadersInput = Headers | Readonly<Record<string, string | readonly string[] | number | undefined>>;
export type QueryInput = string | URLSearchParams | Readonly<Record<string, string | readonly string[] | undefined>>;

/**
 * The declared media type a Content-Type selects: exact match (parameters ignored), then the type's wildcard
 * (`text/` + star), then the full wildcard.
 */
export function pickMedia(content: Json, contentType: string): [string, unknown] | undefined {
  const want = (contentType.split(';')[0] ?? '').trim().toLowerCase();
  const keys = Object.keys(content);
  const norm = (k: string) => (k.split(';')[0] ?? '').trim().toLowerCase();
  const hit =
    keys.find((k) => norm(k) === want) ??
    keys.find((k) => norm(k) === `${want.split('/')[0]}/*`) ??
    keys.find((k) => norm(k) === '*/*');
  return hit === undefined ? undefined : [hit, content[hit]];
}

export function isJsonMedia(mediaType: string): boolean {
  const t = (mediaType.split(';')[0] ?? '').trim().toLowerCase();
  return t === 'application/json' || t.endsWith('+json');
}

export function toQueryMap(q: QueryInput): Map<string, string[]> {
  const out = new Map<string, string[]>();
  const add = (k: string, v: string) => out.set(k, [...(out.get(k) ?? []), v]);
  if (typeof q === 'string' || q instanceof URLSearchParams) {
    for (const [k, v] of new URLSearchParams(q)) add(k, v);
    return out;
  }
  for (const [k, v] of Object.entries(q)) {
    if (v === undefined) continue;
    if (typeof v === 'string') add(k, v);
    else for (const x of v) add(k, x);
  }
  return out;
}

export function toHeaderMap(h: HeadersInput | undefined): Map<string, string> {
  const out = new Map<string, string>();
  if (!h) return out;
  if (h instanceof Headers) {
    for (const [k, v] of h) out.set(k.toLowerCase(), v);
    return out;
  }
  for (const [k, v] of Object.entries(h)) {
    if (v === undefined) continue;
    out.set(k.toLowerCase(), typeof v === 'string' || typeof v === 'number' ? String(v) : v.join(', '));
  }
  return out;
}
