import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { DynamoAuditLog } from '../../../lambdas/aws/adapters/dynamo-audit-log.ts';
import { DynamoLeaverLedger } from '../../../lambdas/aws/adapters/dynamo-state.ts';
import { backoffSeconds, type LaneDeps, runLane } from '../../../lambdas/core/lane.ts';
import type { Lane, LaneMessage } from '../../../lambdas/core/messages.ts';
import { type LocalDynamo, startDynalite } from '../../support/dynalite.ts';
import { laneMessage } from '../../support/lane-message.ts';
import { FixedClock } from '../../support/recorders.ts';
import { type ScimTarget, startTarget, TOKEN } from '../../support/scim-target.ts';
import { expectNoSecret } from '../../support/secrets.ts';
import { RecordingTaskCallback } from '../../support/task-callbacks.ts';

let dynamo: LocalDynamo;
let target: ScimTarget;
beforeAll(async () => {
  [dynamo, target] = await Promise.all([startDynalite(), startTarget()]);
});
afterAll(async () => {
  await Promise.all([dynamo.close(), target.close()]);
});
beforeEach(() => target.proxy.reset());

let seq = 0;
function message(userName: string, lane: Partial<Lane> = {}, extra: Partial<LaneMessage> = {}): LaneMessage {
  seq += 1;
  return laneMessage(userName, `lane-evt-${seq}`, lane, extra);
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
    ...overrides,
  } as LaneDeps & { callback: RecordingTaskCallback };
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
    expect(await steps(msg.eventId)).toEqual(['FOUND', 'DEACTIVATED', 'VERIFIED']);
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
    expect(await steps(msg.eventId)).toEqual(['FOUND', 'DELETED', 'VERIFIED']);
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
    expect(entries.map((e) => e.step)).toEqual(['FOUND', 'DEACTIVATED', 'VERIFIED']);
    expect(entries[2]?.detail).toMatchObject({ verified: { deleted: true } });
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
  it('retries a 429 after the Retry-After the target asked for', async () => {
    target.app.seed({ users: [{ userName: 'lane.rl@example.com' }] });
    target.proxy.inject({ kind: 'status', status: 429, retryAfter: '7' });
    const msg = message('lane.rl@example.com');
    const d = deps();
    expect(await runLane(msg, 1, d)).toMatchObject({ kind: 'retry', delaySeconds: 7 });
    expect(d.callback.succeeded).toEqual([]);
    expect(d.callback.failed).toEqual([]);
    const [retry] = await deps().audit.forEvent(msg.eventId);
    expect(retry).toMatchObject({
      step: 'RETRY',
      detail: expect.objectContaining({ status: 429, retryAfter: true }),
    });
    // The next delivery succeeds.
    expect(await runLane(msg, 2, d)).toMatchObject({
      kind: 'done',
      result: { status: 'revoked', attempts: 2 },
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
    expect(await runLane(msg, 1, d)).toMatchObject({ kind: 'failed', toDeadLetter: false });
    const [failed] = await deps().audit.forEvent(msg.eventId);
    expect(failed).toMatchObject({
      step: 'FAILED',
      detail: expect.objectContaining({ status: 403, retryable: false }),
    });
    expect(target.app.userByName('lane.403@example.com')?.active).toBe(true);
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
    expect(await steps(msg.eventId)).toEqual(['FOUND', 'DEACTIVATED', 'VERIFIED', 'REDRIVEN']);
    expect(await d.ledger.forPerson(msg.person.employeeId)).toEqual([
      expect.objectContaining({ outcome: 'revoked' }),
    ]);
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
