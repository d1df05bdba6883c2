import { isObject, resolveRef, type Json } from './pointer.ts';

/** Requests and responses read the same schemas differently (`readOnly` / `writeOnly` + `required`). */
export type Direction = 'request' | 'response';

const SUBSCHEMA = new Set([
  'items',
  'additionalProperties',
  'not',
  'if',
  'then',
  'else',
  'contains',
  'propertyNames',
  'unevaluatedItems',
  'unevaluatedProperties',
  'additionalItems',
  'contentSchema',
]);
const SUBSCHEMA_LIST = new Set(['allOf', 'anyOf', 'oneOf', 'prefixItems']);
const SUBSCHEMA_MAP = new Set(['properties', 'patternProperties', '$defs', 'definitions', 'dependentSchemas']);
/** Keys whose values are data, not OpenAPI structure: copied untouched. */
const DATA_KEYS = new Set(['example', 'examples', 'default', 'enum', 'const']);

interface Context {
  readonly root: Json;
  readonly direction: Direction;
  readonly formats: Set<string>;
}

/**
 * Rewrites a whole OpenAPI document so that every schema in it is a JSON Schema 2020-12 schema with the OpenAPI
 * meaning, for one direction. The document keeps its shape, so local `$ref`s still resolve.
 *
 * - 3.0 `nullable: true` → `type: [T, 'null']` (and `null` added to `enum`), or `anyOf: [{type: 'null'}, …]` when the
 *   schema has no simple type (`$ref` siblings, compositions).
 * - 3.0 boolean `exclusiveMinimum`/`exclusiveMaximum` → the 2020-12 numeric form.
 * - `discriminator` with `oneOf`/`anyOf`: each branch's discriminator values are found from `mapping`, then the
 *   branch's own `properties[name].const/enum`, then (for `$ref` branches) the schema name; the union becomes an
 *   `if`/`then` per value, so an unknown value is rejected and overlapping branches don't fail `oneOf`. When a branch's
 *   values cannot be found the discriminator is dropped and `oneOf` relaxed to `anyOf` (lenient, never stricter).
 * - `additionalProperties: false` inside `allOf` members (or beside an applicator) becomes `unevaluatedProperties:
 *   false` on the parent: authors mean "no properties beyond all members", whereas JSON Schema would reject every
 *   property a sibling member declares.
 * - `required` names a property marked `readOnly` (requests) / `writeOnly` (responses) → dropped, as OpenAPI says.
 * - An empty `enum` (admits nothing; a generator artefact) is dropped.
 *
 * @param formats receives every `format` name seen, so unknown ones can be registered as lenient.
 */
export function transformDocument(doc: Json, direction: Direction, formats: Set<string>): Json {
  const ctx: Context = { root: doc, direction, formats };
  return walkStructure(doc, [], ctx) as Json;
}

function walkStructure(value: unknown, path: readonly string[], ctx: Context): unknown {
  if (Array.isArray(value)) return value.map((v, i) => walkStructure(v, [...path, String(i)], ctx));
  if (!isObject(value)) return value;
  const out: Json = {};
  const inSchemaMap = path.length === 2 && path[0] === 'components' && path[1] === 'schemas';
  for (const [k, v] of Object.entries(value)) {
    if (DATA_KEYS.has(k) || k.startsWith('x-')) out[k] = v;
    else if (inSchemaMap || k === 'schema') out[k] = transformSchema(v, ctx, 0);
    else out[k] = walkStructure(v, [...path, k], ctx);
  }
  return out;
}

function transformSchema(schema: unknown, ctx: Context, depth: number): unknown {
  if (!isObject(schema)) return schema;
  const t = (s: unknown) => transformSchema(s, ctx, depth);
  let out: Json = {};
  for (const [k, v] of Object.entries(schema)) {
    if (SUBSCHEMA.has(k)) out[k] = Array.isArray(v) ? v.map(t) : t(v);
    else if (SUBSCHEMA_LIST.has(k)) out[k] = Array.isArray(v) ? v.map(t) : v;
    else if (SUBSCHEMA_MAP.has(k))
      out[k] = isObject(v) ? Object.fromEntries(Object.entries(v).map(([n, s]) => [n, t(s)])) : v;
    else out[k] = v;
    if (k === 'format' && typeof v === 'string') ctx.formats.add(v);
  }
  // `enum: []` admits nothing; generators emit it beside an `allOf` that carries the real values (Discord).
  if (Array.isArray(out.enum) && out.enum.length === 0) delete out.enum;
  tupleItems(out);
  exclusiveBounds(out);
  directionalRequired(schema, out, ctx);
  hoistClosedMembers(out, ctx, depth);
  out = discriminate(schema, out, ctx);
  return nullable(out);
}

/** Draft-04 style tuple `items: [...]` (not valid OpenAPI, but cheap to honour) → `prefixItems`. */
function tupleItems(out: Json): void {
  if (!Array.isArray(out.items)) return;
  out.prefixItems = out.items;
  delete out.items;
  if (out.additionalItems !== undefined) {
    out.items = out.additionalItems;
    delete out.additionalItems;
  }
}

function exclusiveBounds(out: Json): void {
  for (const [ex, bound] of [
    ['exclusiveMinimum', 'minimum'],
    ['exclusiveMaximum', 'maximum'],
  ] as const) {
    if (out[ex] === true && typeof out[bound] === 'number') {
      out[ex] = out[bound];
      delete out[bound];
    } else if (typeof out[ex] === 'boolean') delete out[ex];
  }
}

