import { discordSource } from './sources/discord/index.ts';
import { geofeedSource } from './sources/geofeed/index.ts';
import { kubernetesNodesSource } from './sources/kubernetes-nodes/index.ts';
import { ldapSource } from './sources/ldap/index.ts';
import { linksSource } from './sources/links/index.ts';
import { linodeLkeSource } from './sources/linode-lke/index.ts';
import { staticSource } from './sources/static/index.ts';
import { githubTarget } from './targets/github/index.ts';
import { kubernetesTenantsTarget } from './targets/kubernetes-tenants/index.ts';
import { ldapGroupsTarget } from './targets/ldap-groups/index.ts';
import { ldapLinksTarget } from './targets/ldap-links/index.ts';
import { nftablesTarget } from './targets/nftables/index.ts';
import { postfixSenderLoginsTarget } from './targets/postfix-sender-logins/index.ts';
import { buildConfigSchema } from './config/schema.ts';
import type { SourcePlugin, TargetPlugin } from './plugins.ts';

/** Every plugin gatehouse ships. Adding a source or target means adding it here, and nowhere else. */
export const sourcePlugins: readonly SourcePlugin[] = [
  staticSource,
  linodeLkeSource,
  geofeedSource,
  ldapSource,
  discordSource,
  kubernetesNodesSource,
  linksSource,
] as never;
export const targetPlugins: readonly TargetPlugin[] = [
  nftablesTarget,
  githubTarget,
  ldapGroupsTarget,
  ldapLinksTarget,
  kubernetesTenantsTarget,
  postfixSenderLoginsTarget,
] as never;

export const configSchema = buildConfigSchema(sourcePlugins, targetPlugins);
