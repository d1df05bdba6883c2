import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { basename, extname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import YAML from 'yaml';

/** An OpenAPI 3.0/3.1 document as parsed JSON. Only the fields the validator reads are typed. */
export interface OpenApiDocument {
  readonly openapi: string;
  readonly paths: Record<string, unknown>;
  readonly components?: Record<string, unknown>;
  readonly security?: readonly Record<string, readonly string[]>[];
  readonly servers?: readonly { url: string }[];
  readonly [key: string]: unknown;
}

const memo = new Map<string, OpenApiDocument>();

/**
 * Where the vendor descriptions live: `test/fakes/specs/` (vendored with their licences and provenance, so a fresh
 * clone is self-contained), unless `GATEHOUSE_SPECS_DIR` says otherwise (e.g. to test against a newer description).
 */
export function specPath(file: string): string {
  const dir = process.env.GATEHOUSE_SPECS_DIR ?? fileURLToPath(new URL('../specs/', import.meta.url));
  return resolve(dir, file);
}

/**
 * Parsed YAML goes to `node_modules/.cache`, keyed by the content hash: parsing the 3.6 MB Linode description with the
 * `yaml` package takes ~5 s, reading the cached JSON ~50 ms, and every test file is its own process.
 */
const CACHE_DIR = fileURLToPath(new URL('../../../node_modules/.cache/gatehouse-openapi/', import.meta.url));

/**
 * Loads an OpenAPI description from a `.json`, `.yaml` or `.yml` file, or accepts an already parsed object.
 *
 * Files are parsed once per process (memoised by absolute path) and YAML additionally once per content (on-disk JSON
 * cache). The returned object is shared: callers must treat it as read-only and copy before patching.
 *
 * @throws Error when the file cannot be read or is not an OpenAPI 3.x document.
 */
export function loadSpec(source: string | object): OpenApiDocument {
  if (typeof source !== 'string') return checkDocument(source, '(object)');
  const file = resolve(source);
  const cached = memo.get(file);
  if (cached) return cached;
  const text = readFileSync(file, 'utf8');
  const ext = extname(file).toLowerCase();
  const doc = checkDocument(ext === '.json' ? JSON.parse(text) : parseYamlCached(file, text), file);
  memo.set(file, doc);
  return doc;
}

function parseYamlCached(file: string, text: string): unknown {
  const hash = createHash('sha256').update(text).digest('hex').slice(0, 20);
  const cacheFile = resolve(CACHE_DIR, `${basename(file)}.${hash}.json`);
  try {
    return JSON.parse(readFileSync(cacheFile, 'utf8'));
  } catch {
    // Not cached yet (or unreadable): parse and try to cache below.
  }
  const value: unknown = YAML.parse(text, { maxAliasCount: -1 });
  try {
    mkdirSync(CACHE_DIR, { recursive: true });
    // Write then rename so a concurrent test process never reads a half-written cache file.
    const tmp = `${cacheFile}.${process.pid}.tmp`;
    writeFileSync(tmp, JSON.stringify(value));
    renameSync(tmp, cacheFile);
  } catch {
    // A read-only checkout only loses the cache, not correctness.
  }
  return value;
}

function checkDocument(value: unknown, where: string): OpenApiDocument {
  const doc = value as Partial<OpenApiDocument> | null;
  if (!doc || typeof doc !== 'object' || typeof doc.openapi !== 'string' || !/^3\.[01]\./.test(doc.openapi)) {
    throw new Error(`${where}: not an OpenAPI 3.0/3.1 document`);
  }
  if (!doc.paths || typeof doc.paths !== 'object') throw new Error(`${where}: no paths`);
  return doc as OpenApiDocument;
}
