import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DynamoAuditLog } from '../../../lambdas/aws/adapters/dynamo-audit-log.ts';
import { DynamoRevocationBudget } from '../../../lambdas/aws/adapters/dynamo-state.ts';
import { parseConfig } from '../../../lambdas/core/model/config.ts';
import { ValidationError } from '../../../lambdas/core/model/errors.ts';
import { type ApproveBurstDeps, approveBurst } from '../../../lambdas/core/revocation/approve-burst.ts';
import { BlastRadiusGuard, heldReason, windowStart } from '../../../lambdas/core/revocation/blast-radius.ts';
import sample from '../../../scimitar.config.ts';
import { type LocalDynamo, startDynalite } from '../../support/dynalite.ts';
import { FixedClock } from '../../support/recorders.ts';

let dynamo: LocalDynamo;
let budget: DynamoRevocationBudget;
let audit: DynamoAuditLog;
beforeAll(async () => {
  dynamo = await startDynalite();
  budget = new DynamoRevocationBudget({ tableName: dynamo.stateTable, client: dynamo.client });
  audit = new DynamoAuditLog({ tableName: dynamo.auditTable, client: dynamo.client });
});
afterAll(async () => dynamo.close());

const config = parseConfig({ ...sample, blastRadius: { maxShare: 0.1, floor: 2, windowMinutes: 60 } });
// Every target with a lane: SCIM and session targets.
const scimTargets = config.targets.filter((t) => t.kind === 'scim' || t.kind === 'session').map((t) => t.id);
const [first = '', second = ''] = scimTargets;

function deps(now: string): ApproveBurstDeps & { clock: FixedClock } {
  return { config, budget, audit, clock: new FixedClock(new Date(now)) };
}

/** Takes `n` revocations at `targetId` through fresh guards (as separate lane instances do): how many were taken. */
async function take(targetId: string, now: Date, n: number): Promise<number> {
  const taken = await Promise.all(
    Array.from({ length: n }, () => new BlastRadiusGuard(config, budget).take(targetId, now)),
  );
  return taken.filter((refusal) => refusal === undefined).length;
}

describe('approve-burst: N more revocations past the blast-radius guard', () => {
  it('lets exactly N more through in the window, not N+1, and the guard holds again after', async () => {
    const now = new Date('2026-12-01T10:10:00Z');
    expect(await take(first, now, 3)).toBe(2);
    await approveBurst(
      { targets: [first], count: 4, approvedBy: 'dana', reason: 'layoff TICKET-1' },
      deps('2026-12-01T10:11:00Z'),
    );
    const guard = new BlastRadiusGuard(config, budget);
    const after = [];
    for (let i = 0; i < 5; i++) after.push(await guard.take(first, now));
    expect(after.slice(0, 4)).toEqual([undefined, undefined, undefined, undefined]);
    expect(after[4]).toMatchObject({ limit: 2, window: '2026-12-01T10:00:00.000Z' });
    expect(await budget.window(first, windowStart(now, 60))).toEqual({ used: 2, burst: 4, burstUsed: 4 });
    // The next window has the limit only: the approval was for this one.
    expect(await take(first, new Date('2026-12-01T11:00:00Z'), 3)).toBe(2);
  });

  it('cannot be overspent by concurrent lanes: 20 at once take limit + burst, no more', async () => {
    const now = new Date('2026-12-01T12:10:00Z');
    await approveBurst(
      { targets: [second], count: 7, approvedBy: 'dana', reason: 'layoff TICKET-2' },
      deps('2026-12-01T12:00:30Z'),
    );
    expect(await take(second, now, 20)).toBe(2 + 7);
    expect(await budget.window(second, windowStart(now, 60))).toEqual({ used: 2, burst: 7, burstUsed: 7 });
  });

  it('records who, how many, when and why in BURST_APPROVED; two approvals add up', async () => {
    const now = new Date('2026-12-01T14:20:00Z');
    const one = await approveBurst(
      { targets: 'all', count: 3, approvedBy: 'dana', reason: 'layoff TICKET-3' },
      deps(now.toISOString()),
    );
    await approveBurst(
      { targets: [first], count: 2, approvedBy: 'sam', reason: 'layoff TICKET-3, second wave' },
      deps(now.toISOString()),
    );
    expect(one.targets).toEqual(scimTargets);
    expect(await budget.window(first, '2026-12-01T14:00:00.000Z')).toMatchObject({ burst: 5 });
    expect(await budget.window(second, '2026-12-01T14:00:00.000Z')).toMatchObject({ burst: 3 });
    const [entry] = await audit.forEvent(one.approvalId);
    expect(entry).toMatchObject({
      step: 'BURST_APPROVED',
      actor: 'operator',
      at: now.toISOString(),
      personId: 'operator:dana',
      detail: {
        approvedBy: 'dana',
        count: 3,
        targets: scimTargets,
        windows: ['2026-12-01T14:00:00.000Z'],
        windowMinutes: 60,
        reason: 'layoff TICKET-3',
      },
    });
  });

  it('covers each following window until the time given', async () => {
    const outcome = await approveBurst(
      { targets: [first], count: 1, approvedBy: 'dana', reason: 'layoff', until: '2026-12-02T02:30:00Z' },
      deps('2026-12-02T00:45:00Z'),
    );
    expect(outcome.windows).toEqual([
      '2026-12-02T00:00:00.000Z',
      '2026-12-02T01:00:00.000Z',
      '2026-12-02T02:00:00.000Z',
    ]);
    expect(await take(first, new Date('2026-12-02T02:59:00Z'), 4)).toBe(3);
    expect(await take(first, new Date('2026-12-02T03:00:00Z'), 4)).toBe(2);
  });

  it('refuses an unknown target, naming it and the known ones, and grants nothing', async () => {
    const refused = approveBurst(
      { targets: [first, 'nope'], count: 5, approvedBy: 'dana', reason: 'layoff' },
      deps('2026-12-03T10:00:00Z'),
    );
    await expect(refused).rejects.toThrow(ValidationError);
    await expect(refused).rejects.toThrow(
      `target "nope" is not a SCIM or session target (known: ${scimTargets.join(', ')})`,
    );
    expect(await budget.window(first, '2026-12-03T10:00:00.000Z')).toMatchObject({ burst: 0 });
  });

  it('refuses an until in the past or beyond the most windows one approval covers', async () => {
    const input = { targets: [first], count: 5, approvedBy: 'dana', reason: 'layoff' };
    await expect(
      approveBurst({ ...input, until: '2026-12-03T09:00:00Z' }, deps('2026-12-03T10:00:00Z')),
    ).rejects.toThrow('is not in the future');
    await expect(
      approveBurst({ ...input, until: '2026-12-10T10:00:00Z' }, deps('2026-12-03T10:00:00Z')),
    ).rejects.toThrow('at most 48 per approval');
  });

  it('tells the operator of a held revocation how to let a known layoff through', () => {
    const reason = heldReason(
      first,
      { limit: 2, window: '2026-12-01T10:00:00.000Z', windowMinutes: 60 },
      config,
      'ev-1',
    );
    expect(reason).toContain('npm run scimitar -- approve ev-1');
    expect(reason).toContain(`npm run scimitar -- approve-burst --target ${first} --count N`);
  });
});
