import { isMap, isScalar, isSeq, LineCounter, parseDocument, type ErrorCode, type Node } from 'yaml';
import { GatehouseError } from '../errors.ts';
import { formatPosition } from './issue.ts';
import { CONFIG_LIMITS } from './read-bounded.ts';

/** A place in a config file, 1-based. */
export interface Position {
  readonly file: string;
  readonly line: number;
  readonly col: number;
}

export { formatPosition };

export type PathKey = string;

export function pathKey(path: readonly (string | number)[]): PathKey {
  return JSON.stringify(path);
}

/** A parsed YAML file: its value, the position of every value in it by path, and of every mapping key. */
export interface ParsedFile {
  readonly file: string;
  readonly value: unknown;
  readonly positions: Map<PathKey, Position>;
  /** Where the key introducing each path sits (`a.b` → the `b:`), for errors about the key itself. */
  readonly keys: Map<PathKey, Position>;
}

/**
 * What each YAML error code means, in our words. The YAML library's own messages sometimes quote the file (a tag, an
 * escape, a block header), and a file given to us may not be ours (a mistyped include, `-c /etc/shadow`): a syntax
 * error names its position and kind, never the text there.
 */
const SYNTAX: Record<ErrorCode, string> = {
  ALIAS_PROPS: 'an alias cannot have an anchor or tag',
  BAD_ALIAS: 'an alias names no anchor defined before it',
  BAD_DIRECTIVE: 'invalid % directive',
  BAD_DQ_ESCAPE: 'invalid escape sequence in a double-quoted string',
  BAD_INDENT: 'bad indentation',
  BAD_PROP_ORDER: 'anchors and tags must come after the indicator',
  BAD_SCALAR_START: 'a plain value cannot start with this character (quote it)',
  BLOCK_AS_IMPLICIT_KEY: 'a block value cannot be an implicit key',
  BLOCK_IN_FLOW: 'block syntax inside a flow collection ([…] or {…})',
  DUPLICATE_KEY: 'map keys must be unique',
  IMPOSSIBLE: 'invalid YAML',
  KEY_OVER_1024_CHARS: 'an implicit key is longer than 1024 characters',
  MISSING_CHAR: 'a character is missing (a closing quote or bracket, a comma, or a space after :)',
  MULTILINE_IMPLICIT_KEY: 'implicit keys need to be on a single line',
  MULTIPLE_ANCHORS: 'a node can have at most one anchor',
  MULTIPLE_DOCS: 'a configuration file holds one YAML document',
  MULTIPLE_TAGS: 'a node can have at most one tag',
  NON_STRING_KEY: 'keys must be strings',
  RESOURCE_EXHAUSTION: `nested deeper than ${CONFIG_LIMITS.depth} levels`,
  TAB_AS_INDENT: 'tabs cannot be used for indentation',
  TAG_RESOLVE_FAILED: 'unknown tag',
  UNEXPECTED_TOKEN: 'unexpected token',
  BAD_COLLECTION_TYPE: 'a tag does not fit the collection it is on',
};

function invalid(message: string): GatehouseError {
  return new GatehouseError('CONFIG_INVALID', message, { terminal: true });
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
    throw invalid(
      problems
        .map((e) => `${formatPosition(at(e.pos[0]))}: YAML syntax error: ${SYNTAX[e.code] ?? 'invalid YAML'}`)
        .join('\n'),
    );
  }
  const positions = new Map<PathKey, Position>();
  const keys = new Map<PathKey, Position>();
  // Errors point at a scalar or list value when there is one, else at the key that introduces the value.
  const walk = (node: Node | null | undefined, path: (string | number)[]): void => {
    if (!node) return;
    // The YAML parser has its own (higher) limit; ours keeps every recursive consumer (walks, schema) far from the stack's.
    if (path.length > CONFIG_LIMITS.depth && node.range)
      throw invalid(`${formatPosition(at(node.range[0]))}: nested deeper than ${CONFIG_LIMITS.depth} levels`);
    if (node.range && !positions.has(pathKey(path))) positions.set(pathKey(path), at(node.range[0]));
    if (isMap(node)) {
      for (const pair of node.items) {
        const key = isScalar(pair.key) ? String(pair.key.value) : String(pair.key);
        const keyNode = pair.key as Node | null;
        const value = pair.value as Node | null;
        const child = [...path, key];
        const anchor = value?.range && (isScalar(value) || isSeq(value)) ? value : keyNode;
        if (anchor?.range) positions.set(pathKey(child), at(anchor.range[0]));
        if (keyNode?.range) keys.set(pathKey(child), at(keyNode.range[0]));
        walk(value, child);
      }
    } else if (isSeq(node)) {
      node.items.forEach((item, i) => walk(item as Node, [...path, i]));
    }
  };
  walk(doc.contents, []);
  let value: unknown;
  try {
    value = doc.toJS({ maxAliasCount: CONFIG_LIMITS.aliases });
  } catch (e) {
    // The library throws a ReferenceError when expanding aliases would exceed the count (an alias bomb).
    throw invalid(
      `${file}: too many YAML aliases (*name) expanded; at most ${CONFIG_LIMITS.aliases} per file (${(e as Error).name})`,
    );
  }
  return { file, value, positions, keys };
}
