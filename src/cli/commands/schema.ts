import { Command } from 'commander';
import { printJson } from '../output.ts';

export function schemaCommand(): Command {
  return new Command('schema')
    .description('Print the JSON Schema of the configuration file.')
    .addHelpText(
      'after',
      `
Examples:
  gatehouse schema > gatehouse.schema.json
  # then, first line of gatehouse.yaml:  # yaml-language-server: $schema=./gatehouse.schema.json`,
    )
    .action(async () => printJson(await (await import('../config-json-schema.ts')).configJsonSchema()));
}
