import { isMap, isScalar, isSeq, LineCounter, parseDocument, type Node } from 'yaml';
import { GatehouseError } from '../errors.ts';

/** A place in a config file, 1-based. */
export interface Position {
  readonly file: string;
  readonly line: number;
  readonly col: number;
}

export function formatPosition(p: Position): string {
  return `${p.file}:${p.line}:${p.col}`;
}

export type PathKey = string;

export function pathKey(path: readonly (string | number)[]): PathKey {
  return JSON.stringify(path);
}

/** A parsed YAML file: its value, and the position of every value in it by path. */
export interface ParsedFile {
  readonly file: string;
  readonly value: unknown;
  readonly positions: Map<PathKey, Position>;
}

/**
 * Parses YAML, failing on any syntax error with file:line:col, and records where each value sits so schema errors can
 * point at the line a user has to edit.
 */
export function parseYamlFile(file: string, text: string): ParsedFile {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true });
  const at = (offset: number): Position => {
    const { line, col } = lineCounter.linePos(offset);
    return { file, line, col };
  };
  const problems = [...doc.errors];
  if (problems.length > 0) {
    throw new GatehouseError(
      'CONFIG_INVALID',
      problems.map((e) => `${formatPosition(at(e.pos[0]))}: ${e.message.split('\n')[0] ?? ''}`).join('\n'),
      { terminal: true },
    );
  }
  const positions = new Map<PathKey, Position>();
  // Errors point at a scalar or list value when there is one, else at the key that introduces the value.
  const walk = (node: Node | null | undefined, path: (string | number)[]): void => {
    if (!node) return;
    if (node.range && !positions.has(pathKey(path))) positions.set(pathKey(path), at(node.range[0]));
    if (isMap(node)) {
      for (const pair of node.items) {
        const key = isScalar(pair.key) ? String(pair.key.value) : String(pair.key);
        const keyNode = pair.key as Node | null;
        const value = pair.value as Node | null;
        const child = [...path, key];
        const anchor = value?.range && (isScalar(value) || isSeq(value)) ? value : keyNode;
        if (anchor?.range) positions.set(pathKey(child), at(anchor.range[0]));
        walk(value, child);
      }
    } else if (isSeq(node)) {
      node.items.forEach((item, i) => walk(item as Node, [...path, i]));
    }
  };
  walk(doc.contents, []);
  return { file, value: doc.toJS({ maxAliasCount: 100 }) as unknown, positions };
}
