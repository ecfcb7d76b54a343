import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DynamoAuditLog } from '../../../lambdas/aws/adapters/dynamo-audit-log.ts';
import { DynamoLeaverLedger } from '../../../lambdas/aws/adapters/dynamo-state.ts';
import { runLane } from '../../../lambdas/core/revocation/lane.ts';
import { summarize } from '../../../lambdas/core/revocation/summarize.ts';
import { type LocalDynamo, startDynalite } from '../../support/dynalite.ts';
import { FixedClock, RecordingNotifier, recordingFailureChannels } from '../../support/recorders.ts';
import { type ScimTarget, startTarget } from '../../support/scim-target.ts';
import { RecordingTaskCallback } from '../../support/task-callbacks.ts';

// What reconciliation needs from the ledger: for each leaver, the match the lane used (so a failed
// revocation's account can be recognised later), and a copy of the record keyed by target.
let dynamo: LocalDynamo;
let target: ScimTarget;
beforeAll(async () => {
  [dynamo, target] = await Promise.all([startDynalite(), startTarget()]);
});
afterAll(async () => {
  await Promise.all([dynamo.close(), target.close()]);
});

const ledgerOf = () => new DynamoLeaverLedger({ tableName: dynamo.stateTable, client: dynamo.client });
const clock = new FixedClock(new Date('2026-11-28T10:00:05Z'));
const lane = {
  targetId: 'lm-app',
  tier: 'standard' as const,
  action: 'deactivate' as const,
  matchAttribute: 'email' as const,
  matchValue: 'gone@example.com',
  removeFromGroups: false,
  reportOnly: false,
};

describe('leaver ledger for reconciliation', () => {
  it('keeps the lane match on a failed revocation and lists the leaver under the target', async () => {
    target.proxy.inject({ kind: 'status', status: 403 });
    const ledger = ledgerOf();
    const outcome = await runLane(
      {
        eventId: 'lm-1',
        receivedAt: '2026-11-28T10:00:00.000Z',
        dryRun: false,
        person: { employeeId: 'LM-1' },
        lane,
      },
      1,
      {
        targetId: 'lm-app',
        scim: target.client(),
        audit: new DynamoAuditLog({ tableName: dynamo.auditTable, client: dynamo.client }),
        ledger,
        callback: new RecordingTaskCallback(),
        clock,
        maxAttempts: 3,
        ...recordingFailureChannels(),
      },
    );
    expect(outcome.kind).toBe('failed');
    const [record] = await ledger.forPerson('LM-1');
    expect(record).toMatchObject({
      outcome: 'failed',
      matchAttribute: 'email',
      matchValue: 'gone@example.com',
    });
    const byTarget = [];
    for await (const r of ledger.forTarget('lm-app')) byTarget.push(r);
    expect(byTarget).toEqual([record]);
  });

  it('keeps the planned match when summarize records a lane that never answered', async () => {
    const ledger = ledgerOf();
    await summarize(
      {
        plan: {
          eventId: 'lm-2',
          personId: 'LM-2',
          receivedAt: '2026-11-28T10:00:00.000Z',
          effectiveAt: '2026-11-28T10:00:00.000Z',
          dryRun: false,
          lanes: [{ ...lane, targetId: 'lm-other', matchAttribute: 'userName', matchValue: 'lm2' }],
          settled: [],
        },
        results: [{ targetId: 'lm-other', status: 'failed', error: 'States.Timeout' }],
      },
      {
        audit: new DynamoAuditLog({ tableName: dynamo.auditTable, client: dynamo.client }),
        ledger,
        alerts: new RecordingNotifier(),
        clock,
      },
    );
    const listed = [];
    for await (const r of ledger.forTarget('lm-other')) listed.push(r);
    expect(listed).toEqual([
      expect.objectContaining({
        personId: 'LM-2',
        outcome: 'failed',
        matchAttribute: 'userName',
        matchValue: 'lm2',
      }),
    ]);
  });
});
