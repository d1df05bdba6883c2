import { deref, isObject, resolveRef, toPointer, type Json } from './pointer.ts';
import type { OperationEntry } from './router.ts';

/** One declared parameter, resolved, with the pointer of its schema for compiling. */
export interface ParamDef {
  readonly name: string;
  readonly in: 'path' | 'query' | 'header' | 'cookie';
  readonly required: boolean;
  readonly style: string;
  readonly explode: boolean;
  /** Pointer of the parameter's schema (or of `content[json].schema`); undefined when it declares none. */
  readonly schemaPointer?: string;
  readonly schema?: unknown;
  /** `content: application/json` parameters carry JSON text. */
  readonly json: boolean;
}

/** Path-level parameters overridden by operation-level ones with the same name and location. */
export function collectParams(root: Json, entry: OperationEntry): ParamDef[] {
  const byKey = new Map<string, ParamDef>();
  const sources: [unknown, string][] = [
    [entry.pathItem.parameters, `${entry.pathItemPointer}/parameters`],
    [entry.operation.parameters, `${entry.pointer}/parameters`],
  ];
  for (const [list, at] of sources) {
    if (!Array.isArray(list)) continue;
    list.forEach((raw, i) => {
      const { value: p, pointer } = deref(root, raw, `${at}/${i}`);
      const where = p.in as ParamDef['in'];
      const name = String(p.name);
      let schemaPointer: string | undefined;
      let schema: unknown;
      let json = false;
      if (p.schema !== undefined) {
        schemaPointer = `${pointer}/schema`;
        schema = p.schema;
      } else if (isObject(p.content)) {
        const [mt, media] = Object.entries(p.content)[0] ?? [];
        if (mt !== undefined && isObject(media) && media.schema !== undefined) {
          schemaPointer = `${pointer}${toPointer(['content', mt, 'schema'])}`;
          schema = media.schema;
          json = /json/i.test(mt);
        }
      }
      const style = typeof p.style === 'string' ? p.style : where === 'query' || where === 'cookie' ? 'form' : 'simple';
      byKey.set(`${where}:${where === 'header' ? name.toLowerCase() : name}`, {
        name,
        in: where,
        required: p.required === true || where === 'path',
        style,
        explode: typeof p.explode === 'boolean' ? p.explode : style === 'form',
        ...(schemaPointer === undefined ? {} : { schemaPointer, schema }),
        json,
      });
    });
  }
  return [...byKey.values()];
}

/** The JSON types a schema admits at its top level, following `$ref`s and compositions; empty = unknown. */
export function schemaTypes(root: Json, schema: unknown, depth = 0): Set<string> {
  const out = new Set<string>();
  if (!isObject(schema) || depth > 8) return out;
  if (typeof schema.$ref === 'string') return schemaTypes(root, resolveRef(root, schema.$ref), depth + 1);
  const t = schema.type;
  if (typeof t === 'string') out.add(t);
  else if (Array.isArray(t)) for (const x of t) out.add(String(x));
  for (const k of ['allOf', 'anyOf', 'oneOf']) {
    const list = schema[k];
    if (Array.isArray(list)) for (const s of list) for (const x of schemaTypes(root, s, depth + 1)) out.add(x);
  }
  return out;
}

export function itemsSchema(root: Json, schema: unknown, depth = 0): unknown {
  if (!isObject(schema) || depth > 8) return undefined;
  if (typeof schema.$ref === 'string') return itemsSchema(root, resolveRef(root, schema.$ref), depth + 1);
  return schema.items;
}

/**
 * Turns the text of a parameter into the JSON value its schema describes, the way a server framework would: integers
 * and numbers only from a full numeric literal, booleans only from `true`/`false`. Anything else stays a string, so the
 * schema reports the mismatch instead of the coercion hiding it.
 */
export function coerceScalar(raw: string, types: ReadonlySet<string>): unknown {
  if (types.has('integer') && /^-?\d+$/.test(raw)) return Number(raw);
  if (types.has('number') && /^-?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(raw)) return Number(raw);
  if (types.has('boolean') && (raw === 'true' || raw === 'false')) return raw === 'true';
  return raw;
}

/** Result of decoding one parameter: a value to validate, or a reason it cannot be (unsupported style). */
export type Decoded = { value: unknown } | { skip: true } | { error: string };

export function decodeParam(root: Json, def: ParamDef, raw: readonly string[]): Decoded {
  if (def.json) {
    try {
      return { value: JSON.parse(raw[raw.length - 1] ?? '') };
    } catch {
      return { error: 'is not valid JSON' };
    }
  }
  const types = schemaTypes(root, def.schema);
  if (types.has('object') || def.style === 'deepObject') return { skip: true };
  if (types.has('array')) {
    const itemTypes = schemaTypes(root, itemsSchema(root, def.schema));
    const parts =
      def.in === 'query' && def.explode
        ? raw
        : raw.flatMap((r) => r.split(def.style === 'pipeDelimited' ? '|' : def.style === 'spaceDelimited' ? ' ' : ','));
    return { value: parts.map((p) => coerceScalar(p, itemTypes)) };
  }
  if (raw.length > 1) return { error: `is given ${raw.length} times` };
  return { value: coerceScalar(raw[0] ?? '', types) };
}
