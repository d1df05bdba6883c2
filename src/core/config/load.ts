import { readFileSync } from 'node:fs';
import { glob } from 'node:fs/promises';
import { dirname, isAbsolute, relative, resolve } from 'node:path';
import type { z } from 'zod';
import { digest } from '../canonical-json.ts';
import { GatehouseError } from '../errors.ts';
import { registerSecret } from '../redact.ts';
import { formatPosition, parseYamlFile, pathKey, type ParsedFile, type Position } from './positions.ts';

export interface LoadedConfig<T> {
  readonly value: T;
  /** Digest of the merged configuration after reference resolution; a plan records it. */
  readonly digest: string;
  /** Every file that contributed, root first, then includes in sorted order. */
  readonly files: readonly string[];
  /** Directory of the root file; relative paths in the config resolve against it. */
  readonly baseDir: string;
}

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

export function formatIssue(i: ConfigIssue): string {
  const where = i.position ? formatPosition(i.position) : '(config)';
  const path = i.path.length > 0 ? ` ${i.path.join('.')}:` : '';
  return `${where}:${path} ${i.message}`;
}

export interface LoadOptions {
  readonly env?: NodeJS.ProcessEnv;
  /** When false, `${env:…}`/`${file:…}` are left unresolved (for `validate` without secrets). Default true. */
  readonly resolveReferences?: boolean;
  /**
   * Extra checks on the raw merged value, run when the schema rejects it. Zod skips refinements (such as
   * cross-references between sections) once any field fails, so without this a user would fix errors in rounds.
   */
  readonly check?: (raw: unknown) => readonly { path: readonly (string | number)[]; message: string }[];
}

/**
 * Loads the root YAML file and every file its top-level `include:` globs match (sorted, relative to the root file),
 * merges them, resolves `${env:NAME}` and `${file:PATH}` references and validates the result against `schema`.
 *
 * Merge rule: top-level sections merge; within a section each key belongs to exactly one file, and a key defined in two
 * files is an error naming both. All problems are collected before throwing, each with file:line:col.
 *
 * @throws ConfigError (CONFIG_INVALID)
 */
export async function loadConfig<S extends z.ZodType>(
  rootFile: string,
  schema: S,
  options: LoadOptions = {},
): Promise<LoadedConfig<z.output<S>>> {
  const root = resolve(rootFile);
  const baseDir = dirname(root);
  const rootParsed = parseFile(root);
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
      const matched = new Set<string>();
      for (const pattern of includes) {
        for await (const f of glob(pattern, { cwd: baseDir })) {
          const abs = resolve(baseDir, f);
          if (abs !== root) matched.add(abs);
        }
      }
      for (const f of [...matched].sort()) parsed.push(parseFile(f));
    }
  }

  const { merged, positions } = merge(parsed, issues);
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

  const result = schema.safeParse(resolved);
  if (!result.success) {
    const found = result.error.issues.map((i) => {
      const path = i.path.filter((p): p is string | number => typeof p !== 'symbol');
      return { position: positionOf(path), path, message: i.message };
    });
    const seen = new Set(found.map((i) => `${pathKey(i.path)} ${i.message}`));
    for (const extra of options.check?.(resolved) ?? []) {
      if (!seen.has(`${pathKey(extra.path)} ${extra.message}`))
        found.push({ position: positionOf(extra.path), path: [...extra.path], message: extra.message });
    }
    throw new ConfigError(found);
  }
  return {
    value: result.data,
    digest: digest(resolved),
    files: parsed.map((p) => p.file),
    baseDir,
  };
}

function parseFile(file: string): ParsedFile {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new GatehouseError('CONFIG_INVALID', `${file}: cannot read configuration: ${(e as Error).message}`, {
      cause: e,
      terminal: true,
    });
  }
  return parseYamlFile(displayPath(file), text);
}

function displayPath(file: string): string {
  const rel = relative(process.cwd(), file);
  return rel.startsWith('..') || isAbsolute(rel) ? file : rel;
}

function merge(files: readonly ParsedFile[], issues: ConfigIssue[]) {
  const merged: Record<string, unknown> = {};
  const positions = new Map<string, Position>();
  const owner = new Map<string, Position>();
  for (const f of files) {
    for (const [k, p] of f.positions) if (!positions.has(k)) positions.set(k, p);
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
  return { merged, positions };
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
  try {
    // Trailing newlines are an artefact of how secret files are written (echo, kubectl create secret), not content.
    return { value: readFileSync(resolve(baseDir, path), 'utf8').replace(/\r?\n$/, '') };
  } catch (e) {
    return { error: `cannot read secret file ${path}: ${(e as NodeJS.ErrnoException).code ?? 'error'}` };
  }
}
