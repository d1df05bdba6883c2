import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { Command } from 'commander';
import type { DesiredContext } from '../../core/contracts.ts';
import { GatehouseError } from '../../core/errors.ts';
import { globals, withEngine } from '../context.ts';
import { print, printJson } from '../output.ts';

export function nftablesCommand(): Command {
  const cmd = new Command('nftables').description(
    'Helpers for hosts whose allowlists gatehouse manages with nftables.',
  );

  cmd
    .command('bootstrap')
    .description(
      'Write the include file of each nftables target from the sources (last-known-good snapshot when a source is down), without touching the kernel, so a fresh host boots with an allowlist before the first sync. An existing file is kept unless --force.',
    )
    .option('--target <name>', 'only this target')
    .option('--force', 'overwrite an existing include file')
    .addHelpText(
      'after',
      `
Examples:
  gatehouse nftables bootstrap --config /etc/gatehouse/gatehouse.yaml
  gatehouse nftables bootstrap --target db-allowlist --force`,
    )
    .action(async (opts: { target?: string; force?: boolean }, sub: Command) => {
      const { nftablesSchema, bootstrapInclude, writeFileAtomic, pluginBlock } = await nftablesModules();
      await withEngine(sub, async (engine, _logger, g, run) => {
        const targets = Object.entries(engine.config.value.targets).filter(
          ([name, t]) => t.type === 'nftables' && (opts.target === undefined || opts.target === name),
        );
        if (targets.length === 0) {
          throw new GatehouseError(
            'CONFIG_INVALID',
            `no nftables target${opts.target ? ` named ${opts.target}` : ''} in the configuration`,
            {
              terminal: true,
            },
          );
        }
        const resolved = await engine.readSources(run.signal);
        const ctx: DesiredContext = { sources: new Map(resolved.map((r) => [r.name, r])) };
        const results: { target: string; file: string | null; written: boolean; reason: string }[] = [];
        for (const [name, raw] of targets) {
          const config = nftablesSchema.parse(pluginBlock(raw));
          if (config.includeFile === undefined) {
            results.push({ target: name, file: null, written: false, reason: 'no includeFile configured' });
            continue;
          }
          const file = resolve(engine.config.baseDir, config.includeFile);
          if (existsSync(file) && !opts.force) {
            results.push({ target: name, file, written: false, reason: 'exists (use --force to overwrite)' });
            continue;
          }
          await writeFileAtomic(file, bootstrapInclude(name, config, ctx));
          const used = resolved.filter((r) => config.sets.some((s) => s.from.includes(r.name)));
          const degraded = used.filter((r) => r.status !== 'live').map((r) => `${r.name}: ${r.status}`);
          results.push({
            target: name,
            file,
            written: true,
            reason: degraded.length ? `written; sources not live: ${degraded.join(', ')}` : 'written',
          });
        }
        if (g.output === 'json') printJson(results);
        else print(results.map((r) => `${r.target}: ${r.file ?? '-'}: ${r.reason}`).join('\n') + '\n');
      });
    });

  cmd
    .command('host-config')
    .description(
      "Print the nftables.conf snippet a host needs for each nftables target of the configuration: its table, interval sets (the config's names), example rules, and the glob include of its includeFile. Without a configuration file, prints the example for the default names.",
    )
    .option('--target <name>', 'only this target')
    .addHelpText(
      'after',
      '\nExamples:\n  gatehouse nftables host-config --config /etc/gatehouse/gatehouse.yaml > /etc/nftables.conf.d/gatehouse.example\n  gatehouse nftables host-config --target db-allowlist',
    )
    .action(async (opts: { target?: string }, sub: Command) => {
      const { nftablesSchema, HOST_CONFIG_SNIPPET, hostConfigSnippet, loadGatehouseConfig, pluginBlock } =
        await nftablesModules();
      const g = globals(sub);
      if (!existsSync(g.config)) {
        process.stderr.write(
          `no configuration at ${g.config}: printing the example (table inet gatehouse, sets db_allow_v4 / db_allow_v6)\n`,
        );
        print(HOST_CONFIG_SNIPPET);
        return;
      }
      const cfg = await loadGatehouseConfig(g.config);
      const targets = Object.entries(cfg.value.targets).filter(
        ([name, t]) => t.type === 'nftables' && (opts.target === undefined || opts.target === name),
      );
      if (targets.length === 0) {
        throw new GatehouseError(
          'CONFIG_INVALID',
          `no nftables target${opts.target ? ` named ${opts.target}` : ''} in the configuration`,
          { terminal: true },
        );
      }
      const snippets = targets.map(([name, raw]) => {
        const config = nftablesSchema.parse(pluginBlock(raw));
        const file = config.includeFile === undefined ? null : resolve(cfg.baseDir, config.includeFile);
        return hostConfigSnippet(name, config, file);
      });
      print(snippets.join('\n'));
    });

  return cmd;
}

/**
 * What the actions need, loaded when one runs: the modules themselves, not the plugin's index, and not at start-up,
 * so `--help` loads neither zod schemas nor the target.
 */
async function nftablesModules() {
  const [config, hostConfig, atomic, engine, core] = await Promise.all([
    import('../../targets/nftables/config.ts'),
    import('../../targets/nftables/host-config.ts'),
    import('../../adapters/write-file-atomic.ts'),
    import('../../engine.ts'),
    import('../../config/schema.ts'),
  ]);
  return {
    nftablesSchema: config.nftablesSchema,
    bootstrapInclude: hostConfig.bootstrapInclude,
    HOST_CONFIG_SNIPPET: hostConfig.HOST_CONFIG_SNIPPET,
    hostConfigSnippet: hostConfig.hostConfigSnippet,
    writeFileAtomic: atomic.writeFileAtomic,
    loadGatehouseConfig: engine.loadGatehouseConfig,
    pluginBlock: core.pluginBlock,
  };
}
