// A SCIM lane whose write is answered 404 because someone deleted the account after the lane's find
// (README, "404 on find or delete": recorded as already gone, a success). The lane notes its write
// before sending it; that note must not be read back as an earlier attempt's write whose answer
// was lost. The demo SCIM application behind the fault proxy, state on dynalite.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DynamoAuditLog } from '../../../lambdas/aws/adapters/dynamo-audit-log.ts';
import { DynamoLeaverLedger } from '../../../lambdas/aws/adapters/dynamo-state.ts';
import { type LaneDeps, runLane } from '../../../lambdas/core/revocation/lane.ts';
import { type LocalDynamo, startDynalite } from '../../support/dynalite.ts';
import { laneMessage } from '../../support/lane-message.ts';
import { FixedClock, RecordingDeadLetterQueue, RecordingNotifier } from '../../support/recorders.ts';
import { type ScimTarget, startTarget } from '../../support/scim-target.ts';
import { RecordingTaskCallback } from '../../support/task-callbacks.ts';

let dynamo: LocalDynamo;
let target: ScimTarget;
beforeAll(async () => {
  [dynamo, target] = await Promise.all([startDynalite(), startTarget()]);
});
afterAll(async () => {
  await Promise.all([dynamo.close(), target.close()]);
});

const deps = () =>
  ({
    targetId: 'app',
    scim: target.client(),
    audit: new DynamoAuditLog({ tableName: dynamo.auditTable, client: dynamo.client }),
    ledger: new DynamoLeaverLedger({ tableName: dynamo.stateTable, client: dynamo.client }),
    callback: new RecordingTaskCallback(),
    clock: new FixedClock(new Date('2026-12-03T10:00:00Z')),
    maxAttempts: 3,
    deadLetters: new RecordingDeadLetterQueue(),
    alerts: new RecordingNotifier(),
    redriveCommand: 'npm run scimitar -- redrive app',
  }) satisfies LaneDeps;

describe('lane: the account is deleted between the find and the write', () => {
  for (const [action, method, step] of [
    ['delete', 'DELETE', 'DELETED'],
    ['deactivate', 'PATCH', 'DEACTIVATED'],
  ] as const) {
    it(`records a ${method} answered 404 as already gone, first-hand, and tells the workflow success`, async () => {
      const userName = `gone.${action}@example.com`;
      target.app.seed({ users: [{ userName }] });
      const id = target.app.userByName(userName)?.id ?? '';
      // Someone else deletes the account as the lane's write arrives: the application answers 404.
      target.proxy.inject(
        { kind: 'headers', headers: {} },
        {
          when: (r) => {
            if (r.method !== method) return false;
            (target.app.users as Map<string, unknown>).delete(id);
            return true;
          },
        },
      );
      const d = deps();
      const msg = laneMessage(userName, `lane-gone-${action}`, { action });
      const outcome = await runLane(msg, 1, d);

      expect(outcome).toMatchObject({ kind: 'done', result: { status: 'already-revoked', accountId: id } });
      expect(d.callback.succeeded).toHaveLength(1);
      const entries = await d.audit.forEvent(msg.eventId);
      expect(entries.map((e) => e.step)).toEqual(['FOUND', 'WRITE_SENT', step, 'VERIFIED']);
      expect(entries[2]?.detail).toMatchObject({ accountId: id, alreadyGone: true });
      expect(entries[3]?.detail).toMatchObject({ outcome: 'already-revoked', verified: { deleted: true } });
      expect(entries.some((e) => e.detail?.answerLost !== undefined)).toBe(false);
      expect((await d.ledger.forPerson(msg.person.employeeId))[0]).toMatchObject({
        outcome: 'revoked',
        accountId: id,
      });
    });
  }
});
