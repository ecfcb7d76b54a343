import { DeleteMessageCommand, ReceiveMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { DynamoAuditLog } from '../../../lambdas/aws/adapters/dynamo-audit-log.ts';
import { DynamoLeaverLedger } from '../../../lambdas/aws/adapters/dynamo-state.ts';
import { SqsDeadLetterQueue } from '../../../lambdas/aws/adapters/sqs-dead-letter-queue.ts';
import type { Lane, LaneMessage, LaneResult } from '../../../lambdas/core/model/messages.ts';
import { Notifier } from '../../../lambdas/core/model/ports.ts';
import { type LaneDeps, REMEDIATION_WAIT_SECONDS, runLane } from '../../../lambdas/core/revocation/lane.ts';
import { backoffSeconds } from '../../../lambdas/core/revocation/lane-failure.ts';
import { summarize } from '../../../lambdas/core/revocation/summarize.ts';
import { type LocalDynamo, startDynalite } from '../../support/dynalite.ts';
import { type LocalSqs, startLocalSqs } from '../../support/fauxqs.ts';
import { laneMessage } from '../../support/lane-message.ts';
import { FixedClock, RecordingNotifier } from '../../support/recorders.ts';
import { type ScimTarget, startTarget, TOKEN } from '../../support/scim-target.ts';
import { expectNoSecret } from '../../support/secrets.ts';
import { RecordingTaskCallback } from '../../support/task-callbacks.ts';

let dynamo: LocalDynamo;
let target: ScimTarget;
let local: LocalSqs;
let sqs: SQSClient;
let dlqUrl: string;
beforeAll(async () => {
  [dynamo, target, local] = await Promise.all([startDynalite(), startTarget(), startLocalSqs()]);
  sqs = local.sqs;
  dlqUrl = local.fauxqs.createQueue('app-dlq').queueUrl;
});
afterAll(async () => {
  await Promise.all([dynamo.close(), target.close(), local.close()]);
});
beforeEach(async () => {
  target.proxy.reset();
  await deadLetters(); // empties the DLQ
});

/** Takes every message out of the target's DLQ (fauxqs), with its attributes. */
async function deadLetters() {
  const taken = [];
  for (;;) {
    const { Messages = [] } = await sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: dlqUrl,
        MaxNumberOfMessages: 10,
        WaitTimeSeconds: 0,
        MessageAttributeNames: ['All'],
      }),
    );
    if (Messages.length === 0) return taken;
    for (const m of Messages) {
      taken.push({ body: JSON.parse(m.Body ?? '') as LaneMessage, attributes: m.MessageAttributes ?? {} });
      await sqs.send(new DeleteMessageCommand({ QueueUrl: dlqUrl, ReceiptHandle: m.ReceiptHandle }));
    }
  }
}

let seq = 0;
function message(userName: string, lane: Partial<Lane> = {}, extra: Partial<LaneMessage> = {}): LaneMessage {
  seq += 1;
  return laneMessage(userName, `lane-evt-${seq}`, lane, extra);
}

type TestDeps = LaneDeps & {
  callback: RecordingTaskCallback;
  alerts: RecordingNotifier;
  ledger: DynamoLeaverLedger;
};

function deps(overrides: Partial<LaneDeps> = {}): TestDeps {
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
    ...overrides,
  } as TestDeps;
}

async function steps(eventId: string): Promise<string[]> {
  return (await deps().audit.forEvent(eventId)).map((e) => e.step);
}

