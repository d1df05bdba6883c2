import { setFlagsFromString } from 'node:v8';

/**
 * Keeps V8's young generation at its starting size instead of letting it grow.
 *
 * Reading a large geofeed allocates in a burst, and much of it survives (the kept entries and their prefixes). With
 * many survivors V8 grows the young generation step by step to tens of MB, and keeps it: a process reading a
 * 200 000-line feed peaked at 266–276 MB for three reads (as `serve` reads again and again) and 190 MB for one, against
 * 173–175 and 133 MB with the young generation kept small, at the same speed (`test/sources/geofeed-memory.test.ts`,
 * `bench/geofeed.ts`).
 *
 * Process-wide, like the store's WebAssembly settings (`src/store/pglite-db.ts`): applied when a geofeed source is
 * created, before its first read; it only changes when V8 collects short-lived objects, never what a program computes.
 * Idempotent.
 */
export function keepYoungGenerationSmall(): void {
  setFlagsFromString('--semi-space-growth-factor=1');
}
