import { dirname, isAbsolute, relative, resolve } from 'node:path';
import type { z } from 'zod';
import { canonicalJson, sha256Hex } from '../canonical-json.ts';
import { GatehouseError } from '../errors.ts';
import { registerSecret } from '../redact.ts';
import { expandIncludes } from './includes.ts';
import { ConfigError, type ConfigIssue } from './issue.ts';
import { formatPosition, parseYamlFile, pathKey, type ParsedFile, type Position } from './positions.ts';
import { CONFIG_LIMITS, formatBytes, readBoundedFile } from './read-bounded.ts';
import { keysAt, schemasAt, someLayer } from './schema-walk.ts';
import { isSecretField } from './secret-field.ts';
import { closest } from './suggest.ts';

export interface LoadedConfig<T> {
  readonly value: T;
  /**
   * Digest of the merged configuration with `${env:…}`/`${file:…}` references as written, not their values: a plan
   * records it, and a digest of secret values would let anyone holding a plan test guesses of them offline.
   */
  readonly digest: string;
  /** Every file that contributed, root first, then includes in sorted order. */
  readonly files: readonly string[];
  /** Directory of the root file; relative paths in the config resolve against it. */
  readonly baseDir: string;
  /** Problems that do not stop loading (an empty configuration, an inline secret); callers print them on stderr. */
  readonly warnings: readonly ConfigIssue[];
}

export { ConfigError, formatIssue, type ConfigIssue } from './issue.ts';

export interface LoadOptions {
  readonly env?: NodeJS.ProcessEnv;
  /** When false, `${env:…}`/`${file:…}` are left unresolved (for `validate` without secrets). Default true. */
  readonly resolveReferences?: boolean;
  /**
   * Extra checks on the raw merged value, run when the schema rejects it. Zod skips refinements (such as
   * cross-references between sections) once any field fails, so without this a user would fix errors in rounds.
   */
  readonly check?: (raw: unknown) => readonly { path: readonly (string | number)[]; message: string }[];
  /** Warnings about a valid configuration (beyond inline secrets, which the loader finds itself). */
  readonly warn?: (value: unknown) => readonly { path: readonly (string | number)[]; message: string }[];
  /**
   * Directories outside the root file's directory tree that `include:` may read from (each with its subtree). By
   * default includes are confined to that tree, symlinks resolved.
   */
  readonly includeDirs?: readonly string[];
  /** Appended to the error for a missing root file (how this caller is told where the configuration is). */
  readonly missingHint?: string;
}

/**
 * Loads the root YAML file and every file its top-level `include:` globs match (sorted, relative to the root file),
 * merges them, resolves `${env:NAME}` and `${file:PATH}` references and validates the result against `schema`.
 *
 * Merge rule: top-level sections merge; within a section each key belongs to exactly one file, and a key defined in two
 * files is an error naming both. All problems are collected before throwing, each with file:line:col (an unknown key
 * at the key itself, with the closest valid spelling).
 *
 * Hostile input: every read is bounded ({@link CONFIG_LIMITS}: per file, all files, each `${file:}` secret, nesting,
 * aliases) and only regular files are read; includes are confined to the root file's directory tree (real paths)
 * plus `includeDirs`; a file that is not a gatehouse configuration, and YAML syntax errors, are reported by position
 * and kind, never with the file's text.
 *
 * Warnings (a literal in a field marked with `secretField`, and whatever `warn` finds) are returned, not thrown.
 *
 * @throws ConfigError or GatehouseError (CONFIG_INVALID)
 */
