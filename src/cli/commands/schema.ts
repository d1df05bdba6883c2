import { Command } from 'commander';
import { z } from 'zod';
import { configSchema } from '../../registry.ts';
import { printJson } from '../output.ts';

/** JSON Schema of the configuration, for editor completion (yaml-language-server) and the README reference. */
export function configJsonSchema(): unknown {
  return {
    $id: 'https://gatehouse.invalid/schema/config.json',
    title: 'gatehouse configuration',
    ...z.toJSONSchema(configSchema, { io: 'input', unrepresentable: 'any' }),
  };
}

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
    .action(() => printJson(configJsonSchema()));
}
