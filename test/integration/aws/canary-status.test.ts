import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DynamoCanaryStatus } from '../../../lambdas/aws/adapters/dynamo-canary-status.ts';
import type { CanaryResult } from '../../../lambdas/core/credentials/canary.ts';
import { type LocalDynamo, startDynalite } from '../../support/dynalite.ts';

let dynamo: LocalDynamo;
let status: DynamoCanaryStatus;
beforeAll(async () => {
  dynamo = await startDynalite();
  status = new DynamoCanaryStatus({ tableName: dynamo.stateTable, client: dynamo.client });
});
afterAll(async () => dynamo.close());

const result = (targetId: string, checkedAt: string, ok: boolean): CanaryResult => ({
  targetId,
  checkedAt,
  ok,
  reachable: true,
  authenticated: ok,
  problems: ok ? [] : ['GET /Users?count=1 failed: server answered 401 twice'],
  durationMs: 12,
});

describe('Canary status on the state table (dynalite)', () => {
  it('keeps one item per target under TARGET#<id> / CANARY', async () => {
    await status.record(result('code', '2026-11-28T10:00:00.000Z', true));
    const { Item } = await dynamo.client.send(
      new GetCommand({ TableName: dynamo.stateTable, Key: { pk: 'TARGET#code', sk: 'CANARY' } }),
    );
    expect(Item).toMatchObject({ targetId: 'code', ok: true, checkedAt: '2026-11-28T10:00:00.000Z' });
  });

  it('counts failures in a row and remembers the last pass', async () => {
    await status.record(result('chat', '2026-11-28T10:00:00.000Z', true));
    await status.record(result('chat', '2026-11-28T11:00:00.000Z', false));
    await status.record(result('chat', '2026-11-28T12:00:00.000Z', false));
    expect(await status.read('chat')).toEqual({
      ...result('chat', '2026-11-28T12:00:00.000Z', false),
      lastOkAt: '2026-11-28T10:00:00.000Z',
      failingSince: '2026-11-28T11:00:00.000Z',
      consecutiveFailures: 2,
    });
    await status.record(result('chat', '2026-11-28T13:00:00.000Z', true));
    const passed = await status.read('chat');
    expect(passed).toMatchObject({
      ok: true,
      lastOkAt: '2026-11-28T13:00:00.000Z',
      consecutiveFailures: 0,
      problems: [],
    });
    expect(passed?.failingSince).toBeUndefined();
  });

  it('refuses to let an older result replace a newer one', async () => {
    await status.record(result('wiki', '2026-11-28T12:00:00.000Z', true));
    await status.record(result('wiki', '2026-11-28T11:00:00.000Z', false));
    expect(await status.read('wiki')).toMatchObject({
      ok: true,
      checkedAt: '2026-11-28T12:00:00.000Z',
      consecutiveFailures: 0,
    });
  });

  it('answers undefined for a target never checked', async () => {
    expect(await status.read('never')).toBeUndefined();
  });
});
