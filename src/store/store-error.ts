import { describeError, GatehouseError, isGatehouseError } from '../core/errors.ts';

/** Wraps a driver error as `STORE_FAILED`, naming the operation; a GatehouseError passes through unchanged. */
export function storeError(operation: string, e: unknown): GatehouseError {
  if (isGatehouseError(e)) return e;
  return new GatehouseError('STORE_FAILED', `${operation}: ${describeError(e)}`, { cause: e });
}
