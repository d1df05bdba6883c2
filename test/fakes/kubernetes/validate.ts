import * as client from '@kubernetes/client-node';
import { ListMeta } from '@kubernetes-models/apimachinery/apis/meta/v1/ListMeta';
import { apiVersionOf, type KindInfo } from './kinds.ts';

/**
 * Checks an object against the Kubernetes API schemas, as a strict API server would: types, enums, required fields
 * and quantities through `kubernetes-models` (JSON schemas of Kubernetes 1.36), and unknown fields through the field
 * lists of `@kubernetes/client-node`'s generated models (generated from the same OpenAPI documents) — the
 * kubernetes-models schemas accept unknown fields, which a strict server (`fieldValidation=Strict`) rejects.
 *
 * Returns one message per violation; none means valid.
 */
export function validateObject(info: KindInfo, obj: unknown): string[] {
  const out: string[] = [];
  if (typeof obj !== 'object' || obj === null || Array.isArray(obj)) return [`${info.kind}: not an object`];
  const o = obj as { apiVersion?: unknown; kind?: unknown };
  if (o.apiVersion !== apiVersionOf(info)) out.push(`apiVersion ${String(o.apiVersion)} is not ${apiVersionOf(info)}`);
  if (o.kind !== info.kind) out.push(`kind ${String(o.kind)} is not ${info.kind}`);
  try {
    new info.model(obj as never).validate();
  } catch (e) {
    out.push(`${info.kind}: ${(e as Error).message}`);
  }
  unknownFields(obj, info.clientType, info.kind, out);
  return out;
}

/** A list response: its items one by one, and the list metadata. */
export function validateList(info: KindInfo, list: { metadata: unknown; items: readonly unknown[] }): string[] {
  const out: string[] = [];
  try {
    new ListMeta(list.metadata as never).validate();
  } catch (e) {
    out.push(`${info.kind}List metadata: ${(e as Error).message}`);
  }
  unknownFields(list.metadata, 'V1ListMeta', `${info.kind}List.metadata`, out);
  list.items.forEach((item, i) => {
    for (const m of validateObject(info, item)) out.push(`items[${i}]: ${m}`);
  });
  return out;
}

const PRIMITIVE = new Set(['string', 'number', 'boolean', 'Date', 'any', 'object', 'IntOrString']);
type AttributeMap = readonly { readonly baseName: string; readonly type: string }[];
const models = client as unknown as Record<string, { getAttributeTypeMap?: () => AttributeMap } | undefined>;

function unknownFields(value: unknown, type: string, path: string, out: string[]): void {
  if (value === null || value === undefined || PRIMITIVE.has(type)) return;
  const array = /^Array<(.+)>$/.exec(type);
  if (array) {
    if (Array.isArray(value)) value.forEach((v, i) => unknownFields(v, array[1] as string, `${path}[${i}]`, out));
    return;
  }
  const map = /^\{ \[key: string\]: (.+); \}$/.exec(type);
  if (map) {
    if (typeof value === 'object') {
      for (const [key, v] of Object.entries(value)) unknownFields(v, map[1] as string, `${path}.${key}`, out);
    }
    return;
  }
  const attributes = models[type]?.getAttributeTypeMap?.();
  if (!attributes) throw new Error(`no field list for ${type} (at ${path})`);
  if (typeof value !== 'object' || Array.isArray(value)) return; // a type error, reported by the schema check
  for (const [key, v] of Object.entries(value)) {
    const a = attributes.find((x) => x.baseName === key);
    if (!a) out.push(`${path}.${key}: unknown field "${key}"`);
    else unknownFields(v, a.type, `${path}.${key}`, out);
  }
}