describe('lane: revoke', () => {
  it('deactivates, verifies, audits each step, records the ledger and tells the workflow', async () => {
    target.app.seed({ users: [{ userName: 'lane.ada@example.com' }, { userName: 'lane.ada2@example.com' }] });
    const d = deps();
    const msg = message('lane.ada@example.com');
    const outcome = await runLane(msg, 1, d);
    expect(outcome).toMatchObject({
      kind: 'done',
      redriven: false,
      result: { status: 'revoked', attempts: 1 },
    });
    expect(target.app.userByName('lane.ada@example.com')?.active).toBe(false);
    expect(target.app.userByName('lane.ada2@example.com')?.active).toBe(true);
    expect(await steps(msg.eventId)).toEqual(['FOUND', 'WRITE_SENT', 'DEACTIVATED', 'VERIFIED']);
    expect(d.callback.succeeded).toEqual([
      { taskToken: msg.taskToken, output: expect.objectContaining({ status: 'revoked' }) },
    ]);
    expect(await d.ledger.forPerson(msg.person.employeeId)).toEqual([
      expect.objectContaining({ targetId: 'app', outcome: 'revoked', userName: 'lane.ada@example.com' }),
    ]);
  });

  it('deletes when the lane says so, and verifies the account is gone', async () => {
    target.app.seed({ users: [{ userName: 'lane.del@example.com' }] });
    const msg = message('lane.del@example.com', { action: 'delete' });
    const outcome = await runLane(msg, 1, deps());
    expect(outcome).toMatchObject({ kind: 'done', result: { status: 'revoked' } });
    expect(target.app.userByName('lane.del@example.com')).toBeUndefined();
    expect(await steps(msg.eventId)).toEqual(['FOUND', 'WRITE_SENT', 'DELETED', 'VERIFIED']);
  });

  it('audits the write it made, not what the read-back looked like: a PATCH read back as gone is DEACTIVATED', async () => {
    // Some servers (Atlassian) answer 404 for a deactivated user: verified, but nothing was deleted.
    target.app.seed({ users: [{ userName: 'lane.gone@example.com' }] });
    target.proxy.inject(
      { kind: 'status', status: 404 },
      { when: (r) => r.method === 'GET' && r.url.includes('/Users/') },
    );
    const msg = message('lane.gone@example.com');
    expect(await runLane(msg, 1, deps())).toMatchObject({ kind: 'done', result: { status: 'revoked' } });
    expect(target.proxy.requests.map((r) => r.method)).not.toContain('DELETE');
    const entries = await deps().audit.forEvent(msg.eventId);
    expect(entries.map((e) => e.step)).toEqual(['FOUND', 'WRITE_SENT', 'DEACTIVATED', 'VERIFIED']);
    expect(entries[3]?.detail).toMatchObject({ verified: { deleted: true } });
  });

  it('reports no account as a success with nothing written', async () => {
    const msg = message('nobody@example.com');
    const d = deps();
    expect(await runLane(msg, 1, d)).toMatchObject({ kind: 'done', result: { status: 'no-account' } });
    expect(await steps(msg.eventId)).toEqual(['NO_ACCOUNT']);
    expect(target.proxy.requests.every((r) => r.method === 'GET')).toBe(true);
  });

  it('in a dry run finds the account but never writes', async () => {
    target.app.seed({ users: [{ userName: 'lane.dry@example.com' }] });
    const msg = message('lane.dry@example.com', {}, { dryRun: true });
    expect(await runLane(msg, 1, deps())).toMatchObject({ kind: 'done', result: { status: 'dry-run' } });
    expect(target.app.userByName('lane.dry@example.com')?.active).toBe(true);
    expect(target.proxy.requests.every((r) => r.method === 'GET')).toBe(true);
    expect(await steps(msg.eventId)).toEqual(['FOUND', 'DRY_RUN']);
  });

  it('never writes to a report-only target, and records what it found in the ledger', async () => {
    target.app.seed({ users: [{ userName: 'lane.ro@example.com' }] });
    const d = deps();
    const msg = message('lane.ro@example.com', { reportOnly: true });
    expect(await runLane(msg, 1, d)).toMatchObject({ kind: 'done', result: { status: 'reported' } });
    expect(target.app.userByName('lane.ro@example.com')?.active).toBe(true);
    expect(target.proxy.requests.every((r) => r.method === 'GET')).toBe(true);
    expect(await d.ledger.forPerson(msg.person.employeeId)).toEqual([
      expect.objectContaining({ outcome: 'reported' }),
    ]);
  });
});

