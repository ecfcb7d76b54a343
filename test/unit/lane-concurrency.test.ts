import { describe, expect, it } from 'vitest';
import { laneMaxConcurrency } from '../../lambdas/aws/target-env.ts';

const budget = (requestsPerSecond: number, concurrency?: number) => ({
  rateBudget: { requestsPerSecond, burst: 1, ...(concurrency !== undefined && { concurrency }) },
});

describe('laneMaxConcurrency', () => {
  it("is two seconds of the target's rate: each revocation in flight sends one request at a time", () => {
    expect(laneMaxConcurrency(budget(5))).toBe(10);
    expect(laneMaxConcurrency(budget(2.5))).toBe(5);
  });

  it("never goes below Lambda's floor of 2, nor above 20 by default", () => {
    expect(laneMaxConcurrency(budget(0.2))).toBe(2);
    expect(laneMaxConcurrency(budget(50))).toBe(20);
  });

  it('takes rateBudget.concurrency when the config sets it', () => {
    expect(laneMaxConcurrency(budget(50, 60))).toBe(60);
    expect(laneMaxConcurrency(budget(5, 2))).toBe(2);
  });
});
