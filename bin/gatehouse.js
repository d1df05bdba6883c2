#!/usr/bin/env node
/* global process, URL -- Node globals; this file is plain JavaScript outside the TypeScript project. */
// Entry point for an installed package and for a clone. Plain JavaScript with only a static import of the version
// gate, so an old Node prints one line instead of a SyntaxError from deep inside the CLI.
import { existsSync } from 'node:fs';
import module from 'node:module';
import { unsupportedNode } from './node-check.js';

const refusal = unsupportedNode(process.versions.node);
if (refusal) {
  process.stderr.write(refusal + '\n');
  process.exit(1);
}

// Reuses compiled code (and TypeScript stripped of types) across runs from Node's on-disk cache
// (NODE_COMPILE_CACHE, default a directory under the OS temp dir): about halves the start of every command.
// NODE_DISABLE_COMPILE_CACHE=1 turns it off.
module.enableCompileCache?.();

// A clone has src/ and runs it through Node's type stripping (a stale dist/ there would run old code); a published
// package ships only dist/ (Node does not strip types under node_modules).
const src = new URL('../src/cli/main.ts', import.meta.url);
const dist = new URL('../dist/cli/main.js', import.meta.url);
if (existsSync(src)) await import(src.href);
else if (existsSync(dist)) await import(dist.href);
else {
  process.stderr.write('gatehouse: neither src/cli/main.ts nor dist/cli/main.js is present; run `npm run build`\n');
  process.exit(1);
}
