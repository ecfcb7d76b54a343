// The operator function's handler, wired as on Lambda (lambdas/aws/wiring/operator.ts) against
// dynalite (audit and state tables) and fauxqs (lane queues); Step Functions and EventBridge
// Scheduler, which have no local emulator here, are the in-memory ports.
import { CreateQueueCommand, ReceiveMessageCommand } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { DynamoAuditLog } from '../../../lambdas/aws/adapters/dynamo-audit-log.ts';
import { DynamoPendingTerminations } from '../../../lambdas/aws/adapters/dynamo-pending-terminations.ts';
import { DynamoRevocationBudget } from '../../../lambdas/aws/adapters/dynamo-state.ts';
import { laneQueueName } from '../../../lambdas/aws/target-env.ts';
import { wireOperator } from '../../../lambdas/aws/wiring/operator.ts';
import { auditEntry, onceAuditEntry } from '../../../lambdas/core/model/audit.ts';
import { parseConfig } from '../../../lambdas/core/model/config.ts';
import { ExecutionHistory, type ExecutionStatus } from '../../../lambdas/core/operator/ports.ts';
import { windowStart } from '../../../lambdas/core/revocation/blast-radius.ts';
import type { OperatorAnswer } from '../../../lambdas/handlers/operator.ts';
import sample from '../../../scimitar.config.ts';
import { type LocalDynamo, startDynalite } from '../../support/dynalite.ts';
import { InMemoryWorkflowStarter } from '../../support/fakes.ts';
import { type LocalSqs, startLocalSqs } from '../../support/fauxqs.ts';
import { laneMessage } from '../../support/lane-message.ts';
import { InMemoryTerminationScheduler } from '../../support/lifecycle.ts';
import { FixedClock } from '../../support/recorders.ts';

const NOW = new Date('2026-12-02T10:00:00Z');
const config = parseConfig(sample);
const BY = 'alice (arn:aws:iam::123456789012:user/alice)';

/** Execution statuses the test sets, by name: the workflow's executions as Step Functions reports them. */
class SetExecutions extends ExecutionHistory {
  readonly statuses = new Map<string, ExecutionStatus>();
  async status(name: string) {
    return this.statuses.get(name);
  }
}

let dynamo: LocalDynamo;
let sqs: LocalSqs;
let queueUrlPrefix: string;
beforeAll(async () => {
  [dynamo, sqs] = await Promise.all([startDynalite(), startLocalSqs()]);
  const { QueueUrl } = await sqs.sqs.send(
    new CreateQueueCommand({ QueueName: laneQueueName(config.stackName, 'code') }),
  );
  queueUrlPrefix = (QueueUrl ?? '').slice(0, (QueueUrl ?? '').lastIndexOf('/') + 1);
});
afterAll(async () => {
  await Promise.all([dynamo.close(), sqs.close()]);
});

let workflows: InMemoryWorkflowStarter;
let executions: SetExecutions;
let scheduler: InMemoryTerminationScheduler;
let operator: (payload: unknown) => Promise<OperatorAnswer>;
const audit = () => new DynamoAuditLog({ tableName: dynamo.auditTable, client: dynamo.client });
beforeEach(() => {
  workflows = new InMemoryWorkflowStarter();
  executions = new SetExecutions();
  scheduler = new InMemoryTerminationScheduler();
  operator = wireOperator({
    config,
    env: {
      STATE_TABLE: dynamo.stateTable,
      AUDIT_TABLE: dynamo.auditTable,
      LANE_QUEUE_URL_PREFIX: queueUrlPrefix,
    },
    dynamo: dynamo.client,
    sqs: sqs.sqs,
    workflows,
    executions,
    scheduler,
    clock: new FixedClock(NOW),
    logger: { info() {}, warn() {} } as never,
  });
});

const refused = (code: string, message: RegExp) => ({
  ok: false,
  error: { code, message: expect.stringMatching(message) },
});

describe('operator function: requests', () => {
  it('refuses an unknown op, naming the ops it knows', async () => {
    expect(await operator({ op: 'delete-everything', by: BY })).toEqual(
      refused(
        'INVALID',
        /"delete-everything" is no operator command \(known: ack, approve, approve-burst, retry, revoke-now\)/,
      ),
    );
  });

  it('refuses a request without the caller identity', async () => {
    expect(await operator({ op: 'retry', eventId: 'e-1' })).toEqual(refused('INVALID', /by/));
  });

  it('refuses fields an op does not take', async () => {
    expect(await operator({ op: 'retry', eventId: 'e-1', by: BY, force: true })).toEqual(
      refused('INVALID', /force/),
    );
  });
});

