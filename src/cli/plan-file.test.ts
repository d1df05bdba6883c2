import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isGatehouseError } from '../core/errors.ts';
import { sealPlan, type PlanBody } from '../core/plan.ts';
import { parsePlanFile } from './plan-file.ts';

/** A plan with one target that could not be observed, sealed as `gatehouse plan` would seal it. */
function planWithError(code: string): string {
  const body = {
    format: 1,
    configDigest: 'c',
    sources: [],
    targets: [
      {
        name: 'fw',
        type: 'nftables',
        observedDigest: '',
        changes: [],
        verdicts: [],
        blocked: [],
        error: { code, message: 'm' },
      },
    ],
  } as unknown as PlanBody;
  return JSON.stringify(sealPlan(body));
}

describe('parsePlanFile: error codes', () => {
  it('reads a target error whose code is one of the stable codes', () => {
    const plan = parsePlanFile(planWithError('TARGET_FORBIDDEN'), 'p.json');
    assert.equal(plan.targets[0]?.error?.code, 'TARGET_FORBIDDEN');
  });

  it('refuses a target error with a code outside the stable codes, even when the id matches', () => {
    assert.throws(
      () => parsePlanFile(planWithError('SOMETHING_ELSE'), 'p.json'),
      (e) => isGatehouseError(e) && e.code === 'PLAN_INVALID' && /targets\.0\.error\.code/.test(e.message),
    );
  });
});
