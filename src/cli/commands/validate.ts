import { Command } from 'commander';
import { ConfigError, formatIssue } from '../../core/config/issue.ts';
import { globals, printConfigWarnings } from '../context.ts';
import { EXIT } from '../exit-codes.ts';
import { print, printJson } from '../output.ts';

export function validateCommand(): Command {
  return new Command('validate')
    .description('Check the configuration (and every included file) and report every problem with file:line:col.')
    .addHelpText(
      'after',
      `
Examples:
  gatehouse validate --config /etc/gatehouse/gatehouse.yaml
  gatehouse validate --output json`,
    )
    .action(async (_opts: unknown, cmd: Command) => {
      const g = globals(cmd);
      // The loader (YAML parser, zod schemas) loads when validating, not with `--help`.
      const { loadGatehouseConfig } = await import('../../config/load-gatehouse.ts');
      try {
        const cfg = await loadGatehouseConfig(g.config, process.env, { includeDirs: g.allowInclude });
        printConfigWarnings(cfg.warnings);
        const summary = {
          valid: true,
          files: cfg.files,
          sources: Object.keys(cfg.value.sources).length,
          targets: Object.keys(cfg.value.targets).length,
          warnings: cfg.warnings,
        };
        if (g.output === 'json') printJson(summary);
        else
          print(
            `${g.config}: valid (${cfg.files.length} file(s), ${summary.sources} sources, ${summary.targets} targets)\n`,
          );
      } catch (e) {
        if (!(e instanceof ConfigError)) throw e;
        if (g.output === 'json') printJson({ valid: false, issues: e.issues });
        else print(e.issues.map(formatIssue).join('\n') + `\n${e.issues.length} problem(s)\n`);
        process.exitCode = EXIT.error;
      }
    });
}
