import { setFlagsFromString } from 'node:v8';

/**
 * Keeps V8's young generation at its starting size instead of letting it grow.
 *
 * Reading a large geofeed allocates in a burst, and much of it survives (the kept entries and their prefixes). With
 * many survivors V8 grows the young generation step by step to tens of MB, and keeps it: a 200 000-line feed then
 * peaked at 270 MB for three reads in one process (as `serve` reads) and 215 MB for one, against 175 and 130 MB with
 * the young generation kept small, at the same speed (`bench/geofeed.ts`, `test/sources/geofeed-memory.test.ts`).
 *
 * Process-wide, like the store's WebAssembly settings (`src/store/pglite-db.ts`): applied when a geofeed source is
 * created, before its first read; it only changes when V8 collects short-lived objects, never what a program computes.
 * Idempotent.
 */
export function keepYoungGenerationSmall(): void {
  setFlagsFromString('--semi-space-growth-factor=1');
}
