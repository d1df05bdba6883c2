import { loadConfig, type LoadedConfig } from '../core/config/load.ts';
import { configSchemaFor } from '../registry.ts';
import { configWarnings, crossReferenceIssues, type GatehouseConfig } from './schema.ts';

/**
 * Loads and validates the configuration without opening the store or touching anything. Warnings (an empty
 * configuration, an inline secret) are in the result's `warnings`; the caller shows them.
 */
export async function loadGatehouseConfig(
  configFile: string,
  env: NodeJS.ProcessEnv = process.env,
  options: { includeDirs?: readonly string[] } = {},
) {
  let targets: Awaited<ReturnType<typeof configSchemaFor>>['targets'] = [];
  const schemaOf = async (raw: unknown) => {
    const built = await configSchemaFor(raw);
    targets = built.targets;
    return built.schema;
  };
  return (await loadConfig(configFile, schemaOf, {
    env,
    check: (raw) => crossReferenceIssues(raw, targets),
    warn: configWarnings,
    missingHint:
      'give the configuration with --config FILE or GATEHOUSE_CONFIG, or start from examples/quickstart/gatehouse.yaml',
    ...(options.includeDirs ? { includeDirs: options.includeDirs } : {}),
  })) as LoadedConfig<GatehouseConfig>;
}
