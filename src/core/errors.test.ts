import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ChangeResult } from './contracts.ts';
import { describeError, ERROR_CODES, GatehouseError, type ErrorCode } from './errors.ts';
import type { TargetPlan } from './plan.ts';

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

describe('error codes are typed', () => {
  it('a change result or a target plan carries a stable code, never a free string (checked by tsc)', () => {
    const ok: ChangeResult = { id: 'a', status: 'failed', errorCode: 'TARGET_FAILED' };
    // @ts-expect-error: a free string is not an ErrorCode.
    const free: ChangeResult = { id: 'a', status: 'failed', errorCode: 'SOMETHING_FAILED' };
    // @ts-expect-error: a free string is not an ErrorCode.
    const plan: TargetPlan['error'] = { code: 'SOMETHING_FAILED', message: 'm' };
    assert.ok(ERROR_CODES.includes(ok.errorCode as ErrorCode));
    assert.ok(!ERROR_CODES.includes(free.errorCode as ErrorCode));
    assert.ok(!ERROR_CODES.includes(plan?.code as ErrorCode));
    assert.equal(new Set(ERROR_CODES).size, ERROR_CODES.length);
  });
});
