import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { changeOf } from '../../src/core/change-schema.ts';
import { completeTarget } from '../../src/plugins.ts';
import { targetPlugins } from '../../src/registry.ts';
import { testDeps } from '../../src/testing/plugin-deps.ts';

/**
 * For every target type, a config that references sources in every place its schema allows, with one source named
 * twice, so a target whose `sources` were computed apart from `sourceRefs` would show the difference.
 */
const samples: Record<string, Record<string, unknown>> = {
  nftables: {
    type: 'nftables',
    table: { family: 'inet', name: 'gh' },
    sets: [
      { name: 'db', ipv4: 'db_v4', ipv6: 'db_v6', from: ['clients', 'office'] },
      { name: 'ssh', ipv4: 'ssh_v4', from: ['office', 'vpn'] },
    ],
  },
  github: {
    type: 'github',
    org: 'acme',
    auth: { token: 'ghp_test_token_0123456789' },
    members: ['people/helpers', 'discord/staff'],
    teams: { sre: { maintainers: ['discord/leads'], members: ['ldap/sre'] } },
    people: ['links', 'people'],
  },
  'ldap-groups': {
    type: 'ldap-groups',
    connection: { url: 'ldap://127.0.0.1:1', bindDn: 'cn=x', bindPassword: 'secret-pw' },
    people: { base: 'ou=people,dc=x' },
    baseRole: 'discord/Staff',
    mappings: [
      { group: 'roles/sre', ldapGroup: 'cn=sre,dc=x' },
      { group: 'discord/dev', ldapGroup: 'cn=dev,dc=x' },
    ],
  },
  'ldap-links': {
    type: 'ldap-links',
    connection: { url: 'ldap://127.0.0.1:1', bindDn: 'cn=x', bindPassword: 'secret-pw' },
    links: 'links',
    people: { base: 'ou=people,dc=x' },
    attribute: 'githubId',
  },
  'kubernetes-tenants': {
    type: 'kubernetes-tenants',
    connection: { kubeconfig: 'kubeconfig.json' },
    group: 'directory/tools',
  },
  'postfix-sender-logins': {
    type: 'postfix-sender-logins',
    table: '/etc/postfix/sender_logins',
    people: { from: ['dir', 'hr'], group: 'dir/mail' },
    groupAddresses: [
      { address: 'devops@example.org', group: 'teams/devops' },
      { address: 'sre@example.org', group: 'dir/sre' },
    ],
  },
};

describe('Target.sources is derived from the plugin’s sourceRefs', () => {
  it('has a sample config for every target plugin', () => {
    assert.deepEqual(targetPlugins.map((p) => p.type).sort(), Object.keys(samples).sort());
  });

  for (const plugin of targetPlugins) {
    it(`${plugin.type}: sources are the distinct sources of sourceRefs, in order`, async () => {
      const light = await plugin.loadSchema();
      const config = light.schema.parse(samples[plugin.type]) as never;
      const refs = light.sourceRefs(config);
      assert.ok(refs.length > 0);
      // The registry entry (light: schema and refs) and the implementation it loads declare the same plugin.
      const impl = await plugin.load();
      assert.equal(impl.type, plugin.type);
      assert.equal(impl.schema, light.schema);
      assert.deepEqual(impl.sourceRefs(config), refs);
      const target = impl.create('t', config, testDeps());
      assert.ok(target.changeSchema);
      assert.deepEqual(target.sources, [...new Set(refs.map((r) => r.source))]);
    });
  }

  it('a factory that sets its own sources cannot make them disagree', () => {
    const plugin = { sourceRefs: () => [{ path: ['a'], source: 'x' }], changeSchema: changeOf('fake', {}) };
    const body = {
      name: 't',
      type: 'fake',
      sources: ['y'],
      desired: () => 0,
      observe: () => Promise.resolve(0),
      diff: () => [],
      apply: () => Promise.resolve([]),
    };
    assert.deepEqual(completeTarget(plugin, {}, body).sources, ['x']);
  });
});
