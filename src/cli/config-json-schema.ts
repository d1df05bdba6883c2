import { z } from 'zod';
import { configSchema } from '../registry.ts';

/** JSON Schema of the configuration, for editor completion (yaml-language-server) and the README reference. */
export function configJsonSchema(): unknown {
  return {
    $id: 'https://gatehouse.invalid/schema/config.json',
    title: 'gatehouse configuration',
    ...z.toJSONSchema(configSchema, { io: 'input', unrepresentable: 'any' }),
  };
}
