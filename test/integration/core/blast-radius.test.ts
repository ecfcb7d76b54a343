import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DynamoRevocationBudget } from '../../../lambdas/aws/adapters/dynamo-state.ts';
import { parseConfig } from '../../../lambdas/core/model/config.ts';
import { BlastRadiusGuard, windowStart } from '../../../lambdas/core/revocation/blast-radius.ts';
import sample from '../../../scimitar.config.ts';
import { type LocalDynamo, startDynalite } from '../../support/dynalite.ts';

let dynamo: LocalDynamo;
let budget: DynamoRevocationBudget;
beforeAll(async () => {
  dynamo = await startDynalite();
  budget = new DynamoRevocationBudget({ tableName: dynamo.stateTable, client: dynamo.client });
});
afterAll(async () => dynamo.close());

const config = parseConfig({ ...sample, blastRadius: { maxShare: 0.5, floor: 2, windowMinutes: 60 } });

describe('blast-radius guard', () => {
  it('shares one window budget between guards: what the plan takes, the reconciler cannot', async () => {
    const now = new Date('2026-11-30T10:15:00Z');
    const plan = new BlastRadiusGuard(config, budget);
    const reconciler = new BlastRadiusGuard(config, budget);
    expect(await plan.take('shared', now)).toBeUndefined();
    expect(await reconciler.take('shared', now)).toBeUndefined();
    expect(await plan.take('shared', now)).toEqual({
      limit: 2,
      window: '2026-11-30T10:00:00.000Z',
      windowMinutes: 60,
    });
    expect(await reconciler.take('shared', now)).toMatchObject({ limit: 2 });
  });

  it('refuses past the share of the accounts the last complete pass counted', async () => {
    const now = new Date('2026-11-30T11:05:00Z');
    await budget.setAccountCount('sized', 8, '2026-11-30T00:00:00Z');
    const guard = new BlastRadiusGuard(config, budget);
    const taken = [];
    for (let i = 0; i < 5; i++) taken.push(await guard.take('sized', now));
    expect(taken.slice(0, 4)).toEqual([undefined, undefined, undefined, undefined]);
    expect(taken[4]).toMatchObject({ limit: 4 });
  });

  it('reads a target limit once per guard (one plan, one pass); a new guard reads it again', async () => {
    const now = new Date('2026-11-30T12:05:00Z');
    await budget.setAccountCount('growing', 4, '2026-11-30T00:00:00Z');
    const guard = new BlastRadiusGuard(config, budget);
    expect(await guard.take('growing', now)).toBeUndefined();
    await budget.setAccountCount('growing', 100, '2026-11-30T12:00:00Z');
    expect(await guard.take('growing', now)).toBeUndefined();
    expect(await guard.take('growing', now)).toMatchObject({ limit: 2 });
    expect(await new BlastRadiusGuard(config, budget).take('growing', now)).toBeUndefined();
  });

  it('starts afresh in the next window', async () => {
    const guard = new BlastRadiusGuard(config, budget);
    const first = new Date('2026-11-30T13:59:59Z');
    await guard.take('windowed', first);
    await guard.take('windowed', first);
    expect(await guard.take('windowed', first)).toMatchObject({ window: windowStart(first, 60) });
    expect(await guard.take('windowed', new Date('2026-11-30T14:00:00Z'))).toBeUndefined();
  });
});
