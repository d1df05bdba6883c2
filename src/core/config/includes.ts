import { realpathSync } from 'node:fs';
import { glob } from 'node:fs/promises';
import { dirname, isAbsolute, relative, resolve, sep } from 'node:path';
import type { ConfigIssue } from './load.ts';
import type { Position } from './positions.ts';
import { CONFIG_LIMITS } from './read-bounded.ts';

export interface IncludeRequest {
  readonly patterns: readonly string[];
  /** The root file (absolute); its directory is what relative patterns resolve against. */
  readonly root: string;
  /** Directories (absolute) whose trees includes may come from: the root's directory plus explicit opt-ins. */
  readonly allowedDirs: readonly string[];
  readonly positionOf: (index: number) => Position | undefined;
}

/**
 * Expands `include:` globs into files, sorted and without the root itself. A file counts as inside an allowed tree
 * only when its real path (symlinks resolved) is; a pattern whose fixed part already points outside is refused
 * without walking the file system (so `/**` cannot make loading crawl the disk). At most
 * `CONFIG_LIMITS.includedFiles` files.
 */
export async function expandIncludes(req: IncludeRequest): Promise<{ files: string[]; issues: ConfigIssue[] }> {
  const baseDir = dirname(req.root);
  const allowed = req.allowedDirs.map(real).filter((d): d is string => d !== undefined);
  const inside = (p: string) => allowed.some((d) => p === d || p.startsWith(d.endsWith(sep) ? d : d + sep));
  const issues: ConfigIssue[] = [];
  const outside = (i: number, what: string) =>
    issues.push({
      position: req.positionOf(i),
      path: ['include', i],
      message: `${what} is outside the configuration directory ${baseDir}; includes are confined to it unless its directory is allowed with --allow-include DIR`,
    });
  const matched = new Set<string>();
  for (const [i, pattern] of req.patterns.entries()) {
    const fixed = resolve(baseDir, fixedPart(pattern));
    if (!inside(real(fixed) ?? fixed) && !req.allowedDirs.some((d) => isWithin(d, fixed))) {
      outside(i, pattern);
      continue;
    }
    for await (const f of glob(pattern, { cwd: baseDir })) {
      const abs = resolve(baseDir, f);
      if (abs === req.root) continue;
      const target = real(abs);
      if (target === undefined) continue;
      if (!inside(target)) outside(i, abs === target ? abs : `${abs} (a link to ${target})`);
      else matched.add(abs);
      if (matched.size > CONFIG_LIMITS.includedFiles) {
        issues.push({
          position: req.positionOf(i),
          path: ['include', i],
          message: `matches more than ${CONFIG_LIMITS.includedFiles} files`,
        });
        return { files: [], issues };
      }
    }
  }
  return { files: [...matched].sort(), issues };
}

function real(p: string): string | undefined {
  try {
    return realpathSync(p);
  } catch {
    return undefined;
  }
}

function isWithin(dir: string, p: string): boolean {
  const rel = relative(dir, p);
  return rel === '' || (!rel.startsWith('..') && !isAbsolute(rel));
}

/** The leading path segments of a glob pattern that contain no glob syntax. */
function fixedPart(pattern: string): string {
  const segments = pattern.split('/');
  const firstGlob = segments.findIndex((s) => /[*?[\]{}!]/.test(s));
  return (firstGlob === -1 ? segments : segments.slice(0, firstGlob)).join('/') || '.';
}
