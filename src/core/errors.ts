/**
 * Stable error codes. They are API: they appear in exit codes, metric labels, HTTP bodies, saved plans and the audit
 * log. Every code a result, a plan or an error carries is one of these; saved plans are checked against this list.
 */
export const ERROR_CODES = [
  'CONFIG_INVALID',
  'SOURCE_INCOMPLETE',
  'SOURCE_INVALID_DATA',
  'GUARD_REJECTED',
  'PLAN_STALE',
  'PLAN_INVALID',
  'TARGET_FORBIDDEN',
  'TARGET_FAILED',
  'STORE_FAILED',
  'AUDIT_CHAIN_BROKEN',
  'ABORTED',
  'PLAN_EXPIRED',
  'STORE_LOCKED',
  'STORE_CORRUPT',
  'TIMEOUT',
  /** A command-line argument names something that cannot be used: a missing plan file, a missing output directory. */
  'USAGE',
  /** Someone asked for what they may not do: a decision by a non-approver, or on their own request. */
  'FORBIDDEN',
  'INTERNAL',
] as const;

export type ErrorCode = (typeof ERROR_CODES)[number];

export interface GatehouseErrorOptions {
  cause?: unknown;
  /** A terminal error is not retried by the daemon: retrying cannot help until config or data changes. */
  terminal?: boolean;
  details?: Record<string, unknown>;
}

/** The one error type that crosses module boundaries. Messages must never contain secrets. */
export class GatehouseError extends Error {
  override readonly name = 'GatehouseError';
  readonly code: ErrorCode;
  readonly terminal: boolean;
  readonly details: Record<string, unknown>;

  constructor(code: ErrorCode, message: string, options: GatehouseErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.terminal = options.terminal ?? false;
    this.details = options.details ?? {};
  }
}

export function isGatehouseError(e: unknown): e is GatehouseError {
  return e instanceof GatehouseError;
}

/**
 * Renders any thrown value as one line, following the cause chain, for logs and reports. A cause whose text the line
 * already holds (a message that quotes its cause, as wrappers often do) is not repeated.
 */
export function describeError(e: unknown): string {
  let line = '';
  const add = (text: string) => {
    if (line === '') line = text;
    else if (!line.includes(text)) line = `${line}: ${text}`;
  };
  let cur: unknown = e;
  for (let depth = 0; cur !== undefined && cur !== null && depth < 5; depth++) {
    if (cur instanceof Error) {
      add(cur.message);
      cur = cur.cause;
    } else {
      add(
        typeof cur === 'string' ? cur : typeof cur === 'bigint' ? cur.toString() : (JSON.stringify(cur) ?? typeof cur),
      );
      break;
    }
  }
  return line;
}