export async function loadConfig<S extends z.ZodType>(
  rootFile: string,
  schemaOf: S | ((raw: unknown) => Promise<S>),
  options: LoadOptions = {},
): Promise<LoadedConfig<z.output<S>>> {
  // A function builds the schema for the configuration at hand (e.g. from the plugins its blocks name): once for the
  // root file, whose top-level keys tell a configuration from a foreign file, once for the merged result.
  const schemaFor = (raw: unknown): Promise<S> =>
    typeof schemaOf === 'function' ? schemaOf(raw) : Promise.resolve(schemaOf);
  const root = resolve(rootFile);
  const baseDir = dirname(root);
  const budget = { left: CONFIG_LIMITS.totalBytes };
  const rootParsed = parseFile(root, budget, options.missingHint);
  const issues: ConfigIssue[] = [];
  const parsed: ParsedFile[] = [rootParsed];

  const rootValue = rootParsed.value;
  if (rootValue !== null && rootValue !== undefined && (typeof rootValue !== 'object' || Array.isArray(rootValue))) {
    throw new ConfigError([
      { position: rootParsed.positions.get(pathKey([])), path: [], message: 'the file must be a mapping' },
    ]);
  }
  const includes = (rootValue as Record<string, unknown> | null)?.include;
  if (includes !== undefined) {
    if (!Array.isArray(includes) || !includes.every((g) => typeof g === 'string')) {
      issues.push({
        position: rootParsed.positions.get(pathKey(['include'])),
        path: ['include'],
        message: 'must be a list of glob patterns',
      });
    } else {
      const found = await expandIncludes({
        patterns: includes,
        root,
        allowedDirs: [baseDir, ...(options.includeDirs ?? []).map((d) => resolve(d))],
        positionOf: (i) => rootParsed.positions.get(pathKey(['include', i])),
      });
      issues.push(...found.issues);
      for (const f of found.files) parsed.push(parseFile(f, budget));
    }
  }

  const known = [...keysAt(await schemaFor(rootValue), rootValue, []), 'include'];
  const ours = parsed.filter((f) => {
    const problem = foreignFile(f, known);
    if (problem) issues.push(problem);
    return !problem;
  });
  const { merged, positions, keys } = merge(ours, issues);
  delete merged.include;
  const positionOf = (path: readonly (string | number)[]): Position | undefined => {
    for (let n = path.length; n >= 0; n--) {
      const p = positions.get(pathKey(path.slice(0, n)));
      if (p) return p;
    }
    return undefined;
  };

  const resolved = resolveReferences(merged, [], baseDir, options, issues, positionOf);
  if (issues.length > 0) throw new ConfigError(issues);

  const schema = await schemaFor(resolved);
  const result = schema.safeParse(resolved);
  if (!result.success) {
    const found = result.error.issues.flatMap((i): ConfigIssue[] => {
      const path = i.path.filter((p): p is string | number => typeof p !== 'symbol');
      if (i.code === 'unrecognized_keys')
        return i.keys.map((k) => unknownKey(schema, merged, [...path, k], keys, positionOf));
      return [{ position: positionOf(path), path, message: i.message }];
    });
    const seen = new Set(found.map((i) => `${pathKey(i.path)} ${i.message}`));
    for (const extra of options.check?.(resolved) ?? []) {
      if (!seen.has(`${pathKey(extra.path)} ${extra.message}`))
        found.push({ position: positionOf(extra.path), path: [...extra.path], message: extra.message });
    }
    throw new ConfigError(found);
  }
  const warnings: ConfigIssue[] = [
    ...(options.warn?.(result.data) ?? []).map((w) => ({
      position: positionOf(w.path),
      path: [...w.path],
      message: w.message,
    })),
    ...inlineSecrets(schema, merged).map((path) => ({
      position: positionOf(path),
      path,
      message:
        'holds a secret written inline; write ${env:NAME} or ${file:PATH} so the secret stays out of the configuration file',
    })),
  ];
  // Hashed when first read: only commands that make or check a plan need it (and node:crypto for it). The text is
  // taken now, so nothing done to the configuration later can change it.
  const canonical = canonicalJson(merged);
  let configDigest: string | undefined;
  return {
    value: result.data,
    get digest() {
      return (configDigest ??= sha256Hex(canonical));
    },
    files: ours.map((p) => p.file),
    baseDir,
    warnings,
  };
}

