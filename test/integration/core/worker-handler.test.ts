import { Logger } from '@aws-lambda-powertools/logger';
import type { Context, SQSEvent, SQSRecord } from 'aws-lambda';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { DynamoAuditLog } from '../../../lambdas/aws/adapters/dynamo-audit-log.ts';
import { DynamoLeaverLedger } from '../../../lambdas/aws/adapters/dynamo-state.ts';
import type { LaneMessage } from '../../../lambdas/core/model/messages.ts';
import type { LaneRequeue, MessageVisibility } from '../../../lambdas/core/revocation/ports.ts';
import {
  createWorkerHandler,
  timeNeededPerRecordMs,
  type WorkerDeps,
} from '../../../lambdas/handlers/worker.ts';
import { type LocalDynamo, startDynalite } from '../../support/dynalite.ts';
import { laneMessage } from '../../support/lane-message.ts';
import {
  FixedClock,
  type RecordingDeadLetterQueue,
  recordingFailureChannels,
} from '../../support/recorders.ts';
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
// A fault a test injected and did not use up must not reach the next test.
beforeEach(() => target.proxy.reset());

class RecordingVisibility implements MessageVisibility {
  readonly delays: [string, number][] = [];
  async delay(receiptHandle: string, seconds: number): Promise<void> {
    this.delays.push([receiptHandle, seconds]);
  }
}

class RecordingRequeue implements LaneRequeue {
  readonly sent: { message: LaneMessage; delaySeconds: number }[] = [];
  async later(message: LaneMessage, delaySeconds: number): Promise<void> {
    this.sent.push({ message, delaySeconds });
  }
}

function record(id: string, body: unknown, receiveCount = 1): SQSRecord {
  return {
    messageId: id,
    receiptHandle: `rh-${id}`,
    body: typeof body === 'string' ? body : JSON.stringify(body),
    attributes: {
      ApproximateReceiveCount: String(receiveCount),
      SentTimestamp: '0',
      SenderId: 'x',
      ApproximateFirstReceiveTimestamp: '0',
    },
    messageAttributes: {},
    md5OfBody: '',
    eventSource: 'aws:sqs',
    eventSourceARN: 'arn:aws:sqs:local:000000000000:app',
    awsRegion: 'local',
  };
}

const context = {
  functionName: 'worker',
  awsRequestId: 'r1',
  getRemainingTimeInMillis: () => 60_000,
} as Context;

function workerDeps(
  visibility: RecordingVisibility,
  maxAttempts = 3,
  overrides: Partial<Omit<WorkerDeps, 'callback' | 'requeue' | 'deadLetters'>> = {},
): WorkerDeps & {
  callback: RecordingTaskCallback;
  requeue: RecordingRequeue;
  deadLetters: RecordingDeadLetterQueue;
} {
  return {
    targetId: 'app',
    scim: target.client(),
    audit: new DynamoAuditLog({ tableName: dynamo.auditTable, client: dynamo.client }),
    ledger: new DynamoLeaverLedger({ tableName: dynamo.stateTable, client: dynamo.client }),
    callback: new RecordingTaskCallback(),
    clock: new FixedClock(new Date('2026-11-28T10:00:01Z')),
    maxAttempts,
    visibility,
    requeue: new RecordingRequeue(),
    logger: new Logger({ logLevel: 'SILENT' }),
    ...recordingFailureChannels(),
    ...overrides,
  };
}

function handler(visibility: RecordingVisibility, maxAttempts = 3) {
  return createWorkerHandler(workerDeps(visibility, maxAttempts));
}

