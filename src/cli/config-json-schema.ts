import * as z from 'zod';
import { configSchemaFor } from '../registry.ts';

/** JSON Schema of the configuration, for editor completion (yaml-language-server) and the README reference. */
export async function configJsonSchema(): Promise<unknown> {
  const { schema } = await configSchemaFor();
  return {
    $id: 'https://gatehouse.invalid/schema/config.json',
    title: 'gatehouse configuration',
    ...z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' }),
  };
}