describe('lane: failures', () => {
  it('retries a 5xx after the Retry-After the target asked for, spending an attempt', async () => {
    target.app.seed({ users: [{ userName: 'lane.rl@example.com' }] });
    target.proxy.inject({ kind: 'status', status: 502, retryAfter: '7' });
    const msg = message('lane.rl@example.com');
    const d = deps();
    expect(await runLane(msg, 1, d)).toMatchObject({ kind: 'retry', delaySeconds: 7 });
    expect(d.callback.succeeded).toEqual([]);
    expect(d.callback.failed).toEqual([]);
    const [retry] = await deps().audit.forEvent(msg.eventId);
    expect(retry).toMatchObject({
      step: 'RETRY',
      detail: expect.objectContaining({ status: 502, retryAfter: true }),
    });
    // The next delivery succeeds.
    expect(await runLane(msg, 2, d)).toMatchObject({
      kind: 'done',
      result: { status: 'revoked', attempts: 2 },
    });
  });

  it('hands a 429 it may not wait out back, throttled, at any attempt: never RETRY, FAILED or DLQ', async () => {
    target.app.seed({ users: [{ userName: 'lane.429@example.com' }] });
    target.proxy.inject({ kind: 'status', status: 429, retryAfter: '7' }, { times: 5 });
    const msg = message('lane.429@example.com');
    const d = deps({ scim: target.client({}, { throttleWaitMaxMs: 0 }) });
    // At the last attempt too: a rate limit spends none.
    for (const attempt of [1, 3, 3, 3, 3]) {
      expect(await runLane(msg, attempt, d)).toMatchObject({ kind: 'throttled', delaySeconds: 7 });
    }
    expect(await steps(msg.eventId)).toEqual(Array(5).fill('THROTTLED'));
    const [first] = await deps().audit.forEvent(msg.eventId);
    expect(first?.detail).toMatchObject({
      attempt: 1,
      attemptSpent: false,
      attemptsSpent: 0,
      status: 429,
      retryAfterMs: 7_000,
      delaySeconds: 7,
      request: expect.stringMatching(/^GET \/Users\?filter=/),
    });
    expect(d.callback.failed).toEqual([]);
    expect(await d.ledger.forPerson(msg.person.employeeId)).toEqual([]);
    expect(await deadLetters()).toEqual([]);
    // Once the target lets it through, the revocation completes, counting only the attempt it is on.
    expect(await runLane(msg, 3, d)).toMatchObject({
      kind: 'done',
      result: { status: 'revoked', attempts: 3 },
    });
  });

  it('hands back at least 1 s later, and at most 15 minutes, whatever the target asks', async () => {
    target.app.seed({ users: [{ userName: 'lane.429b@example.com' }] });
    const d = deps({ scim: target.client({}, { throttleWaitMaxMs: 0 }) });
    target.proxy.inject({ kind: 'status', status: 429, retryAfter: '0' });
    expect(await runLane(message('lane.429b@example.com'), 1, d)).toMatchObject({
      kind: 'throttled',
      delaySeconds: 1,
    });
    target.proxy.inject({ kind: 'status', status: 429, retryAfter: '86400' });
    expect(await runLane(message('lane.429b@example.com'), 1, d)).toMatchObject({
      kind: 'throttled',
      delaySeconds: 900,
    });
  });

  it('backs off on a 503 without Retry-After', async () => {
    target.app.seed({ users: [{ userName: 'lane.503@example.com' }] });
    target.proxy.inject({ kind: 'status', status: 503 }, { times: 10 });
    const outcome = await runLane(message('lane.503@example.com'), 2, deps());
    expect(outcome.kind).toBe('retry');
    expect(outcome.kind === 'retry' && outcome.delaySeconds).toBeGreaterThanOrEqual(8);
  });

  it('on the last attempt tells the workflow first, then sends the message to the DLQ', async () => {
    target.app.seed({ users: [{ userName: 'lane.down@example.com' }] });
    target.proxy.inject({ kind: 'status', status: 500 }, { times: 10 });
    const d = deps();
    const msg = message('lane.down@example.com');
    const outcome = await runLane(msg, 3, d);
    expect(outcome).toMatchObject({ kind: 'failed', toDeadLetter: true, error: 'ScimRetryableError' });
    expect(d.callback.failed).toEqual([
      expect.objectContaining({ taskToken: msg.taskToken, error: 'ScimRetryableError' }),
    ]);
    expect(await steps(msg.eventId)).toEqual(['FAILED', 'DLQ']);
    expect(await d.ledger.forPerson(msg.person.employeeId)).toEqual([
      expect.objectContaining({ outcome: 'failed' }),
    ]);
  });

  it('fails a permanent error at once, without retry or DLQ, with the status in the audit log', async () => {
    target.app.seed({ users: [{ userName: 'lane.403@example.com' }] });
    target.proxy.inject(
      {
        kind: 'status',
        status: 403,
        body: '{"schemas":["urn:ietf:params:scim:api:messages:2.0:Error"],"status":"403","detail":"forbidden"}',
      },
      { when: (r) => r.method === 'PATCH' },
    );
    const d = deps();
    const msg = message('lane.403@example.com');
    expect(await runLane(msg, 1, d)).toMatchObject({
      kind: 'failed',
      toDeadLetter: false,
      parked: false,
      unreported: false,
    });
    const entries = await deps().audit.forEvent(msg.eventId);
    expect(entries.map((e) => e.step)).toEqual(['FOUND', 'WRITE_SENT', 'FAILED']);
    expect(entries[2]).toMatchObject({
      step: 'FAILED',
      detail: expect.objectContaining({ status: 403, retryable: false }),
    });
    expect(target.app.userByName('lane.403@example.com')?.active).toBe(true);
    // The waiting workflow was told: it fails the execution, which alarms. Nothing parked twice.
    expect(d.callback.failed).toEqual([expect.objectContaining({ taskToken: msg.taskToken })]);
    expect(d.alerts.sent).toEqual([]);
    expect(await deadLetters()).toEqual([]);
  });

  it('refuses to write when two accounts match exactly, and fails as ambiguous', async () => {
    target.app.seed({
      users: [
        { userName: 'lane.twin1@example.com', externalId: 'TWIN' },
        { userName: 'lane.twin2@example.com', externalId: 'TWIN' },
      ],
    });
    const d = deps();
    const msg = message('x', { matchAttribute: 'externalId', matchValue: 'TWIN' });
    expect(await runLane(msg, 1, d)).toMatchObject({
      kind: 'failed',
      toDeadLetter: false,
      error: 'ScimAmbiguousMatchError',
    });
    expect(target.app.userByName('lane.twin1@example.com')?.active).toBe(true);
    expect(target.app.userByName('lane.twin2@example.com')?.active).toBe(true);
  });

  it('refuses a message addressed to another target: writes nothing, records no ledger, tells the workflow', async () => {
    // Target "other" matches by externalId and deletes; this worker's target must not act on its message.
    target.app.seed({ users: [{ userName: 'lane.misrouted@example.com', externalId: 'X-77' }] });
    const d = deps();
    const msg = message('lane.misrouted@example.com', {
      targetId: 'other',
      action: 'delete',
      matchAttribute: 'externalId',
      matchValue: 'X-77',
    });
    expect(await runLane(msg, 1, d)).toMatchObject({
      kind: 'failed',
      toDeadLetter: false,
      error: 'LaneMisroutedError',
    });
    expect(target.app.userByName('lane.misrouted@example.com')?.active).toBe(true);
    expect(target.proxy.requests).toEqual([]);
    expect(d.callback.failed).toEqual([
      expect.objectContaining({ taskToken: msg.taskToken, error: 'LaneMisroutedError' }),
    ]);
    expect(d.callback.succeeded).toEqual([]);
    const [failed, ...rest] = await d.audit.forEvent(msg.eventId);
    expect(rest).toEqual([]);
    expect(failed).toMatchObject({
      step: 'FAILED',
      targetId: 'app',
      detail: expect.objectContaining({ retryable: false, messageTargetId: 'other' }),
    });
    expect(await d.ledger.forPerson(msg.person.employeeId)).toEqual([]);
  });

  it('refuses to write when the lane names an account id and the match finds another account', async () => {
    // The reconciler saw account A under this userName; A was deleted and the name given to someone new.
    target.app.seed({ users: [{ userName: 'lane.reused@example.com' }] });
    const d = deps();
    const msg = message('lane.reused@example.com', { accountId: 'the-account-the-reconciler-saw' });
    expect(await runLane(msg, 1, d)).toMatchObject({
      kind: 'failed',
      toDeadLetter: false,
      error: 'ScimAccountMismatchError',
    });
    expect(target.app.userByName('lane.reused@example.com')?.active).toBe(true);
    expect(target.proxy.requests.every((r) => r.method === 'GET')).toBe(true);
  });

  it('writes when the named account id is the one the match finds', async () => {
    target.app.seed({ users: [{ userName: 'lane.pinned@example.com' }] });
    const id = target.app.userByName('lane.pinned@example.com')?.id ?? '';
    const msg = message('lane.pinned@example.com', { accountId: id });
    expect(await runLane(msg, 1, deps())).toMatchObject({
      kind: 'done',
      result: { status: 'revoked', accountId: id },
    });
    expect(target.app.userByName('lane.pinned@example.com')?.active).toBe(false);
  });

  it('fails a rejected credential after one re-read, and never puts the token in the audit log', async () => {
    target.app.seed({ users: [{ userName: 'lane.401@example.com' }] });
    target.proxy.inject({ kind: 'status', status: 401, body: `bad token ${TOKEN}` }, { times: 10 });
    const d = deps();
    const msg = message('lane.401@example.com');
    expect(await runLane(msg, 1, d)).toMatchObject({
      kind: 'failed',
      error: 'ScimCredentialError',
      toDeadLetter: false,
    });
    expectNoSecret(await d.audit.forEvent(msg.eventId), [TOKEN]);
    expectNoSecret(d.callback.failed, [TOKEN]);
  });
});

