import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { describe, it } from 'node:test';
import { HOST_CONFIG_SNIPPET } from './host-config.ts';

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