function unknownKey(
  schema: z.ZodType,
  raw: unknown,
  path: (string | number)[],
  keys: Map<string, Position>,
  positionOf: (p: readonly (string | number)[]) => Position | undefined,
): ConfigIssue {
  const key = String(path.at(-1));
  const suggestion = closest(key, keysAt(schema, raw, path.slice(0, -1)));
  return {
    position: keys.get(pathKey(path)) ?? positionOf(path),
    path,
    message: `unknown key ${JSON.stringify(key)}${suggestion ? `; did you mean ${JSON.stringify(suggestion)}?` : ''}`,
  };
}

/**
 * A file none of whose top-level keys is a known one, nor a likely misspelling of one, is not a gatehouse
 * configuration (a mistyped include, a system file): it is reported by position alone, and nothing in it is shown.
 */
function foreignFile(f: ParsedFile, known: readonly string[]): ConfigIssue | undefined {
  const v = f.value;
  if (v === null || typeof v !== 'object' || Array.isArray(v)) return undefined;
  const keys = Object.keys(v);
  if (keys.length === 0 || keys.some((k) => known.includes(k) || closest(k, known) !== undefined)) return undefined;
  return {
    position: { file: f.file, line: 1, col: 1 },
    path: [],
    message: `not a gatehouse configuration file (no top-level key is one of ${known.join(', ')}); its content is not shown`,
  };
}

/** Paths of fields marked secret whose value is a literal rather than a `${env:…}`/`${file:…}` reference. */
function inlineSecrets(schema: z.ZodType, raw: unknown): (string | number)[][] {
  const found: (string | number)[][] = [];
  const visit = (value: unknown, path: (string | number)[]): void => {
    if (typeof value === 'string') {
      const literal = value !== '' && !new RegExp(REFERENCE.source).test(value);
      if (literal && someLayer(schemasAt(schema, raw, path), isSecretField)) found.push(path);
    } else if (Array.isArray(value)) value.forEach((v, i) => visit(v, [...path, i]));
    else if (value !== null && typeof value === 'object')
      for (const [k, v] of Object.entries(value)) visit(v, [...path, k]);
  };
  visit(raw, []);
  return found;
}

function parseFile(file: string, budget: { left: number }, missingHint?: string): ParsedFile {
  const read = readBoundedFile(file, Math.min(CONFIG_LIMITS.fileBytes, budget.left));
  if (read.error !== undefined) {
    let reason = `cannot read configuration: ${read.error}`;
    if (read.error === 'ENOENT') reason = `no such configuration file${missingHint ? `; ${missingHint}` : ''}`;
    else if (read.error.startsWith('larger than') && budget.left < CONFIG_LIMITS.fileBytes)
      reason = `configuration files are together larger than ${formatBytes(CONFIG_LIMITS.totalBytes)}`;
    throw new GatehouseError('CONFIG_INVALID', `${displayPath(file)}: ${reason}`, { terminal: true });
  }
  budget.left -= Buffer.byteLength(read.text);
  return parseYamlFile(displayPath(file), read.text);
}

function displayPath(file: string): string {
  const rel = relative(process.cwd(), file);
  return rel.startsWith('..') || isAbsolute(rel) ? file : rel;
}

