/**
 * Preloaded with `node --import` by tests: records every module the process resolves and, at exit, writes their URLs
 * (one per line) to the file named by GATEHOUSE_RECORD_IMPORTS.
 */
import { writeFileSync } from 'node:fs';
import { registerHooks } from 'node:module';

const seen = new Set<string>();
registerHooks({
  resolve(specifier, context, next) {
    const resolved = next(specifier, context);
    seen.add(resolved.url);
    return resolved;
  },
});
process.on('exit', () => {
  const file = process.env.GATEHOUSE_RECORD_IMPORTS;
  if (file) writeFileSync(file, [...seen].join('\n'));
});