describe('lane: redrive', () => {
  it('completes and records a message redriven after its execution ended', async () => {
    target.app.seed({ users: [{ userName: 'lane.redrive@example.com' }] });
    const d = deps();
    const msg = message('lane.redrive@example.com');
    d.callback.ended.add(msg.taskToken ?? '');
    expect(await runLane(msg, 1, d)).toMatchObject({
      kind: 'done',
      redriven: true,
      result: { status: 'revoked' },
    });
    expect(target.app.userByName('lane.redrive@example.com')?.active).toBe(false);
    expect(await steps(msg.eventId)).toEqual(['FOUND', 'WRITE_SENT', 'DEACTIVATED', 'VERIFIED', 'REDRIVEN']);
    expect(await d.ledger.forPerson(msg.person.employeeId)).toEqual([
      expect.objectContaining({ outcome: 'revoked' }),
    ]);
  });
});

describe('lane: reconciler remediations go behind leavers', () => {
  it('hands a remediation back, throttled, sending nothing, while the budget has no spare room', async () => {
    target.app.seed({ users: [{ userName: 'lane.fix@example.com' }] });
    let spare = false;
    const d = deps({ spare: async () => spare });
    const fix = message('lane.fix@example.com', {}, { taskToken: undefined });
    expect(await runLane(fix, 1, d)).toEqual({
      kind: 'throttled',
      delaySeconds: REMEDIATION_WAIT_SECONDS,
      reason: expect.stringMatching(/no spare rate budget/),
    });
    expect(target.proxy.requests).toEqual([]);
    const [handedBack] = await deps().audit.forEvent(fix.eventId);
    expect(handedBack).toMatchObject({
      step: 'THROTTLED',
      detail: expect.objectContaining({ attemptSpent: false, delaySeconds: REMEDIATION_WAIT_SECONDS }),
    });
    spare = true;
    expect(await runLane(fix, 1, d)).toMatchObject({ kind: 'done', result: { status: 'revoked' } });
  });

  it("never asks for spare room for a leaver's message: a workflow waits for it", async () => {
    target.app.seed({ users: [{ userName: 'lane.leaver@example.com' }] });
    let asked = 0;
    const d = deps({
      spare: async () => {
        asked += 1;
        return false;
      },
    });
    expect(await runLane(message('lane.leaver@example.com'), 1, d)).toMatchObject({ kind: 'done' });
    expect(asked).toBe(0);
  });

  it('never asks for spare room for a held revocation an operator released: it is a leaver, not a remediation', async () => {
    target.app.seed({ users: [{ userName: 'lane.released@example.com' }] });
    let asked = 0;
    const d = deps({
      spare: async () => {
        asked += 1;
        return false;
      },
    });
    const released = message(
      'lane.released@example.com',
      {},
      { taskToken: undefined, approvedBy: 'ops@example.com' },
    );
    expect(await runLane(released, 1, d)).toMatchObject({ kind: 'done', result: { status: 'revoked' } });
    expect(asked).toBe(0);
  });
});

