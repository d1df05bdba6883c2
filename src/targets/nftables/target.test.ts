import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { formatPrefix, parsePrefix } from '../../core/address.ts';
import type { DesiredContext } from '../../core/contracts.ts';
import { bootstrapInclude } from './host-config.ts';
import { nftablesTarget } from './index.ts';
import { config, context, deps } from './test-fixtures.ts';
import type { NftDesired } from './types.ts';

const show = (d: unknown) =>
  Object.fromEntries((d as NftDesired).sets.map((s) => [s.set, s.prefixes.map(formatPrefix)]));

describe('nftables target', () => {
  const cfg = config({
    includeFile: 'out/gh.nft',
    sets: [
      { name: 'db', ipv4: 'allow_v4', ipv6: 'allow_v6', from: ['office', 'lke'] },
      { name: 'v4-only', ipv4: 'mail_v4', from: ['office'] },
    ],
  });
  const target = nftablesTarget.create('db-allowlist', cfg, deps('/etc/gatehouse'));

  it('the daemon may watch a kernel target (real nft runner), unless watch: false or kernel: false', () => {
    const sets = [{ name: 'db', ipv4: 'allow_v4', from: ['office'] }];
    const make = (extra: Record<string, unknown>) =>
      nftablesTarget.create('t', config({ includeFile: 'out/t.nft', sets, ...extra }), deps('/etc/gatehouse'));
    assert.equal(typeof make({}).watch, 'function');
    assert.equal('watch' in make({ watch: false }), false);
    assert.equal('watch' in make({ kernel: false }), false);
  });

  it('is atomic and lists its sources once each', () => {
    assert.equal(target.type, 'nftables');
    assert.equal(target.atomic, true);
    assert.deepEqual(target.sources, ['office', 'lke']);
  });

  it('unites the address sets of the sources, aggregates, splits by family, ignores families without a set', () => {
    const ctx = context({ office: ['10.0.0.0/25', '2001:db8::1'], lke: ['10.0.0.128/25', '192.0.2.7'] });
    const d = target.desired(ctx);
    assert.deepEqual(show(d), {
      allow_v4: ['10.0.0.0/24', '192.0.2.7'],
      allow_v6: ['2001:db8::1'],
      mail_v4: ['10.0.0.0/25'],
    });
    assert.equal(d.includeFile, '/etc/gatehouse/out/gh.nft');
  });

  it('takes every address set a source emitted, and nothing from a missing source', () => {
    const ctx: DesiredContext = {
      sources: new Map([
        [
          'office',
          {
            name: 'office',
            type: 'static',
            status: 'live',
            facts: {
              addressSets: [
                { name: 'a', prefixes: [parsePrefix('10.1.0.1', 't')] },
                { name: 'b', prefixes: [parsePrefix('10.1.0.2', 't')] },
              ],
            },
            notes: [],
          },
        ],
        ['lke', { name: 'lke', type: 'linode-lke', status: 'missing', facts: {}, notes: [] }],
      ]),
    };
    assert.deepEqual(show(target.desired(ctx)).allow_v4, ['10.1.0.1', '10.1.0.2']);
  });

  it('bootstraps an include file from the desired state without nft', () => {
    const text = bootstrapInclude('db-allowlist', cfg, context({ office: ['192.0.2.1'], lke: [] }));
    assert.equal(
      text
        .split('\n')
        .filter((l) => !l.startsWith('#'))
        .join('\n'),
      'flush set inet gh allow_v4\nadd element inet gh allow_v4 { 192.0.2.1 }\nflush set inet gh allow_v6\n' +
        'flush set inet gh mail_v4\nadd element inet gh mail_v4 { 192.0.2.1 }\n',
    );
  });
});
