import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DynamoPendingTerminations } from '../../../lambdas/aws/adapters/dynamo-pending-terminations.ts';
import type { PendingTermination } from '../../../lambdas/core/lifecycle/ports.ts';
import { type LocalDynamo, startDynalite } from '../../support/dynalite.ts';

let dynamo: LocalDynamo;
beforeAll(async () => {
  dynamo = await startDynalite();
});
afterAll(async () => dynamo.close());

const record: PendingTermination = {
  personId: 'P-1',
  eventId: 'evt-1',
  source: 'generic',
  executionName: 'generic-evt-1',
  effectiveAt: '2027-06-01T00:00:00.000Z',
  startAt: '2027-06-01T00:00:00.000Z',
  terminationType: 'voluntary',
  status: 'scheduled',
  version: 1,
};

describe('DynamoDB pending terminations (dynalite)', () => {
  it('stores one record per person and reads it back', async () => {
    const store = new DynamoPendingTerminations({ tableName: dynamo.stateTable, client: dynamo.client });
    expect(await store.get('P-1')).toBeUndefined();
    expect(await store.replace(record, undefined)).toBe(true);
    expect(await store.get('P-1')).toEqual(record);
  });

  it('refuses a create over an existing record, and a replace on a stale version: one of two racers wins', async () => {
    const store = new DynamoPendingTerminations({ tableName: dynamo.stateTable, client: dynamo.client });
    const person = { ...record, personId: 'P-2' };
    await store.replace(person, undefined);
    expect(await store.replace({ ...person, eventId: 'other' }, undefined)).toBe(false);
    const claim = {
      ...person,
      status: 'started' as const,
      startedAt: '2027-06-01T00:00:01.000Z',
      version: 2,
    };
    const rescind = {
      ...person,
      status: 'cancelled' as const,
      cancelledAt: '2027-06-01T00:00:01.000Z',
      version: 2,
    };
    const [a, b] = await Promise.all([store.replace(claim, 1), store.replace(rescind, 1)]);
    expect([a, b].filter(Boolean)).toHaveLength(1);
    expect((await store.get('P-2'))?.status).toBe(a ? 'started' : 'cancelled');
  });
});