describe('operator function: revoke-now', () => {
  it('creates an urgent involuntary termination from source operator, audited with who asked, and starts it', async () => {
    const answer = await operator({
      op: 'revoke-now',
      person: { employeeId: 'E-now-1', userName: 'now.one@example.com' },
      by: BY,
      reason: 'INC-42',
    });
    expect(answer).toMatchObject({
      ok: true,
      result: { personId: 'E-now-1', lifecycle: { action: 'started' } },
    });
    const { eventId, executionName } = (answer as { result: { eventId: string; executionName: string } })
      .result;
    expect(eventId).toMatch(/^operator-/);
    const [started] = workflows.executions;
    expect(started?.name).toBe(executionName);
    expect(started?.input).toMatchObject({
      event: {
        source: 'operator',
        urgent: true,
        terminationType: 'involuntary',
        effectiveAt: NOW.toISOString(),
      },
      receivedAt: NOW.toISOString(),
    });
    const [received] = await audit().forEvent(eventId);
    expect(received).toMatchObject({
      step: 'RECEIVED',
      actor: 'operator',
      personId: 'E-now-1',
      detail: { source: 'operator', requestedBy: BY, reason: 'INC-42', executionName },
    });
    const pending = await new DynamoPendingTerminations({
      tableName: dynamo.stateTable,
      client: dynamo.client,
    }).get('E-now-1');
    expect(pending).toMatchObject({ eventId, status: 'scheduled', startAt: NOW.toISOString() });
  });

  it("replaces a person's future termination and deletes its schedule, so it does not run again later", async () => {
    const terminations = new DynamoPendingTerminations({
      tableName: dynamo.stateTable,
      client: dynamo.client,
    });
    await terminations.replace(
      {
        personId: 'E-now-2',
        eventId: 'hr-later',
        source: 'generic',
        executionName: 'generic-later',
        effectiveAt: '2026-12-20T00:00:00.000Z',
        startAt: '2026-12-20T00:00:00.000Z',
        terminationType: 'voluntary',
        status: 'scheduled',
        version: 1,
      },
      undefined,
    );
    const answer = await operator({ op: 'revoke-now', person: { employeeId: 'E-now-2' }, by: BY });
    expect(answer).toMatchObject({ ok: true, result: { lifecycle: { action: 'started' } } });
    expect(scheduler.cancelled).toEqual(['E-now-2']);
    expect(await terminations.get('E-now-2')).toMatchObject({ eventId: expect.stringMatching(/^operator-/) });
  });

  it('refuses a person without an employee id', async () => {
    expect(await operator({ op: 'revoke-now', person: { userName: 'x@example.com' }, by: BY })).toEqual(
      refused('INVALID', /employeeId/),
    );
    expect(workflows.executions).toEqual([]);
  });
});

describe('operator function: retry', () => {
  async function received(eventId: string, executionName: string) {
    await audit().append(
      onceAuditEntry(
        {
          eventId,
          step: 'RECEIVED',
          personId: `P-${eventId}`,
          actor: 'ingest',
          detail: { executionName, event: { eventId, person: { employeeId: `P-${eventId}` } } },
        },
        'generic',
        new Date('2026-12-02T09:00:00Z'),
      ),
    );
  }

  it('refuses an event never received', async () => {
    expect(await operator({ op: 'retry', eventId: 'never', by: BY })).toEqual(refused('NOT_FOUND', /never/));
  });

  it('refuses while the execution runs, and after it succeeded', async () => {
    await received('r-run', 'generic-run');
    executions.statuses.set('generic-run', 'RUNNING');
    expect(await operator({ op: 'retry', eventId: 'r-run', by: BY })).toEqual(
      refused('CONFLICT', /still running/),
    );
    executions.statuses.set('generic-run', 'SUCCEEDED');
    expect(await operator({ op: 'retry', eventId: 'r-run', by: BY })).toEqual(
      refused('CONFLICT', /succeeded/),
    );
    expect(workflows.executions).toEqual([]);
  });

  it("runs a failed event again under a new name with the first delivery's input, audited with who asked", async () => {
    await received('r-fail', 'generic-fail');
    executions.statuses.set('generic-fail', 'FAILED');
    expect(await operator({ op: 'retry', eventId: 'r-fail', by: BY })).toMatchObject({
      ok: true,
      result: { attempt: 2, executionName: 'generic-fail-r2', retryOf: 'generic-fail' },
    });
    expect(workflows.executions[0]).toMatchObject({
      name: 'generic-fail-r2',
      input: { event: { eventId: 'r-fail' }, receivedAt: '2026-12-02T09:00:00.000Z' },
    });
    // The retry timed out too: the next one follows it.
    executions.statuses.set('generic-fail-r2', 'TIMED_OUT');
    expect(await operator({ op: 'retry', eventId: 'r-fail', by: BY })).toMatchObject({
      ok: true,
      result: { attempt: 3, executionName: 'generic-fail-r3', retryOf: 'generic-fail-r2' },
    });
    const retries = (await audit().forEvent('r-fail')).filter((e) => e.detail?.retry);
    expect(retries.map((e) => [e.actor, e.detail?.requestedBy, e.detail?.retryOfStatus])).toEqual([
      ['operator', BY, 'FAILED'],
      ['operator', BY, 'TIMED_OUT'],
    ]);
  });
});

