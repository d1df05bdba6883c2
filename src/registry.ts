import { geofeedSource } from './sources/geofeed/index.ts';
import { linodeLkeSource } from './sources/linode-lke/index.ts';
import { staticSource } from './sources/static/index.ts';
import { nftablesTarget } from './targets/nftables/index.ts';
import { buildConfigSchema } from './config/schema.ts';
import type { SourcePlugin, TargetPlugin } from './plugins.ts';

/** Every plugin gatehouse ships. Adding a source or target means adding it here, and nowhere else. */
export const sourcePlugins: readonly SourcePlugin[] = [staticSource, linodeLkeSource, geofeedSource] as never;
export const targetPlugins: readonly TargetPlugin[] = [nftablesTarget] as never;

export const configSchema = buildConfigSchema(sourcePlugins, targetPlugins);
