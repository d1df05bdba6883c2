import { closeSync, constants, fstatSync, openSync, readSync } from 'node:fs';

const KiB = 1024;
const MiB = 1024 * KiB;

/**
 * Limits on what configuration loading reads. A real configuration is a few KiB; these are far above that and far
 * below what could exhaust memory or time (a 50 MB file took 80 s and 3 GB before they existed).
 */
export const CONFIG_LIMITS = {
  /** One YAML file (root or included). */
  fileBytes: 1 * MiB,
  /** All YAML files of one configuration together. */
  totalBytes: 2 * MiB,
  /** Files one configuration may include. */
  includedFiles: 256,
  /** One `${file:…}` secret. */
  secretBytes: 64 * KiB,
  /** Nesting depth of mappings and lists. */
  depth: 64,
  /** YAML aliases (`*name`) expanded per file; guards against alias bombs. */
  aliases: 100,
} as const;

/** Human form of a byte limit, as the docs state it. */
export function formatBytes(n: number): string {
  return n % MiB === 0 ? `${n / MiB} MiB` : n % KiB === 0 ? `${n / KiB} KiB` : `${n} bytes`;
}

export type BoundedRead = { text: string; error?: undefined } | { text?: undefined; error: string };

/**
 * Reads a regular file as UTF-8, at most `maxBytes`. Never trusts a size from stat: it reads up to `maxBytes + 1`
 * bytes from the open descriptor, so a file that grows, or a device that reports size 0 and never ends, cannot make
 * it read more. Devices, FIFOs, sockets and directories are refused before any read (opened non-blocking, so a FIFO
 * without a writer cannot hang the open). Returns a short reason instead of throwing; the reason never contains any
 * of the file's content.
 */
export function readBoundedFile(path: string, maxBytes: number): BoundedRead {
  let fd: number;
  try {
    fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch (e) {
    return { error: (e as NodeJS.ErrnoException).code ?? 'cannot open' };
  }
  try {
    if (!fstatSync(fd).isFile()) return { error: 'not a regular file' };
    const buf = Buffer.alloc(maxBytes + 1);
    let got = 0;
    for (;;) {
      const n = readSync(fd, buf, got, buf.length - got, null);
      if (n === 0) break;
      got += n;
      if (got > maxBytes) return { error: `larger than ${formatBytes(maxBytes)}` };
    }
    return { text: buf.subarray(0, got).toString('utf8') };
  } catch (e) {
    return { error: (e as NodeJS.ErrnoException).code ?? 'cannot read' };
  } finally {
    closeSync(fd);
  }
}
