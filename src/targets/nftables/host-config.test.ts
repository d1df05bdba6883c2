import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { describe, it } from 'node:test';
import { nftablesSchema } from './config.ts';
import { HOST_CONFIG_SNIPPET, hostConfigSnippet } from './host-config.ts';

describe('HOST_CONFIG_SNIPPET', () => {
  it('declares interval sets, drops the database ports, and includes by glob after the table', () => {
    assert.match(HOST_CONFIG_SNIPPET, /set db_allow_v4 \{\n\t\ttype ipv4_addr\n\t\tflags interval\n\t\}/);
    assert.match(HOST_CONFIG_SNIPPET, /set db_allow_v6 \{\n\t\ttype ipv6_addr\n\t\tflags interval\n\t\}/);
    assert.match(HOST_CONFIG_SNIPPET, /tcp dport \{ 5432, 27017 \} drop/);
    const table = HOST_CONFIG_SNIPPET.indexOf('table inet gatehouse');
    const include = HOST_CONFIG_SNIPPET.indexOf('include "/etc/nftables.d/*.nft"');
    assert.ok(table >= 0 && include > table, 'the include comes after the table');
    assert.doesNotMatch(HOST_CONFIG_SNIPPET, /flush ruleset/);
  });

  it('is what deploy/nftables/nftables.conf contains', async () => {
    const conf = await readFile(new URL('../../../deploy/nftables/nftables.conf', import.meta.url), 'utf8');
    assert.ok(
      conf.includes(HOST_CONFIG_SNIPPET),
      'deploy/nftables/nftables.conf must contain HOST_CONFIG_SNIPPET verbatim',
    );
  });
});

describe('hostConfigSnippet', () => {
  const parse = (over: Record<string, unknown>) =>
    nftablesSchema.parse({
      type: 'nftables',
      table: { family: 'inet', name: 'gatehouse' },
      sets: [{ name: 'db', ipv4: 'db_allow_v4', ipv6: 'db_allow_v6', from: ['s'] }],
      ...over,
    });

  it('for the example names, declares what HOST_CONFIG_SNIPPET declares', () => {
    const text = hostConfigSnippet('db', parse({}), '/etc/nftables.d/gatehouse.nft');
    const body = (t: string) => t.slice(t.indexOf('table '));
    assert.equal(body(text), body(HOST_CONFIG_SNIPPET).replace('\t\ttcp dport', '\t\t# allowlist db\n\t\ttcp dport'));
  });

  it("uses the config's table family and name, set names, and include file", () => {
    const text = hostConfigSnippet(
      'edge',
      parse({
        table: { family: 'ip', name: 'edge_fw' },
        sets: [
          { name: 'web', ipv4: 'web_v4', from: ['s'] },
          { name: 'ssh', ipv4: 'ssh_v4', ipv6: 'ssh_v6', from: ['s'] },
        ],
      }),
      '/var/lib/gatehouse/edge.rules',
    );
    assert.match(text, /^table ip edge_fw \{$/m);
    for (const set of ['web_v4', 'ssh_v4']) assert.match(text, new RegExp(`set ${set} \\{\\n\\t\\ttype ipv4_addr\\n`));
    assert.match(text, /set ssh_v6 \{\n\t\ttype ipv6_addr\n\t\tflags interval/);
    assert.match(text, /ip saddr @web_v4 accept/);
    assert.match(text, /ip6 saddr @ssh_v6 accept/);
    assert.match(text, /^include "\/var\/lib\/gatehouse\/edge\.rule\[s\]"$/m);
    assert.doesNotMatch(text, /gatehouse \{|db_allow|nftables\.d/);
  });

  it('says so when there is no include file, and refuses a path nft cannot quote', () => {
    assert.match(hostConfigSnippet('x', parse({}), null), /No includeFile configured/);
    assert.throws(() => hostConfigSnippet('x', parse({}), '/etc/a"b.nft'), { code: 'CONFIG_INVALID' });
  });
});
