// node:test's describe/it return promises that the runner itself awaits.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parsePrefix } from '../../core/address.ts';
import { nonPublicReason } from './addresses.ts';

const reason = (a: string) => nonPublicReason(parsePrefix(a, 'test'));

describe('nonPublicReason', () => {
  it('keeps public and documentation addresses', () => {
    for (const a of [
      '192.0.2.1',
      '45.79.0.1',
      '172.32.0.1',
      '100.128.0.1',
      '2001:db8::1',
      '2600:3c03::f03c:91ff:fe24:3a2f',
    ]) {
      assert.equal(reason(a), undefined, a);
    }
  });

  it('names the range of private, shared, loopback, link-local, multicast and reserved addresses', () => {
    assert.equal(reason('192.168.133.234'), 'in 192.168.0.0/16 (not public)');
    assert.equal(reason('10.0.0.1'), 'in 10.0.0.0/8 (not public)');
    assert.equal(reason('172.31.255.255'), 'in 172.16.0.0/12 (not public)');
    assert.equal(reason('100.64.1.1'), 'in 100.64.0.0/10 (not public)');
    for (const a of ['0.1.2.3', '127.0.0.1', '169.254.1.1', '224.0.0.1', '255.255.255.255']) assert.ok(reason(a), a);
    for (const a of ['fe80::1', 'fd00::1', '::1', 'ff02::1'])
      assert.match(reason(a) ?? '', /not IPv6 global unicast/, a);
  });
});
