import { buildConfigSchema } from './config/schema.ts';
import type { SourcePluginEntry, TargetPluginEntry } from './plugins.ts';

// Nothing of a plugin is imported up front, not even its config schema: building every plugin's zod schema costs more
// than the rest of `validate` does, and the implementations pull in vendor SDKs (Kubernetes, Discord, Octokit, LDAP)
// that cost more still. A command loads the schemas of the types its configuration names, and the implementations of
// the plugins it creates.

/** Every source gatehouse ships. Adding a source means adding it here, and nowhere else. */
export const sourcePlugins: readonly SourcePluginEntry[] = [
  {
    type: 'static',
    loadSchema: async () => ({ schema: (await import('./sources/static/schema.ts')).staticSchema }),
    load: async () => (await import('./sources/static/index.ts')).staticSource,
  },
  {
    type: 'linode-lke',
    loadSchema: async () => ({ schema: (await import('./sources/linode-lke/schema.ts')).linodeLkeSchema }),
    load: async () => (await import('./sources/linode-lke/index.ts')).linodeLkeSource,
  },
  {
    type: 'geofeed',
    loadSchema: async () => ({ schema: (await import('./sources/geofeed/schema.ts')).geofeedSchema }),
    load: async () => (await import('./sources/geofeed/index.ts')).geofeedSource,
  },
  {
    type: 'ldap',
    loadSchema: async () => ({ schema: (await import('./sources/ldap/config.ts')).ldapSourceSchema }),
    load: async () => (await import('./sources/ldap/index.ts')).ldapSource,
  },
  {
    type: 'discord',
    loadSchema: async () => ({ schema: (await import('./sources/discord/config.ts')).discordSourceSchema }),
    load: async () => (await import('./sources/discord/index.ts')).discordSource,
  },
  {
    type: 'kubernetes-nodes',
    loadSchema: async () => ({ schema: (await import('./sources/kubernetes-nodes/schema.ts')).kubernetesNodesSchema }),
    load: async () => (await import('./sources/kubernetes-nodes/index.ts')).kubernetesNodesSource,
  },
  {
    type: 'links',
    loadSchema: async () => ({ schema: (await import('./sources/links/schema.ts')).linksSchema }),
    load: async () => (await import('./sources/links/index.ts')).linksSource,
  },
] as never;

/** Every target gatehouse ships. Adding a target means adding it here, and nowhere else. */
export const targetPlugins: readonly TargetPluginEntry[] = [
  {
    type: 'nftables',
    loadSchema: async () => {
      const m = await import('./targets/nftables/config.ts');
      return { schema: m.nftablesSchema, sourceRefs: m.nftablesSourceRefs };
    },
    load: async () => (await import('./targets/nftables/index.ts')).nftablesTarget,
  },
  {
    type: 'github',
    loadSchema: async () => {
      const m = await import('./targets/github/config.ts');
      return { schema: m.githubSchema, sourceRefs: m.githubSourceRefs };
    },
    load: async () => (await import('./targets/github/index.ts')).githubTarget,
  },
  {
    type: 'ldap-groups',
    loadSchema: async () => {
      const m = await import('./targets/ldap-groups/config.ts');
      return { schema: m.ldapGroupsSchema, sourceRefs: m.ldapGroupsSourceRefs };
    },
    load: async () => (await import('./targets/ldap-groups/index.ts')).ldapGroupsTarget,
  },
  {
    type: 'ldap-links',
    loadSchema: async () => {
      const m = await import('./targets/ldap-links/config.ts');
      return { schema: m.ldapLinksSchema, sourceRefs: m.ldapLinksSourceRefs };
    },
    load: async () => (await import('./targets/ldap-links/index.ts')).ldapLinksTarget,
  },
  {
    type: 'kubernetes-tenants',
    loadSchema: async () => {
      const m = await import('./targets/kubernetes-tenants/config.ts');
      return { schema: m.kubernetesTenantsSchema, sourceRefs: m.kubernetesTenantsSourceRefs };
    },
    load: async () => (await import('./targets/kubernetes-tenants/index.ts')).kubernetesTenantsTarget,
  },
  {
    type: 'postfix-sender-logins',
    loadSchema: async () => {
      const m = await import('./targets/postfix-sender-logins/config.ts');
      return { schema: m.postfixSenderLoginsSchema, sourceRefs: m.postfixSenderLoginsSourceRefs };
    },
    load: async () => (await import('./targets/postfix-sender-logins/index.ts')).postfixSenderLoginsTarget,
  },
] as never;

/** The `type` of every block of a configuration section, or undefined when one is missing or not a string. */
function typesIn(section: unknown): string[] | undefined {
  if (section === undefined || section === null) return [];
  if (typeof section !== 'object' || Array.isArray(section)) return undefined;
  const types: string[] = [];
  for (const block of Object.values(section)) {
    const type = (block as { type?: unknown } | null)?.type;
    if (typeof type !== 'string') return undefined;
    types.push(type);
  }
  return types;
}

/** The entries of `types`, or every entry when a type is missing or unknown (so errors list every known type). */
function entriesFor<E extends { type: string }>(all: readonly E[], types: string[] | undefined): readonly E[] {
  if (types === undefined || types.some((t) => !all.some((e) => e.type === t))) return all;
  return all.filter((e) => types.includes(e.type));
}

/**
 * The configuration schema for `raw` (a parsed, unvalidated configuration): built from the plugins whose types it
 * names. Any block with a missing or unknown type brings in every plugin, so its error lists every known type. Without
 * `raw`, the schema of every plugin (for the JSON Schema and the reference docs). Validates exactly as the full schema
 * would: a block is only ever checked against the plugin its `type` names.
 */
export async function configSchemaFor(raw?: unknown) {
  const value = raw as { sources?: unknown; targets?: unknown } | null | undefined;
  const all = raw === undefined || value === null || typeof value !== 'object';
  const sources = await Promise.all(
    entriesFor(sourcePlugins, all ? undefined : typesIn(value.sources)).map(async (e) => ({
      type: e.type,
      ...(await e.loadSchema()),
    })),
  );
  const targets = await Promise.all(
    entriesFor(targetPlugins, all ? undefined : typesIn(value.targets)).map(async (e) => ({
      type: e.type,
      ...(await e.loadSchema()),
    })),
  );
  return { schema: buildConfigSchema(sources, targets), targets };
}
