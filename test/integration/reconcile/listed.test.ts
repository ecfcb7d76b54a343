import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DynamoReconciliationStore } from '../../../lambdas/aws/adapters/dynamo-reconciliation.ts';
import { type LocalDynamo, startDynalite } from '../../support/dynalite.ts';
import { freshId, NOW } from './world.ts';

let dynamo: LocalDynamo;
beforeAll(async () => {
  dynamo = await startDynalite();
});
afterAll(async () => {
  await dynamo.close();
});

describe('reconciliation store: a page listing with queued remediations', () => {
  it('keeps 2,000 accounts of long SCIM ids, each with a remediation waiting, and reads them all back', async () => {
    const store = new DynamoReconciliationStore({ tableName: dynamo.stateTable, client: dynamo.client });
    const targetId = freshId('l');
    const ids = Array.from({ length: 2_000 }, (_, i) => `${String(i).padStart(4, '0')}-${'x'.repeat(60)}`);
    const remediation = (i: number) => ({
      at: NOW.toISOString(),
      classification: 'orphan' as const,
      action: 'deactivate' as const,
      eventId: `reconcile-20261128T100000000Z-ab12-${String(i).padStart(16, '0')}`,
    });
    await store.recordPage({
      targetId,
      runId: 'run1',
      page: 1,
      listed: new Map(ids.map((id) => [id, 'fingerprint01234'])),
      queued: new Map(ids.map((id, i) => [id, remediation(i)])),
      changed: [],
    });

    const listed = new Map<string, string>();
    const queued = new Map<string, unknown>();
    for await (const listing of store.listed(targetId, 'run1')) {
      for (const [id, print] of listing.listed) listed.set(id, print);
      for (const [id, r] of listing.queued) queued.set(id, r);
    }
    expect(listed.size).toBe(2_000);
    expect(queued.size).toBe(2_000);
    expect(queued.get(ids[1_999] ?? '')).toEqual(remediation(1_999));
  });
});
