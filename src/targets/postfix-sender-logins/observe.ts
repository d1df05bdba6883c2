import { readFile, stat } from 'node:fs/promises';
import { compiledSuffix, type MapType } from './config.ts';
import { postmap, type PostfixTools } from './postmap.ts';
import { parseTable } from './render.ts';
import type { SenderObserved } from './types.ts';

/**
 * Reads the live table: for compiled types the compiled file itself (`postmap -s`), which is what smtpd reads, so a
 * hand edit made with postmap shows as drift; for texthash the source file. No table yet: `exists: false`.
 */
export async function observeSenderLogins(
  path: string,
  type: MapType,
  tools: PostfixTools,
  signal: AbortSignal,
): Promise<SenderObserved> {
  const suffix = compiledSuffix(type);
  if (suffix === null) {
    const text = await readFile(path, 'utf8').catch((e: NodeJS.ErrnoException) => {
      if (e.code === 'ENOENT') return null;
      throw e;
    });
    return text === null ? { exists: false, entries: [] } : { exists: true, entries: parseTable(text) };
  }
  const live = await stat(path + suffix).catch((e: NodeJS.ErrnoException) => {
    if (e.code === 'ENOENT') return null;
    throw e;
  });
  if (!live) return { exists: false, entries: [] };
  return { exists: true, entries: parseTable(await postmap(tools, ['-s', `${type}:${path}`], signal)) };
}