describe('worker handler (SQS batch)', () => {
  it('reports only the records that must come again, delaying each by its Retry-After', async () => {
    target.app.seed({ users: [{ userName: 'wh.ok@example.com' }, { userName: 'wh.rl@example.com' }] });
    target.proxy.inject(
      { kind: 'status', status: 502, retryAfter: '11' },
      { when: (r) => r.url.includes('wh.rl') },
    );
    const visibility = new RecordingVisibility();
    const event: SQSEvent = {
      Records: [
        record('m1', laneMessage('wh.ok@example.com', 'wh-1')),
        record('m2', laneMessage('wh.rl@example.com', 'wh-2')),
      ],
    };
    const response = await handler(visibility)(event, context);
    expect(response.batchItemFailures).toEqual([{ itemIdentifier: 'm2' }]);
    expect(visibility.delays).toEqual([['rh-m2', 11]]);
    expect(target.app.userByName('wh.ok@example.com')?.active).toBe(false);
  });

  it('hands a throttled record back to its queue, delayed, with the attempts it spent, and reports it done', async () => {
    target.app.seed({ users: [{ userName: 'wh.429@example.com' }] });
    // Longer than the client may wait (10 s by default): the lane hands it back.
    target.proxy.inject({ kind: 'status', status: 429, retryAfter: '40' });
    const visibility = new RecordingVisibility();
    const deps = workerDeps(visibility, 3);
    const sent = laneMessage('wh.429@example.com', 'wh-429', {}, { attemptsSpent: 1 });
    // Its third delivery in all (one spent before the hand-back, two receives now): not its last.
    const response = await createWorkerHandler(deps)({ Records: [record('m429', sent, 2)] }, context);
    expect(response.batchItemFailures).toEqual([]);
    expect(visibility.delays).toEqual([]);
    // The copy keeps the task token and counts the attempt that SQS counted before this one.
    expect(deps.requeue.sent).toEqual([{ message: { ...sent, attemptsSpent: 2 }, delaySeconds: 40 }]);
    const [throttled] = await deps.audit.forEvent('wh-429');
    expect(throttled).toMatchObject({
      step: 'THROTTLED',
      detail: expect.objectContaining({ attempt: 3, attemptSpent: false, status: 429, delaySeconds: 40 }),
    });
    expect(deps.callback.failed).toEqual([]);
    expect(target.app.userByName('wh.429@example.com')?.active).toBe(true);
  });

  it('counts the attempts a handed-back message spent: a 503 at its last attempt fails it, parked without them for a full redrive', async () => {
    target.app.seed({ users: [{ userName: 'wh.spent@example.com' }] });
    target.proxy.inject({ kind: 'status', status: 503 }, { times: 5 });
    const visibility = new RecordingVisibility();
    const deps = workerDeps(visibility, 3);
    const sent = laneMessage('wh.spent@example.com', 'wh-spent', {}, { attemptsSpent: 2 });
    const response = await createWorkerHandler(deps)({ Records: [record('ms', sent, 1)] }, context);
    // Parked by the lane itself (SQS would move it with attemptsSpent), so the original is deleted.
    expect(response.batchItemFailures).toEqual([]);
    expect(visibility.delays).toEqual([]);
    const { attemptsSpent: _spent, ...fresh } = sent;
    expect(deps.deadLetters.parked).toEqual([
      { message: fresh, failure: expect.objectContaining({ error: 'ScimRetryableError' }) },
    ]);
    expect(deps.callback.failed).toEqual([expect.objectContaining({ taskToken: 'token-wh-spent' })]);
    expect((await deps.audit.forEvent('wh-spent')).map((e) => [e.step, e.detail?.attempt])).toEqual([
      ['FAILED', 3],
      ['DLQ', 3],
    ]);
  });

  it('makes an exhausted record visible at once so SQS moves it to the DLQ', async () => {
    target.app.seed({ users: [{ userName: 'wh.down@example.com' }] });
    target.proxy.inject({ kind: 'status', status: 503 }, { times: 5 });
    const visibility = new RecordingVisibility();
    const response = await handler(visibility, 3)(
      { Records: [record('m3', laneMessage('wh.down@example.com', 'wh-3'), 3)] },
      context,
    );
    expect(response.batchItemFailures).toEqual([{ itemIdentifier: 'm3' }]);
    expect(visibility.delays).toEqual([['rh-m3', 0]]);
  });

  it('fails an unreadable record (not JSON, or not a lane message) so it ends in the DLQ, not lost', async () => {
    const visibility = new RecordingVisibility();
    const response = await handler(visibility)(
      { Records: [record('bad1', '{not json'), record('bad2', { eventId: 'x' })] },
      context,
    );
    expect(response.batchItemFailures).toEqual([{ itemIdentifier: 'bad1' }, { itemIdentifier: 'bad2' }]);
  });
});

