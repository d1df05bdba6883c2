import { buildConfigSchema } from './config/schema.ts';
import type { SourcePluginEntry, TargetPluginEntry } from './plugins.ts';
import { discordSourceSchema } from './sources/discord/config.ts';
import { geofeedSchema } from './sources/geofeed/schema.ts';
import { kubernetesNodesSchema } from './sources/kubernetes-nodes/schema.ts';
import { ldapSourceSchema } from './sources/ldap/config.ts';
import { linodeLkeSchema } from './sources/linode-lke/schema.ts';
import { staticSchema } from './sources/static/schema.ts';
import { linksSchema } from './sources/links/schema.ts';
import { ldapLinksSchema, ldapLinksSourceRefs } from './targets/ldap-links/config.ts';
import { githubSchema, githubSourceRefs } from './targets/github/config.ts';
import { kubernetesTenantsSchema, kubernetesTenantsSourceRefs } from './targets/kubernetes-tenants/config.ts';
import { ldapGroupsSchema, ldapGroupsSourceRefs } from './targets/ldap-groups/config.ts';
import { nftablesSchema, nftablesSourceRefs } from './targets/nftables/config.ts';
import { postfixSenderLoginsSchema, postfixSenderLoginsSourceRefs } from './targets/postfix-sender-logins/config.ts';

// Only schemas are imported eagerly: `--help`, `validate` and `schema` need them, not the implementations, whose
// vendor SDKs (Kubernetes, Discord, Octokit, LDAP) cost far more to load than the whole CLI otherwise does.

/** Every source gatehouse ships. Adding a source means adding it here, and nowhere else. */
export const sourcePlugins: readonly SourcePluginEntry[] = [
  { type: 'static', schema: staticSchema, load: async () => (await import('./sources/static/index.ts')).staticSource },
  {
    type: 'linode-lke',
    schema: linodeLkeSchema,
    load: async () => (await import('./sources/linode-lke/index.ts')).linodeLkeSource,
  },
  {
    type: 'geofeed',
    schema: geofeedSchema,
    load: async () => (await import('./sources/geofeed/index.ts')).geofeedSource,
  },
  { type: 'ldap', schema: ldapSourceSchema, load: async () => (await import('./sources/ldap/index.ts')).ldapSource },
  {
    type: 'discord',
    schema: discordSourceSchema,
    load: async () => (await import('./sources/discord/index.ts')).discordSource,
  },
  {
    type: 'kubernetes-nodes',
    schema: kubernetesNodesSchema,
    load: async () => (await import('./sources/kubernetes-nodes/index.ts')).kubernetesNodesSource,
  },
  { type: 'links', schema: linksSchema, load: async () => (await import('./sources/links/index.ts')).linksSource },
] as never;

/** Every target gatehouse ships. Adding a target means adding it here, and nowhere else. */
export const targetPlugins: readonly TargetPluginEntry[] = [
  {
    type: 'nftables',
    schema: nftablesSchema,
    sourceRefs: nftablesSourceRefs,
    load: async () => (await import('./targets/nftables/index.ts')).nftablesTarget,
  },
  {
    type: 'github',
    schema: githubSchema,
    sourceRefs: githubSourceRefs,
    load: async () => (await import('./targets/github/index.ts')).githubTarget,
  },
  {
    type: 'ldap-groups',
    schema: ldapGroupsSchema,
    sourceRefs: ldapGroupsSourceRefs,
    load: async () => (await import('./targets/ldap-groups/index.ts')).ldapGroupsTarget,
  },
  {
    type: 'ldap-links',
    schema: ldapLinksSchema,
    sourceRefs: ldapLinksSourceRefs,
    load: async () => (await import('./targets/ldap-links/index.ts')).ldapLinksTarget,
  },
  {
    type: 'kubernetes-tenants',
    schema: kubernetesTenantsSchema,
    sourceRefs: kubernetesTenantsSourceRefs,
    load: async () => (await import('./targets/kubernetes-tenants/index.ts')).kubernetesTenantsTarget,
  },
  {
    type: 'postfix-sender-logins',
    schema: postfixSenderLoginsSchema,
    sourceRefs: postfixSenderLoginsSourceRefs,
    load: async () => (await import('./targets/postfix-sender-logins/index.ts')).postfixSenderLoginsTarget,
  },
] as never;

export const configSchema = buildConfigSchema(sourcePlugins, targetPlugins);
