/**
 * Creates the embedded store's template shipped with the package: an initialised, closed, empty PGlite data directory
 * in `.store-template/pglite-<version>/` (or under `$GATEHOUSE_STORE_TEMPLATE_DIR`), so a newcomer's first run copies
 * it instead of running initdb (see src/store/pglite-template.ts). npm runs this as `prepare`: on `npm ci` and
 * `npm install` in a clone and before `npm pack`, so a packed release carries the template.
 *
 * Idempotent: an existing template is left as it is. Templates of other PGlite versions beside it are removed (they
 * would never be used, only shipped). A failure only warns: without a template the first run runs initdb, as before.
 * Writes only to stderr: npm passes a lifecycle script's stdout through, into `npm pack --json` for one.
 */
import { mkdirSync, readdirSync, rmSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { publishTemplate, shippedTemplateDir } from '../src/store/pglite-template.ts';

const target = shippedTemplateDir();
try {
  const parent = dirname(target);
  // A template of the current version is complete or absent: it is renamed into place whole.
  const present = readdirSync(parent, { withFileTypes: true }).map((e) => e.name);
  for (const name of present)
    if (name.startsWith('pglite-') && name !== basename(target) && !name.includes('.tmp-'))
      rmSync(join(parent, name), { recursive: true, force: true });
  if (present.includes(basename(target))) {
    process.stderr.write(`store template: ${target} exists\n`);
    process.exit(0);
  }
} catch (e) {
  if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
}
try {
  mkdirSync(dirname(target), { recursive: true, mode: 0o755 });
  const made = await publishTemplate(target, async (tmp) => {
    const pg = new PGlite(tmp);
    await pg.waitReady;
    await pg.close();
  });
  process.stderr.write(`store template: ${made ? 'created' : 'created by another process'} ${target}\n`);
} catch (e) {
  process.stderr.write(
    `store template: not created (${e instanceof Error ? e.message : String(e)}); ` +
      'the first run of each store will initialise it instead\n',
  );
}
