import { isObject, toPointer, type Json } from './pointer.ts';

export const METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'] as const;

/** One operation of the description: where it lives and how its path template matches. */
export interface OperationEntry {
  readonly method: string;
  readonly pathTemplate: string;
  /** `operationId`, or `METHOD template` when the description has none. */
  readonly operationId: string;
  /** JSON pointer of the operation object (`/paths/~1users/get`). */
  readonly pointer: string;
  readonly operation: Json;
  readonly pathItem: Json;
  readonly pathItemPointer: string;
  readonly segments: readonly Segment[];
}

interface Segment {
  readonly literal?: string;
  readonly pattern?: RegExp;
  readonly names?: readonly string[];
}

/** A request path resolved to one operation, with its raw (decoded) path parameters. */
export interface OperationMatch {
  readonly entry: OperationEntry;
  readonly pathParams: Readonly<Record<string, string>>;
}

export type RouteResult =
  | { readonly ok: true; readonly match: OperationMatch }
  | {
      readonly ok: false;
      readonly reason: 'no-route' | 'method-not-allowed' | 'bad-encoding';
      readonly allowed?: string[];
    };

/**
 * Matches request paths to operations. Concrete segments win over templated ones, left to right, as OpenAPI requires
 * (`/users/me` before `/users/{id}`). Templates may mix text and parameters within a segment (`/{name}.json`).
 * Trailing slashes are significant.
 */
export class Router {
  readonly entries: readonly OperationEntry[];

  constructor(paths: Json) {
    const entries: OperationEntry[] = [];
    for (const [template, item] of Object.entries(paths)) {
      if (!isObject(item)) continue;
      const segments = template.split('/').slice(1).map(compileSegment);
      for (const method of METHODS) {
        const op = item[method];
        if (!isObject(op)) continue;
        entries.push({
          method,
          pathTemplate: template,
          operationId: typeof op.operationId === 'string' ? op.operationId : `${method.toUpperCase()} ${template}`,
          pointer: toPointer(['paths', template, method]),
          operation: op,
          pathItem: item,
          pathItemPointer: toPointer(['paths', template]),
          segments,
        });
      }
    }
    this.entries = entries;
  }

  match(method: string, path: string): RouteResult {
    const parts = path.split('/').slice(1);
    let best: { entry: OperationEntry; params: Record<string, string>; score: number[] } | undefined;
    const allowed = new Set<string>();
    let badEncoding = false;
    for (const entry of this.entries) {
      if (entry.segments.length !== parts.length) continue;
      const params: Record<string, string> = {};
      const score: number[] = [];
      let ok = true;
      for (let i = 0; ok && i < parts.length; i++) {
        const seg = entry.segments[i] as Segment;
        const part = parts[i] as string;
        if (seg.literal !== undefined) {
          ok = seg.literal === part;
          score.push(1);
          continue;
        }
        const m = seg.pattern?.exec(part);
        if (!m) {
          ok = false;
          continue;
        }
        score.push(0);
        seg.names?.forEach((name, j) => {
          try {
            params[name] = decodeURIComponent(m[j + 1] ?? '');
          } catch {
            badEncoding = true;
            ok = false;
          }
        });
      }
      if (!ok) continue;
      if (entry.method !== method.toLowerCase()) {
        allowed.add(entry.method.toUpperCase());
        continue;
      }
      if (!best || compareScore(score, best.score) > 0) best = { entry, params, score };
    }
    if (best) return { ok: true, match: { entry: best.entry, pathParams: best.params } };
    if (badEncoding) return { ok: false, reason: 'bad-encoding' };
    if (allowed.size > 0) return { ok: false, reason: 'method-not-allowed', allowed: [...allowed].sort() };
    return { ok: false, reason: 'no-route' };
  }
}

function compileSegment(text: string): Segment {
  if (!text.includes('{')) return { literal: text };
  const names: string[] = [];
  const source = text.replace(/\{([^}]+)\}|([^{]+)/g, (_m, name: string | undefined, lit: string | undefined) => {
    if (name !== undefined) {
      names.push(name);
      return '([^/]+?)';
    }
    return (lit ?? '').replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  });
  return { pattern: new RegExp(`^${source}$`), names };
}

function compareScore(a: readonly number[], b: readonly number[]): number {
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return (a[i] ?? 0) - (b[i] ?? 0);
  return 0;
}
