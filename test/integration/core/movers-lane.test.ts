import { DeleteMessageCommand, ReceiveMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { DynamoAuditLog } from '../../../lambdas/aws/adapters/dynamo-audit-log.ts';
import { DynamoLeaverLedger } from '../../../lambdas/aws/adapters/dynamo-state.ts';
import { SqsDeadLetterQueue } from '../../../lambdas/aws/adapters/sqs-dead-letter-queue.ts';
import type { Entitlements } from '../../../lambdas/core/entitlements/rules.ts';
import type { LaneMessage } from '../../../lambdas/core/model/messages.ts';
import { type LaneDeps, runLane } from '../../../lambdas/core/revocation/lane.ts';
import { type LocalDynamo, startDynalite } from '../../support/dynalite.ts';
import { type LocalSqs, startLocalSqs } from '../../support/fauxqs.ts';
import { laneMessage } from '../../support/lane-message.ts';
import { FixedClock, RecordingNotifier } from '../../support/recorders.ts';
import { type ScimTarget, startTarget } from '../../support/scim-target.ts';
import { RecordingTaskCallback } from '../../support/task-callbacks.ts';

let dynamo: LocalDynamo;
let target: ScimTarget;
let local: LocalSqs;
let sqs: SQSClient;
let dlqUrl: string;
beforeAll(async () => {
  [dynamo, target, local] = await Promise.all([startDynalite(), startTarget(), startLocalSqs()]);
  sqs = local.sqs;
  dlqUrl = local.fauxqs.createQueue('movers-dlq').queueUrl;
});
afterAll(async () => {
  await Promise.all([dynamo.close(), target.close(), local.close()]);
});

const MOVER = 'mover@example.com';
const entitlements: Entitlements = {
  managedGroups: ['engineering', 'sales'],
  rules: [
    { group: 'engineering', when: { department: 'Engineering' } },
    { group: 'sales', when: { department: 'Sales' } },
  ],
  addGranted: true,
  removeDrift: false,
};

beforeEach(async () => {
  target.proxy.reset();
  for (const id of [...target.app.users.keys()]) (target.app.users as Map<string, unknown>).delete(id);
  for (const id of [...target.app.groups.keys()]) (target.app.groups as Map<string, unknown>).delete(id);
  target.app.seed({
    users: [{ userName: MOVER }],
    groups: [
      { displayName: 'engineering', members: [MOVER] },
      { displayName: 'sales', members: [] },
      { displayName: 'book-club', members: [MOVER] },
    ],
  });
  target.app.requests.length = 0;
  for (;;) {
    const { Messages = [] } = await sqs.send(
      new ReceiveMessageCommand({ QueueUrl: dlqUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 0 }),
    );
    if (Messages.length === 0) break;
    for (const m of Messages)
      await sqs.send(new DeleteMessageCommand({ QueueUrl: dlqUrl, ReceiptHandle: m.ReceiptHandle }));
  }
});

let seq = 0;
function moverMessage(attributes: Record<string, string> | undefined, extra: Partial<LaneMessage> = {}) {
  seq += 1;
  const msg = laneMessage(MOVER, `mover-evt-${seq}`, { action: 'entitlements' }, extra);
  return { ...msg, person: { ...msg.person, ...(attributes && { attributes }) }, ...extra };
}

function deps(overrides: Partial<LaneDeps> = {}): LaneDeps & { callback: RecordingTaskCallback } {
  return {
    targetId: 'app',
    scim: target.client(),
    audit: new DynamoAuditLog({ tableName: dynamo.auditTable, client: dynamo.client }),
    ledger: new DynamoLeaverLedger({ tableName: dynamo.stateTable, client: dynamo.client }),
    callback: new RecordingTaskCallback(),
    clock: new FixedClock(new Date('2026-11-28T10:00:02Z')),
    maxAttempts: 3,
    deadLetters: new SqsDeadLetterQueue(dlqUrl, sqs),
    alerts: new RecordingNotifier(),
    redriveCommand: 'npm run scimitar -- redrive app',
    entitlements,
    ...overrides,
  } as LaneDeps & { callback: RecordingTaskCallback };
}

const memberships = () => {
  const id = target.app.userByName(MOVER)?.id;
  return [...target.app.groups.values()]
    .filter((g) => g.members.some((m) => m.value === id))
    .map((g) => g.displayName)
    .sort();
};
const writes = () => target.app.requests.filter((r) => r.method !== 'GET');
const steps = async (eventId: string) => (await deps().audit.forEvent(eventId)).map((e) => e.step);

describe('lane: a mover’s entitlements', () => {
  it('moves the person from engineering to sales, verifies, audits, and tells the workflow', async () => {
    const d = deps();
    const msg = moverMessage({ department: 'Sales' });
    const outcome = await runLane(msg, 1, d);
    expect(outcome).toMatchObject({ kind: 'done', result: { status: 'updated', attempts: 1 } });
    expect(memberships()).toEqual(['book-club', 'sales']);
    expect(await steps(msg.eventId)).toEqual([
      'FOUND',
      'ENTITLEMENT_REMOVED',
      'ENTITLEMENT_ADDED',
      'ENTITLEMENTS_VERIFIED',
    ]);
    expect(d.callback.succeeded).toEqual([
      { taskToken: msg.taskToken, output: expect.objectContaining({ status: 'updated' }) },
    ]);
    expect(await d.ledger.forPerson(msg.person.employeeId)).toEqual([]);
  });

  it('writes nothing in a dry run, and says what it would change', async () => {
    const msg = moverMessage({ department: 'Sales' }, { dryRun: true });
    const outcome = await runLane(msg, 1, deps());
    expect(outcome).toMatchObject({ kind: 'done', result: { status: 'dry-run' } });
    expect(writes()).toEqual([]);
    const entry = (await deps().audit.forEvent(msg.eventId)).find((e) => e.step === 'DRY_RUN');
    expect(entry?.detail).toMatchObject({ wouldRemove: ['engineering'], wouldAdd: ['sales'] });
  });

  it('writes nothing to a report-only target', async () => {
    const msg = moverMessage({ department: 'Sales' });
    const outcome = await runLane({ ...msg, lane: { ...msg.lane, reportOnly: true } }, 1, deps());
    expect(outcome).toMatchObject({ kind: 'done', result: { status: 'reported' } });
    expect(writes()).toEqual([]);
  });

  it('adds no group to an inactive account, while still removing', async () => {
    const user = target.app.userByName(MOVER);
    if (user) (target.app.users as Map<string, typeof user>).set(user.id, { ...user, active: false });
    await runLane(moverMessage({ department: 'Sales' }), 1, deps());
    expect(memberships()).toEqual(['book-club']);
  });

  it('refuses to act on a message without attributes: nothing is removed', async () => {
    const msg = moverMessage(undefined);
    const outcome = await runLane(msg, 1, deps());
    expect(outcome).toMatchObject({ kind: 'done', result: { status: 'unchanged' } });
    expect(writes()).toEqual([]);
    expect(memberships()).toEqual(['book-club', 'engineering']);
  });

  it('changes nothing at a target that has no entitlement rules (any more)', async () => {
    const outcome = await runLane(
      moverMessage({ department: 'Sales' }),
      1,
      deps({ entitlements: undefined }),
    );
    expect(outcome).toMatchObject({ kind: 'done', result: { status: 'unchanged' } });
    expect(writes()).toEqual([]);
  });

  it('answers no-account when the person has no account there', async () => {
    const msg = moverMessage({ department: 'Sales' });
    const outcome = await runLane(
      { ...msg, lane: { ...msg.lane, matchValue: 'nobody@example.com' } },
      1,
      deps(),
    );
    expect(outcome).toMatchObject({ kind: 'done', result: { status: 'no-account' } });
    expect(await steps(msg.eventId)).toEqual(['NO_ACCOUNT']);
  });

  it('fails a refused write at once, tells the workflow, and leaves the leaver ledger alone', async () => {
    target.proxy.inject(
      {
        kind: 'status',
        status: 403,
        body: JSON.stringify({ status: '403', detail: 'groups are read-only for this token' }),
      },
      { when: (r) => r.method === 'PATCH' },
    );
    const d = deps();
    const msg = moverMessage({ department: 'Sales' });
    const outcome = await runLane(msg, 1, d);
    expect(outcome).toMatchObject({ kind: 'failed' });
    expect(d.callback.failed).toEqual([expect.objectContaining({ taskToken: msg.taskToken })]);
    expect(await steps(msg.eventId)).toContain('FAILED');
    expect(await d.ledger.forPerson(msg.person.employeeId)).toEqual([]);
    expect(memberships()).toEqual(['book-club', 'engineering']);
  });

  it('retries a server error with backoff', async () => {
    target.proxy.inject({ kind: 'status', status: 503 }, { when: (r) => r.method === 'PATCH' });
    const outcome = await runLane(moverMessage({ department: 'Sales' }), 1, deps());
    expect(outcome).toMatchObject({ kind: 'retry' });
  });
});
