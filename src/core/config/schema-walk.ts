import type { z } from 'zod';

interface Def {
  readonly type: string;
  readonly shape?: Record<string, z.ZodType>;
  readonly innerType?: z.ZodType;
  readonly in?: z.ZodType;
  readonly valueType?: z.ZodType;
  readonly element?: z.ZodType;
  readonly options?: readonly z.ZodType[];
  readonly discriminator?: string;
  readonly values?: readonly unknown[];
  readonly getter?: () => z.ZodType;
}

function def(schema: z.ZodType): Def {
  return (schema as unknown as { _zod: { def: Def } })._zod.def;
}

/** The schema and every wrapper around it (optional, default, pipe, …), outermost first. */
function layers(schema: z.ZodType): z.ZodType[] {
  const out: z.ZodType[] = [];
  let s: z.ZodType | undefined = schema;
  while (s && out.length < 32) {
    out.push(s);
    const d = def(s);
    s = d.innerType ?? d.in ?? (d.type === 'lazy' ? d.getter?.() : undefined);
  }
  return out;
}

/**
 * The object-or-leaf schemas that may describe `raw`: unions are narrowed by their discriminator (or kept whole
 * when the value names no option), wrappers are unwrapped.
 */
function candidates(schema: z.ZodType, raw: unknown): z.ZodType[] {
  const inner = layers(schema).at(-1) ?? schema;
  const d = def(inner);
  if (d.type !== 'union' || !d.options) return [schema];
  const options = d.options;
  if (d.discriminator && raw !== null && typeof raw === 'object') {
    const tag = (raw as Record<string, unknown>)[d.discriminator];
    const matching = options.filter((o) => literalOf(o, d.discriminator ?? '').includes(tag));
    if (matching.length > 0) return matching.flatMap((o) => candidates(o, raw));
  }
  return options.flatMap((o) => candidates(o, raw));
}

function literalOf(schema: z.ZodType, key: string): unknown[] {
  const field = shapeOf(schema)?.[key];
  if (!field) return [];
  const d = def(layers(field).at(-1) ?? field);
  return d.type === 'literal' ? [...(d.values ?? [])] : [];
}

function shapeOf(schema: z.ZodType): Record<string, z.ZodType> | undefined {
  return def(layers(schema).at(-1) ?? schema).shape;
}

function child(schema: z.ZodType, key: string | number): z.ZodType | undefined {
  const d = def(layers(schema).at(-1) ?? schema);
  if (d.type === 'object') return typeof key === 'string' ? d.shape?.[key] : undefined;
  if (d.type === 'record') return d.valueType;
  if (d.type === 'array') return d.element;
  return undefined;
}

/** Every schema that may describe the value at `path` of `root` (a raw, unvalidated configuration). */
export function schemasAt(schema: z.ZodType, root: unknown, path: readonly (string | number)[]): z.ZodType[] {
  let current: z.ZodType[] = [schema];
  let raw = root;
  for (const key of path) {
    current = current.flatMap((s) => candidates(s, raw)).flatMap((s) => child(s, key) ?? []);
    raw = raw !== null && typeof raw === 'object' ? (raw as Record<string | number, unknown>)[key] : undefined;
  }
  return current.flatMap((s) => candidates(s, raw));
}

/** The keys an object at `path` admits (empty when the schema there is not an object). */
export function keysAt(schema: z.ZodType, root: unknown, path: readonly (string | number)[]): string[] {
  return [...new Set(schemasAt(schema, root, path).flatMap((s) => Object.keys(shapeOf(s) ?? {})))];
}

/** Whether a schema at `path` (or any wrapper of it) was marked with the given predicate. */
export function someLayer(schemas: readonly z.ZodType[], predicate: (s: z.ZodType) => boolean): boolean {
  return schemas.some((s) => layers(s).some(predicate));
}

/**
 * Calls `visit` for every field of every object schema reachable from `schema` (through unions, records, arrays and
 * wrappers), with the field's name and its schema as declared. Each schema is visited once.
 */
export function everyField(schema: z.ZodType, visit: (key: string, field: z.ZodType) => void): void {
  const seen = new Set<z.ZodType>();
  const walk = (s: z.ZodType): void => {
    for (const layer of layers(s)) {
      if (seen.has(layer)) return;
      seen.add(layer);
    }
    const d = def(layers(s).at(-1) ?? s);
    for (const [key, field] of Object.entries(d.shape ?? {})) {
      visit(key, field);
      walk(field);
    }
    for (const next of [d.valueType, d.element, ...(d.options ?? [])]) if (next) walk(next);
  };
  walk(schema);
}

/** Whether `schema` or any wrapper layer of it satisfies `predicate`. */
export function anyLayer(schema: z.ZodType, predicate: (s: z.ZodType) => boolean): boolean {
  return layers(schema).some(predicate);
}