function merge(files: readonly ParsedFile[], issues: ConfigIssue[]) {
  const merged: Record<string, unknown> = {};
  const positions = new Map<string, Position>();
  const keys = new Map<string, Position>();
  const owner = new Map<string, Position>();
  for (const f of files) {
    for (const [k, p] of f.positions) if (!positions.has(k)) positions.set(k, p);
    for (const [k, p] of f.keys) if (!keys.has(k)) keys.set(k, p);
    const value = f.value;
    if (value === null || value === undefined) continue;
    if (typeof value !== 'object' || Array.isArray(value)) {
      issues.push({ position: f.positions.get(pathKey([])), path: [], message: 'an included file must be a mapping' });
      continue;
    }
    for (const [section, body] of Object.entries(value as Record<string, unknown>)) {
      if (section === 'include' && f !== files[0]) {
        issues.push({
          position: f.positions.get(pathKey([section])),
          path: [section],
          message: 'include is only allowed in the root file',
        });
        continue;
      }
      const isSection = body !== null && typeof body === 'object' && !Array.isArray(body);
      const existing = merged[section];
      if (existing === undefined) {
        merged[section] = isSection ? { ...body } : body;
        recordOwners(section, body, isSection, f, owner);
        continue;
      }
      const existingIsSection = existing !== null && typeof existing === 'object' && !Array.isArray(existing);
      if (!isSection || !existingIsSection) {
        duplicate([section], f, owner, issues);
        continue;
      }
      for (const [key, v] of Object.entries(body as Record<string, unknown>)) {
        const target = existing as Record<string, unknown>;
        if (key in target) duplicate([section, key], f, owner, issues);
        else {
          target[key] = v;
          owner.set(
            pathKey([section, key]),
            f.positions.get(pathKey([section, key])) ?? { file: f.file, line: 1, col: 1 },
          );
        }
      }
    }
  }
  return { merged, positions, keys };
}

function recordOwners(section: string, body: unknown, isSection: boolean, f: ParsedFile, owner: Map<string, Position>) {
  const fallback = { file: f.file, line: 1, col: 1 };
  owner.set(pathKey([section]), f.positions.get(pathKey([section])) ?? fallback);
  if (isSection) {
    for (const key of Object.keys(body as object)) {
      owner.set(pathKey([section, key]), f.positions.get(pathKey([section, key])) ?? fallback);
    }
  }
}

function duplicate(path: string[], f: ParsedFile, owner: Map<string, Position>, issues: ConfigIssue[]) {
  const first = owner.get(pathKey(path));
  const here = f.positions.get(pathKey(path));
  issues.push({
    position: here,
    path,
    message: `defined twice: here and at ${first ? formatPosition(first) : 'another file'}`,
  });
}

const REFERENCE = /\$\{(env|file):([^}]*)\}/g;

function resolveReferences(
  value: unknown,
  path: (string | number)[],
  baseDir: string,
  options: LoadOptions,
  issues: ConfigIssue[],
  positionOf: (p: readonly (string | number)[]) => Position | undefined,
): unknown {
  if (typeof value === 'string') {
    if (options.resolveReferences === false) return value;
    return value.replace(REFERENCE, (_m, kind: string, arg: string) => {
      const resolved = kind === 'env' ? readEnv(arg, options) : readSecretFile(arg, baseDir);
      if (resolved.error !== undefined) {
        issues.push({ position: positionOf(path), path, message: resolved.error });
        return '';
      }
      registerSecret(resolved.value);
      return resolved.value;
    });
  }
  if (Array.isArray(value))
    return value.map((v, i) => resolveReferences(v, [...path, i], baseDir, options, issues, positionOf));
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value))
      out[k] = resolveReferences(v, [...path, k], baseDir, options, issues, positionOf);
    return out;
  }
  return value;
}

type Resolved = { value: string; error?: undefined } | { value?: undefined; error: string };

function readEnv(name: string, options: LoadOptions): Resolved {
  const env = options.env ?? process.env;
  const v = env[name];
  if (v === undefined || v === '') return { error: `environment variable ${name} is not set` };
  return { value: v };
}

function readSecretFile(path: string, baseDir: string): Resolved {
  const read = readBoundedFile(resolve(baseDir, path), CONFIG_LIMITS.secretBytes);
  if (read.error !== undefined) return { error: `cannot read secret file ${path}: ${read.error}` };
  // Trailing newlines are an artefact of how secret files are written (echo, kubectl create secret), not content.
  return { value: read.text.replace(/\r?\n$/, '') };
}
