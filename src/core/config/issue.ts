import { GatehouseError } from '../errors.ts';
import type { Position } from './positions.ts';

// Apart from the loader so that printing an issue (every command's warnings) needs no YAML parser.

export interface ConfigIssue {
  readonly position?: Position;
  readonly path: readonly (string | number)[];
  readonly message: string;
}

/** Thrown for any invalid configuration; `issues` lists every problem found, each with its file:line:col. */
export class ConfigError extends GatehouseError {
  readonly issues: readonly ConfigIssue[];
  constructor(issues: readonly ConfigIssue[]) {
    super('CONFIG_INVALID', issues.map(formatIssue).join('\n'), { terminal: true });
    this.issues = issues;
  }
}

/** A position as `file:line:col`, the form editors and terminals turn into a link. */
export function formatPosition(p: Position): string {
  return `${p.file}:${p.line}:${p.col}`;
}

/** One issue as one line: `file:line:col: path: message`. */
export function formatIssue(i: ConfigIssue): string {
  const where = i.position ? formatPosition(i.position) : '(config)';
  const path = i.path.length > 0 ? ` ${i.path.join('.')}:` : '';
  return `${where}:${path} ${i.message}`;
}