describe('lane: a failure no waiting workflow reports', () => {
  it('parks a redriven message that fails permanently back in the DLQ with its reason, and alerts naming the leaver and the retry', async () => {
    // Issue 10: the target came back with a new token, but the redrive ran before the secret was updated.
    target.app.seed({ users: [{ userName: 'lane.stale@example.com' }] });
    target.proxy.inject({ kind: 'status', status: 401, body: `bad token ${TOKEN}` }, { times: 10 });
    const d = deps();
    const msg = message('lane.stale@example.com');
    d.callback.ended.add(msg.taskToken ?? '');
    expect(await runLane(msg, 1, d)).toMatchObject({
      kind: 'failed',
      error: 'ScimCredentialError',
      toDeadLetter: false,
      parked: true,
      unreported: true,
    });
    const [parked, ...more] = await deadLetters();
    expect(more).toEqual([]);
    // The body is the message as a redrive sends it back; the attributes say why it is there.
    expect(parked?.body).toEqual(msg);
    expect(parked?.attributes.failureError?.StringValue).toBe('ScimCredentialError');
    expect(parked?.attributes.failureCause?.StringValue).toContain('401');
    expect(d.alerts.sent).toEqual([
      expect.objectContaining({
        subject: `ALARM: revocation of ${msg.person.employeeId} at app failed; no workflow reports it`,
        targetId: 'app',
      }),
    ]);
    const alert = d.alerts.sent[0]?.message ?? '';
    expect(alert).toContain(`Leaver ${msg.person.employeeId} (event ${msg.eventId})`);
    expect(alert).toContain('ScimCredentialError: server answered 401 twice');
    expect(alert).toContain('retry: npm run scimitar -- redrive app');
    expect(alert).toContain('already ended');
    expectNoSecret([d.alerts.sent, parked], [TOKEN]);
    expect(await steps(msg.eventId)).toEqual(['FAILED', 'DLQ']);
    expect(await d.ledger.forPerson(msg.person.employeeId)).toEqual([
      expect.objectContaining({ outcome: 'failed' }),
    ]);
    expect(target.app.userByName('lane.stale@example.com')?.active).toBe(true);

    // Once the credential is right, the parked message redriven completes the revocation.
    target.proxy.reset();
    expect(await runLane(parked?.body as LaneMessage, 1, d)).toMatchObject({
      kind: 'done',
      redriven: true,
      result: { status: 'revoked' },
    });
    expect(target.app.userByName('lane.stale@example.com')?.active).toBe(false);
  });

  it('parks a reconciler remediation (no task token) that fails permanently, and alerts', async () => {
    target.app.seed({ users: [{ userName: 'lane.remedy@example.com' }] });
    target.proxy.inject(
      { kind: 'status', status: 403, body: '{"status":"403","detail":"forbidden"}' },
      { when: (r) => r.method === 'PATCH' },
    );
    const d = deps();
    const { taskToken: _none, ...remediation } = message('lane.remedy@example.com');
    expect(await runLane(remediation, 1, d)).toMatchObject({
      kind: 'failed',
      parked: true,
      unreported: true,
    });
    expect((await deadLetters()).map((m) => m.body)).toEqual([remediation]);
    expect(d.alerts.sent[0]?.message).toContain('reconciler remediation');
    expect(d.callback.failed).toEqual([]);
  });

  it('alerts when a redriven message exhausts its attempts: SQS dead-letters it, and no execution reports it', async () => {
    target.app.seed({ users: [{ userName: 'lane.again@example.com' }] });
    target.proxy.inject({ kind: 'status', status: 503 }, { times: 10 });
    const d = deps();
    const msg = message('lane.again@example.com');
    d.callback.ended.add(msg.taskToken ?? '');
    expect(await runLane(msg, 3, d)).toMatchObject({
      kind: 'failed',
      toDeadLetter: true,
      parked: false,
      unreported: true,
    });
    // The redrive policy moves it (the worker makes it visible at once): not parked a second time.
    expect(await deadLetters()).toEqual([]);
    expect(d.alerts.sent.map((a) => a.subject)).toEqual([
      `ALARM: revocation of ${msg.person.employeeId} at app failed; no workflow reports it`,
    ]);
    expect(d.alerts.sent[0]?.message).toContain('failed 3 attempts');
  });

  it('still parks the message when the alert cannot be sent, and says why', async () => {
    class BrokenNotifier extends Notifier {
      async notify(): Promise<void> {
        throw new TypeError('topic unreachable');
      }
    }
    target.app.seed({ users: [{ userName: 'lane.quiet@example.com' }] });
    target.proxy.inject({ kind: 'status', status: 401 }, { times: 10 });
    const d = deps({ alerts: new BrokenNotifier() });
    const { taskToken: _none, ...remediation } = message('lane.quiet@example.com');
    expect(await runLane(remediation, 1, d)).toMatchObject({
      kind: 'failed',
      parked: true,
      alertError: 'TypeError',
    });
    expect(await deadLetters()).toHaveLength(1);
  });
});