function directionalRequired(original: Json, out: Json, ctx: Context): void {
  if (!Array.isArray(out.required) || !isObject(original.properties)) return;
  const props = original.properties;
  const flag = ctx.direction === 'request' ? 'readOnly' : 'writeOnly';
  out.required = out.required.filter((name) => {
    let p = props[String(name)];
    if (isObject(p) && typeof p.$ref === 'string') p = resolveRef(ctx.root, p.$ref);
    return !(isObject(p) && p[flag] === true);
  });
}

const APPLICATORS = ['$ref', 'allOf', 'anyOf', 'oneOf', 'if'];

function hoistClosedMembers(out: Json, ctx: Context, depth: number): void {
  let closed = out.additionalProperties === false && APPLICATORS.some((k) => k in out);
  if (Array.isArray(out.allOf)) {
    out.allOf = out.allOf.map((member: unknown) => {
      let m = member;
      if (isObject(m) && typeof m.$ref === 'string' && depth < 8) {
        const target = resolveRef(ctx.root, m.$ref);
        // Inline a referenced closed member so its closure can be lifted without touching the shared component.
        if (isObject(target) && (target.additionalProperties === false || target.unevaluatedProperties === false)) {
          m = transformSchema(target, ctx, depth + 1);
        }
      }
      if (isObject(m) && (m.additionalProperties === false || m.unevaluatedProperties === false)) {
        closed = true;
        const copy = { ...m };
        if (copy.additionalProperties === false) delete copy.additionalProperties;
        if (copy.unevaluatedProperties === false) delete copy.unevaluatedProperties;
        return copy;
      }
      return m;
    });
  }
  if (closed) {
    if (out.additionalProperties === false) delete out.additionalProperties;
    out.unevaluatedProperties = false;
  }
}

function discriminate(original: Json, out: Json, ctx: Context): Json {
  const d = out.discriminator;
  if (d === undefined) return out;
  delete out.discriminator;
  const key = Array.isArray(out.oneOf) ? 'oneOf' : Array.isArray(out.anyOf) ? 'anyOf' : undefined;
  const name = isObject(d) ? d.propertyName : undefined;
  if (key === undefined || typeof name !== 'string') return out; // allOf-inheritance style: structure alone validates
  const branches = out[key] as unknown[];
  const originals = original[key] as unknown[];
  const mapping = isObject(d) && isObject(d.mapping) ? d.mapping : {};
  const values = originals.map((b) => branchValues(b, name, mapping, ctx.root));
  delete out[key];
  const allOf = Array.isArray(out.allOf) ? [...(out.allOf as unknown[])] : [];
  if (values.every((v) => v.length > 0)) {
    const all = [...new Set(values.flat())];
    allOf.push({ if: { type: 'object' }, then: { required: [name], properties: { [name]: { enum: all } } } });
    branches.forEach((b, i) => {
      allOf.push({ if: { type: 'object', required: [name], properties: { [name]: { enum: values[i] } } }, then: b });
    });
  } else {
    allOf.push({ anyOf: branches });
  }
  out.allOf = allOf;
  return out;
}

function branchValues(branch: unknown, name: string, mapping: Json, root: Json): unknown[] {
  if (!isObject(branch)) return [];
  const ref = typeof branch.$ref === 'string' ? branch.$ref : undefined;
  if (ref !== undefined) {
    const mapped = Object.entries(mapping)
      .filter(([, target]) => typeof target === 'string' && normaliseTarget(target) === ref)
      .map(([value]) => value);
    if (mapped.length > 0) return mapped;
  }
  const own = propertyValues(ref ? resolveRef(root, ref) : branch, name, root, 0);
  if (own.length > 0) return own;
  return ref ? [ref.slice(ref.lastIndexOf('/') + 1)] : [];
}

function normaliseTarget(target: string): string {
  return target.startsWith('#') ? target : `#/components/schemas/${target}`;
}

function propertyValues(schema: unknown, name: string, root: Json, depth: number): unknown[] {
  if (!isObject(schema) || depth > 5) return [];
  if (typeof schema.$ref === 'string') return propertyValues(resolveRef(root, schema.$ref), name, root, depth + 1);
  const props = schema.properties;
  if (isObject(props)) {
    let p = props[name];
    if (isObject(p) && typeof p.$ref === 'string') p = resolveRef(root, p.$ref);
    if (isObject(p)) {
      if ('const' in p) return [p.const];
      if (Array.isArray(p.enum)) return p.enum as unknown[];
    }
  }
  if (Array.isArray(schema.allOf)) return schema.allOf.flatMap((m) => propertyValues(m, name, root, depth + 1));
  return [];
}

function nullable(out: Json): Json {
  if (out.nullable === undefined) return out;
  const isNullable = out.nullable === true;
  delete out.nullable;
  if (!isNullable) return out;
  const composite = ['$ref', 'allOf', 'anyOf', 'oneOf', 'not', 'if'].some((k) => k in out);
  const type = out.type;
  if (!composite && (typeof type === 'string' || Array.isArray(type))) {
    const types = typeof type === 'string' ? [type] : (type as unknown[]);
    out.type = types.includes('null') ? types : [...types, 'null'];
    if (Array.isArray(out.enum) && !out.enum.includes(null)) out.enum = [...(out.enum as unknown[]), null];
    if ('const' in out) {
      out.enum = [out.const, null];
      delete out.const;
    }
    return out;
  }
  return { anyOf: [{ type: 'null' }, out] };
}
