import type { z } from 'zod';

const secretFields = new WeakSet<object>();

/**
 * Marks a schema field as holding a secret (a token, password or private key). The loader warns when such a field
 * holds a literal instead of a `${env:…}`/`${file:…}` reference, so a secret does not end up in a file that is
 * shared, committed or world-readable. Returns the same schema; wrap it before `.optional()`/`.default()`.
 */
export function secretField<T extends z.ZodType>(schema: T): T {
  secretFields.add(schema);
  return schema;
}

/** Whether `schema` itself was marked with {@link secretField}. */
export function isSecretField(schema: unknown): boolean {
  return typeof schema === 'object' && schema !== null && secretFields.has(schema);
}
