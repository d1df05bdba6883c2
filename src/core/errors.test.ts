import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { describeError, GatehouseError } from './errors.ts';

describe('describeError', () => {
  it('follows the cause chain', () => {
    const e = new GatehouseError('STORE_FAILED', 'reading snapshot failed', { cause: new Error('disk full') });
    assert.equal(describeError(e), 'reading snapshot failed: disk full');
  });

  it('says a cause once when the message already quotes it', () => {
    const driver = new Error('connection refused');
    const e = new GatehouseError('STORE_FAILED', `reading snapshot failed: ${driver.message}`, { cause: driver });
    assert.equal(describeError(e), 'reading snapshot failed: connection refused');
    const outer = new GatehouseError('STORE_FAILED', `could not open the store: ${describeError(e)}`, { cause: e });
    assert.equal(describeError(outer), 'could not open the store: reading snapshot failed: connection refused');
  });

  it('renders non-Error values', () => {
    assert.equal(describeError('plain'), 'plain');
    assert.equal(describeError({ status: 500 }), '{"status":500}');
  });
});
