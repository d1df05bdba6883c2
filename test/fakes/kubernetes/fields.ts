import { isDeepStrictEqual } from 'node:util';

/**
 * Field ownership for server-side apply, as much as gatehouse's behaviour depends on: which manager owns which leaf
 * field, conflicts when an apply changes a field another manager owns, forced take-over, removal of fields a manager
 * stops applying, and imperative updates moving ownership to their manager. Lists are atomic (a list is one field),
 * which is how Kubernetes treats lists without merge keys; finer granularity is not modelled.
 */

/** A field path, e.g. `["spec","hard","cpu"]`. */
export type FieldPath = readonly string[];
type Json = Record<string, unknown>;

export interface Owner {
  readonly operation: 'Apply' | 'Update';
  /** Keys of owned paths (see {@link pathKey}). */
  readonly fields: Set<string>;
}

export const pathKey = (p: FieldPath): string => JSON.stringify(p);
const pathOf = (key: string): FieldPath => JSON.parse(key) as FieldPath;

/** Leaf fields of an object that managers can own: everything but identity, status and server-set metadata. */
export function leafFields(obj: Json): FieldPath[] {
  const out: FieldPath[] = [];
  const walk = (v: unknown, path: string[]) => {
    if (isPlainObject(v) && Object.keys(v).length > 0) {
      for (const [k, x] of Object.entries(v)) walk(x, [...path, k]);
    } else out.push(path);
  };
  for (const [k, v] of Object.entries(obj)) {
    if (k === 'apiVersion' || k === 'kind' || k === 'status') continue;
    if (k === 'metadata') {
      const m = v as Json;
      for (const sub of ['labels', 'annotations']) {
        if (isPlainObject(m[sub])) for (const [lk, lv] of Object.entries(m[sub])) walk(lv, ['metadata', sub, lk]);
      }
      continue;
    }
    walk(v, [k]);
  }
  return out;
}

export function getPath(obj: unknown, p: FieldPath): unknown {
  let cur = obj;
  for (const k of p) {
    if (!isPlainObject(cur)) return undefined;
    cur = cur[k];
  }
  return cur;
}

export function setPath(obj: Json, p: FieldPath, value: unknown): void {
  let cur = obj;
  for (const k of p.slice(0, -1)) {
    if (!isPlainObject(cur[k])) cur[k] = {};
    cur = cur[k] as Json;
  }
  cur[p[p.length - 1] as string] = structuredClone(value);
}

export function deletePath(obj: Json, p: FieldPath): void {
  const parents: Json[] = [];
  let cur = obj;
  for (const k of p.slice(0, -1)) {
    if (!isPlainObject(cur[k])) return;
    parents.push(cur);
    cur = cur[k];
  }
  delete cur[p[p.length - 1] as string];
  // Drop emptied parents, as the API server does not keep empty maps a manager no longer sets.
  for (let i = p.length - 2; i >= 0; i--) {
    const parent = parents[i] as Json;
    const child = parent[p[i] as string];
    if (isPlainObject(child) && Object.keys(child).length === 0) delete parent[p[i] as string];
    else break;
  }
}

export interface Conflict {
  readonly manager: string;
  readonly field: FieldPath;
}

/**
 * Applies `config` as `manager` onto `current` (undefined: create). Without `force`, a field whose value would change
 * and that another manager owns is a conflict, and nothing changes. With `force`, ownership moves to `manager`.
 * Fields `manager` applied before and no longer applies are removed unless another manager owns them.
 */
export function serverSideApply(
  current: Json | undefined,
  owners: Map<string, Owner>,
  config: Json,
  manager: string,
  force: boolean,
): { object: Json; conflicts: Conflict[] } {
  const object: Json = current ? structuredClone(current) : {};
  const applied = leafFields(config);
  const conflicts: Conflict[] = [];
  for (const p of applied) {
    const key = pathKey(p);
    if (isDeepStrictEqual(getPath(object, p), getPath(config, p))) continue;
    for (const [m, o] of owners) if (m !== manager && o.fields.has(key)) conflicts.push({ manager: m, field: p });
  }
  if (conflicts.length > 0 && !force) return { object: current ?? {}, conflicts };
  const mine = new Set(applied.map(pathKey));
  const previous = owners.get(manager)?.operation === 'Apply' ? owners.get(manager)!.fields : new Set<string>();
  for (const key of previous) {
    if (mine.has(key)) continue;
    const others = [...owners].some(([m, o]) => m !== manager && o.fields.has(key));
    if (!others) deletePath(object, pathOf(key));
  }
  for (const p of applied) {
    const key = pathKey(p);
    const changed = !isDeepStrictEqual(getPath(object, p), getPath(config, p));
    if (changed) for (const [m, o] of owners) if (m !== manager) o.fields.delete(key);
    setPath(object, p, getPath(config, p));
  }
  owners.set(manager, { operation: 'Apply', fields: mine });
  prune(owners);
  return { object, conflicts };
}

/** An imperative write (PUT, merge patch) by `manager`: it takes ownership of every field whose value it changed. */
export function recordUpdate(before: Json, after: Json, owners: Map<string, Owner>, manager: string): void {
  const afterKeys = new Set(leafFields(after).map(pathKey));
  for (const o of owners.values()) for (const key of o.fields) if (!afterKeys.has(key)) o.fields.delete(key);
  const taken = owners.get(manager)?.fields ?? new Set<string>();
  for (const p of leafFields(after)) {
    if (isDeepStrictEqual(getPath(before, p), getPath(after, p))) continue;
    const key = pathKey(p);
    for (const o of owners.values()) o.fields.delete(key);
    taken.add(key);
  }
  owners.set(manager, { operation: owners.get(manager)?.operation ?? 'Update', fields: taken });
  prune(owners);
}

/** `metadata.managedFields` in the API's FieldsV1 form. */
export function managedFields(
  owners: Map<string, Owner>,
  apiVersion: string,
  time: string,
): { manager: string; operation: string; apiVersion: string; time: string; fieldsType: string; fieldsV1: Json }[] {
  return [...owners].map(([manager, o]) => {
    const fieldsV1: Json = {};
    for (const key of o.fields) {
      let cur = fieldsV1;
      for (const k of pathOf(key)) {
        const f = `f:${k}`;
        if (!isPlainObject(cur[f])) cur[f] = {};
        cur = cur[f] as Json;
      }
    }
    return { manager, operation: o.operation, apiVersion, time, fieldsType: 'FieldsV1', fieldsV1 };
  });
}

function prune(owners: Map<string, Owner>): void {
  for (const [m, o] of owners) if (o.fields.size === 0) owners.delete(m);
}

export function isPlainObject(v: unknown): v is Json {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