describe('operator function: approve and approve-burst', () => {
  it('releases a held revocation to its lane queue, with who approved and why', async () => {
    const msg = laneMessage('held@example.com', 'held-1', { targetId: 'code' });
    const personId = msg.person.employeeId;
    const log = audit();
    await log.append(
      onceAuditEntry(
        {
          eventId: msg.eventId,
          step: 'RECEIVED',
          personId,
          actor: 'ingest',
          detail: { event: { person: msg.person } },
        },
        'generic',
        NOW,
      ),
    );
    const plan = {
      eventId: msg.eventId,
      personId,
      receivedAt: msg.receivedAt,
      effectiveAt: NOW.toISOString(),
      dryRun: false,
      lanes: [msg.lane],
      settled: [],
    };
    await log.append(
      auditEntry({ eventId: msg.eventId, step: 'PLANNED', personId, actor: 'plan', detail: { plan } }, NOW),
    );
    await log.append(
      auditEntry({ eventId: msg.eventId, step: 'REFUSED', personId, targetId: 'code', actor: 'worker' }, NOW),
    );

    expect(
      await operator({ op: 'approve', eventId: msg.eventId, by: BY, reason: 'layoff ticket HR-7' }),
    ).toEqual({
      ok: true,
      result: { eventId: msg.eventId, approvedBy: BY, targets: ['code'] },
    });
    const { Messages } = await sqs.sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: `${queueUrlPrefix}${laneQueueName(config.stackName, 'code')}`,
        WaitTimeSeconds: 1,
      }),
    );
    expect(JSON.parse(Messages?.[0]?.Body ?? '{}')).toMatchObject({ eventId: msg.eventId, approvedBy: BY });
    expect((await log.forEvent(msg.eventId)).find((e) => e.step === 'APPROVED')?.detail).toMatchObject({
      approvedBy: BY,
      reason: 'layoff ticket HR-7',
    });
  });

  it('refuses to approve an event with nothing held', async () => {
    expect(await operator({ op: 'approve', eventId: 'nothing-held', by: BY })).toEqual(
      refused('CONFLICT', /no recorded revocation/),
    );
  });

  it('adds a burst to the window of each named target, recorded with who approved', async () => {
    const answer = await operator({
      op: 'approve-burst',
      targets: ['code'],
      count: 5,
      by: BY,
      reason: 'layoff HR-9',
    });
    expect(answer).toMatchObject({ ok: true, result: { approvedBy: BY, count: 5, targets: ['code'] } });
    const window = windowStart(NOW, config.blastRadius.windowMinutes);
    const budget = new DynamoRevocationBudget({ tableName: dynamo.stateTable, client: dynamo.client });
    expect(await budget.tryConsume('code', window, 0)).toBe(true);
    const { approvalId } = (answer as { result: { approvalId: string } }).result;
    expect((await audit().forEvent(approvalId))[0]).toMatchObject({
      step: 'BURST_APPROVED',
      detail: { approvedBy: BY },
    });
  });

  it('refuses a burst at a target that is not a SCIM target', async () => {
    expect(
      await operator({ op: 'approve-burst', targets: ['payroll'], count: 5, by: BY, reason: 'layoff HR-9' }),
    ).toEqual(refused('INVALID', /payroll/));
  });
});