describe('lane: evidence when an answer is lost', () => {
  function planOf(msg: LaneMessage) {
    return {
      eventId: msg.eventId,
      personId: msg.person.employeeId,
      receivedAt: msg.receivedAt,
      effectiveAt: msg.receivedAt,
      dryRun: false,
      lanes: [msg.lane],
      settled: [],
    };
  }

  it('records a write held past the client timeout, then applied, as revoked (answer lost, verified by read-back)', async () => {
    target.app.seed({ users: [{ userName: 'lane.held@example.com' }] });
    const id = target.app.userByName('lane.held@example.com')?.id ?? '';
    // The server applies the PATCH at once and holds its answer past the client's 300 ms timeout.
    target.proxy.inject({ kind: 'slow', delayMs: 1_500 }, { when: (r) => r.method === 'PATCH' });
    const d = deps({ scim: target.client({}, { timeoutMs: 300 }) });
    const msg = message('lane.held@example.com');
    expect(await runLane(msg, 1, d)).toMatchObject({ kind: 'retry' });
    expect(target.app.userByName('lane.held@example.com')?.active).toBe(false);

    const outcome = await runLane(msg, 2, d);
    expect(outcome).toMatchObject({
      kind: 'done',
      result: { status: 'revoked', accountId: id, verifiedAt: '2026-11-28T10:00:02.000Z', attempts: 2 },
    });
    const entries = await d.audit.forEvent(msg.eventId);
    expect(entries.map((e) => `${e.step}:${e.detail?.attempt}`)).toEqual([
      'FOUND:1',
      'WRITE_SENT:1',
      'RETRY:1',
      'FOUND:2',
      'WRITE_SENT:2',
      'DEACTIVATED:2',
      'VERIFIED:2',
    ]);
    const answerLost = { attempt: 1, at: '2026-11-28T10:00:02.000Z', request: `PATCH /Users/${id}` };
    expect(entries[5]?.detail).toMatchObject({ accountId: id, answerLost });
    expect(entries[6]?.detail).toMatchObject({ outcome: 'revoked', verified: { active: false }, answerLost });
    expect(entries.some((e) => e.step === 'NO_ACCOUNT')).toBe(false);
    // Ledger and summary say the same: revoked, with a latency.
    expect(await d.ledger.forPerson(msg.person.employeeId)).toEqual([
      expect.objectContaining({ outcome: 'revoked', accountId: id, userName: 'lane.held@example.com' }),
    ]);
    const result = (outcome as { result: LaneResult }).result;
    const { summary } = await summarize(
      { plan: planOf(msg), results: [result] },
      { audit: d.audit, ledger: d.ledger, alerts: new RecordingNotifier(), clock: d.clock },
    );
    expect(summary).toMatchObject({
      outcome: 'COMPLETED',
      targets: [{ targetId: 'app', status: 'revoked', latencyMs: 2_000 }],
    });
  });

  it('records a delete whose read-back was lost as revoked, reading the account back by its id', async () => {
    target.app.seed({ users: [{ userName: 'lane.lostread@example.com' }] });
    const id = target.app.userByName('lane.lostread@example.com')?.id ?? '';
    // DELETE applied and answered; the read-back's connection is reset.
    target.proxy.inject(
      { kind: 'reset' },
      { when: (r) => r.method === 'GET' && r.url.endsWith(`/Users/${id}`) },
    );
    const d = deps();
    const msg = message('lane.lostread@example.com', { action: 'delete' });
    expect(await runLane(msg, 1, d)).toMatchObject({ kind: 'retry' });
    expect(target.app.userByName('lane.lostread@example.com')).toBeUndefined();

    // The retry's find sees no account: the earlier DELETE was ours, and a read by id proves it gone.
    const outcome = await runLane(msg, 2, d);
    expect(outcome).toMatchObject({ kind: 'done', result: { status: 'revoked', accountId: id } });
    const entries = await d.audit.forEvent(msg.eventId);
    expect(entries.map((e) => e.step)).toEqual(['FOUND', 'WRITE_SENT', 'RETRY', 'DELETED', 'VERIFIED']);
    const verified = entries[4]?.detail as { requests: { method: string; path: string; status: number }[] };
    expect(verified).toMatchObject({ outcome: 'revoked', verified: { deleted: true } });
    expect(verified.requests.at(-1)).toMatchObject({ method: 'GET', path: `/Users/${id}`, status: 404 });
    expect(await d.ledger.forPerson(msg.person.employeeId)).toEqual([
      expect.objectContaining({ outcome: 'revoked', accountId: id }),
    ]);
  });

  it('says already revoked, not revoked, when the account was inactive before scimitar first wrote', async () => {
    target.app.seed({ users: [{ userName: 'lane.wasoff@example.com', active: false }] });
    const d = deps();
    const msg = message('lane.wasoff@example.com');
    for (const attempt of [1, 2]) {
      expect(await runLane(msg, attempt, d)).toMatchObject({
        kind: 'done',
        result: { status: 'already-revoked' },
      });
    }
    const verified = (await d.audit.forEvent(msg.eventId)).filter((e) => e.step === 'VERIFIED');
    expect(verified.map((e) => e.detail?.outcome)).toEqual(['already-revoked', 'already-revoked']);
    expect(verified.every((e) => e.detail?.answerLost === undefined)).toBe(true);
  });

  it('refuses to send the write when it cannot be noted first', async () => {
    target.app.seed({ users: [{ userName: 'lane.unnoted@example.com' }] });
    class UnwritableLedger extends DynamoLeaverLedger {
      override async recordWriteSent(): Promise<void> {
        throw new Error('state table throttled');
      }
    }
    const d = deps({ ledger: new UnwritableLedger({ tableName: dynamo.stateTable, client: dynamo.client }) });
    expect(await runLane(message('lane.unnoted@example.com'), 1, d)).toMatchObject({ kind: 'retry' });
    expect(target.app.userByName('lane.unnoted@example.com')?.active).toBe(true);
    expect(target.proxy.requests.map((r) => r.method)).not.toContain('PATCH');
  });
});

describe('lane: backoff', () => {
  it('doubles from 5 s with jitter and caps at 15 minutes', () => {
    expect(backoffSeconds(1, () => 0.5)).toBe(5);
    expect(backoffSeconds(3, () => 0.5)).toBe(20);
    expect(backoffSeconds(30, () => 1)).toBe(900);
    expect(backoffSeconds(30, () => 0)).toBe(720);
  });
});