describe('worker handler: the time left in the invocation', () => {
  // A slow target, played without waiting: every request it answers takes 15 s off the
  // invocation's remaining time (Lambda's context.getRemainingTimeInMillis).
  function slowTarget(startMs: number) {
    let remainingMs = startMs;
    const client = target.client(
      {},
      {
        fetch: async (input, init) => {
          remainingMs -= 15_000;
          return fetch(input, init);
        },
      },
    );
    const invocation = { ...context, getRemainingTimeInMillis: () => remainingMs } as Context;
    return { client, invocation };
  }

  it('stops taking records when too little time remains and hands them back unprocessed, audited as DEFERRED', async () => {
    target.app.seed({
      users: [
        { userName: 'wt.first@example.com' },
        { userName: 'wt.second@example.com' },
        { userName: 'wt.third@example.com' },
      ],
    });
    const { client, invocation } = slowTarget(60_000);
    const visibility = new RecordingVisibility();
    const deps = workerDeps(visibility, 3, { scim: client, minRemainingMs: timeNeededPerRecordMs(10_000) });
    const response = await createWorkerHandler(deps)(
      {
        Records: [
          record('t1', laneMessage('wt.first@example.com', 'wt-1')),
          record('t2', laneMessage('wt.second@example.com', 'wt-2')),
          record('t3', laneMessage('wt.third@example.com', 'wt-3')),
        ],
      },
      invocation,
    );
    // The first revocation (find, PATCH, read-back) left 15 s: less than one more needs at worst.
    expect(target.app.userByName('wt.first@example.com')?.active).toBe(false);
    // Handed back at once, sent again with no attempt spent (the originals are deleted), nothing
    // sent to the target for them, no ledger outcome.
    expect(response.batchItemFailures).toEqual([]);
    expect(visibility.delays).toEqual([]);
    expect(deps.requeue.sent).toEqual([
      { message: { ...laneMessage('wt.second@example.com', 'wt-2'), attemptsSpent: 0 }, delaySeconds: 0 },
      { message: { ...laneMessage('wt.third@example.com', 'wt-3'), attemptsSpent: 0 }, delaySeconds: 0 },
    ]);
    expect(target.app.userByName('wt.second@example.com')?.active).toBe(true);
    expect(target.app.userByName('wt.third@example.com')?.active).toBe(true);
    for (const eventId of ['wt-2', 'wt-3']) {
      const entries = await deps.audit.forEvent(eventId);
      expect(entries.map((e) => e.step)).toEqual(['DEFERRED']);
      expect(entries[0]?.detail).toMatchObject({ attempt: 1, remainingMs: 15_000, attemptSpent: false });
      expect(await deps.ledger.forPerson(`E-${eventId}`)).toEqual([]);
    }
    expect(deps.callback.failed).toEqual([]);
  });

  it('always starts the first record of a batch, however little time remains', async () => {
    target.app.seed({ users: [{ userName: 'wt.only@example.com' }] });
    const { client, invocation } = slowTarget(1_000);
    const deps = workerDeps(new RecordingVisibility(), 3, { scim: client });
    const response = await createWorkerHandler(deps)(
      { Records: [record('t4', laneMessage('wt.only@example.com', 'wt-4'))] },
      invocation,
    );
    expect(response.batchItemFailures).toEqual([]);
    expect(target.app.userByName('wt.only@example.com')?.active).toBe(false);
  });

  it('takes last deliveries first, and hands back a record at its last delivery without spending it: nobody tried it', async () => {
    target.app.seed({
      users: [
        { userName: 'wt.fresh@example.com' },
        { userName: 'wt.last1@example.com' },
        { userName: 'wt.last2@example.com' },
      ],
    });
    const { client, invocation } = slowTarget(60_000);
    const visibility = new RecordingVisibility();
    const deps = workerDeps(visibility, 3, { scim: client });
    const response = await createWorkerHandler(deps)(
      {
        Records: [
          record('t5', laneMessage('wt.fresh@example.com', 'wt-5'), 1),
          record('t6', laneMessage('wt.last1@example.com', 'wt-6'), 3),
          record('t7', laneMessage('wt.last2@example.com', 'wt-7'), 3),
        ],
      },
      invocation,
    );
    // t6 (a last delivery) went first; t7, also at its last delivery, could not start in time.
    expect(target.app.userByName('wt.last1@example.com')?.active).toBe(false);
    expect(target.app.userByName('wt.last2@example.com')?.active).toBe(true);
    expect(target.app.userByName('wt.fresh@example.com')?.active).toBe(true);
    // Neither failed nor dead-lettered: both sent again with the attempts they had spent.
    expect(response.batchItemFailures).toEqual([]);
    expect(deps.callback.failed).toEqual([]);
    expect(deps.requeue.sent).toEqual([
      { message: { ...laneMessage('wt.last2@example.com', 'wt-7'), attemptsSpent: 2 }, delaySeconds: 0 },
      { message: { ...laneMessage('wt.fresh@example.com', 'wt-5'), attemptsSpent: 0 }, delaySeconds: 0 },
    ]);
    for (const eventId of ['wt-7', 'wt-5']) {
      expect((await deps.audit.forEvent(eventId)).map((e) => e.step)).toEqual(['DEFERRED']);
      expect(await deps.ledger.forPerson(`E-${eventId}`)).toEqual([]);
    }
    expect(visibility.delays).toEqual([]);
  });

  it('refuses a misrouted record it has no time left for as misrouted, touching no ledger of this target', async () => {
    const { client, invocation } = slowTarget(60_000);
    target.app.seed({ users: [{ userName: 'wt.before@example.com' }] });
    const deps = workerDeps(new RecordingVisibility(), 3, { scim: client });
    await createWorkerHandler(deps)(
      {
        Records: [
          record('t8', laneMessage('wt.before@example.com', 'wt-8'), 3),
          record('t9', laneMessage('wt.other@example.com', 'wt-9', { targetId: 'other' }), 3),
        ],
      },
      invocation,
    );
    expect(deps.callback.failed).toEqual([expect.objectContaining({ error: 'LaneMisroutedError' })]);
    expect(await deps.ledger.forPerson('E-wt-9')).toEqual([]);
  });
});
