// The CLI's reads of an event and a person on a stack's AWS APIs: the tables on dynalite (written
// by the same adapters as the functions), Step Functions' DescribeExecution mocked.
import { DescribeExecutionCommand, ExecutionDoesNotExist, SFNClient } from '@aws-sdk/client-sfn';
import { SQSClient } from '@aws-sdk/client-sqs';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { DynamoAuditLog } from '../../../lambdas/aws/adapters/dynamo-audit-log.ts';
import { DynamoPendingTerminations } from '../../../lambdas/aws/adapters/dynamo-pending-terminations.ts';
import { DynamoLeaverLedger } from '../../../lambdas/aws/adapters/dynamo-state.ts';
import { auditEntry, onceAuditEntry } from '../../../lambdas/core/model/audit.ts';
import { executionArnOf, readEvent, readPerson } from '../../../local/cli/stack-reads.ts';
import { type LocalDynamo, startDynalite } from '../../support/dynalite.ts';
import { testStackContext } from '../../support/stack-context.ts';

const STATE_MACHINE = 'arn:aws:states:us-east-1:000000000000:stateMachine:Scimitar-workflow';
const sfn = mockClient(SFNClient);

describe('CLI: reading an event and a person from the stack', () => {
  let dynamo: LocalDynamo;
  const ctx = () =>
    testStackContext({
      dynamo: dynamo.client,
      sqs: new SQSClient({ region: 'us-east-1' }),
      outputs: {
        AuditTableName: dynamo.auditTable,
        StateTableName: dynamo.stateTable,
        StateMachineArn: STATE_MACHINE,
      },
    });
  const audit = () => new DynamoAuditLog({ tableName: dynamo.auditTable, client: dynamo.client });
  const state = () => ({ tableName: dynamo.stateTable, client: dynamo.client });
  const now = new Date('2026-07-01T10:00:00.000Z');

  beforeAll(async () => {
    dynamo = await startDynalite();
  });
  afterAll(async () => dynamo?.close());
  afterEach(() => sfn.reset());

  it('describes the latest attempt: the last execution name a RECEIVED recorded (a retry), with its error', async () => {
    await audit().append(
      onceAuditEntry(
        {
          eventId: 'ev-1',
          step: 'RECEIVED',
          personId: 'E1',
          actor: 'ingest',
          detail: { executionName: 'hr-abc' },
        },
        'hr',
        now,
      ),
    );
    await audit().append(
      auditEntry(
        {
          eventId: 'ev-1',
          step: 'RECEIVED',
          personId: 'E1',
          actor: 'operator',
          detail: { retry: true, attempt: 2, executionName: 'hr-abc-r2' },
        },
        new Date(now.getTime() + 60_000),
      ),
    );
    // Written under a later event, about this one: part of its story.
    await audit().append(
      auditEntry(
        {
          eventId: 'ev-2',
          step: 'RESCHEDULED',
          personId: 'E1',
          actor: 'ingest',
          detail: { pendingEventId: 'ev-1' },
        },
        new Date(now.getTime() + 120_000),
      ),
    );
    await audit().append(
      auditEntry({ eventId: 'ev-3', step: 'RECEIVED', personId: 'E1', actor: 'ingest' }, now),
    );
    sfn
      .on(DescribeExecutionCommand)
      .resolves({ status: 'FAILED', error: 'States.TaskFailed', cause: 'no secret' });

    const view = await readEvent(ctx(), 'ev-1');

    expect(sfn.commandCalls(DescribeExecutionCommand)[0]?.args[0].input).toEqual({
      executionArn: 'arn:aws:states:us-east-1:000000000000:execution:Scimitar-workflow:hr-abc-r2',
    });
    expect(view.execution).toEqual({
      name: 'hr-abc-r2',
      executionArn: executionArnOf(STATE_MACHINE, 'hr-abc-r2'),
      status: 'FAILED',
      error: 'States.TaskFailed: no secret',
    });
    expect(view.audit.map((e) => `${e.eventId}:${e.step}`)).toEqual([
      'ev-1:RECEIVED',
      'ev-1:RECEIVED',
      'ev-2:RESCHEDULED',
    ]);
  });

  it('shows no execution for a termination scheduled for later (Step Functions has none yet), and its pending termination', async () => {
    await audit().append(
      onceAuditEntry(
        {
          eventId: 'ev-later',
          step: 'RECEIVED',
          personId: 'E2',
          actor: 'ingest',
          detail: { executionName: 'hr-later' },
        },
        'hr',
        now,
      ),
    );
    await new DynamoPendingTerminations(state()).replace(
      {
        personId: 'E2',
        eventId: 'ev-later',
        source: 'hr',
        executionName: 'hr-later',
        effectiveAt: '2026-08-01T00:00:00.000Z',
        startAt: '2026-08-01T00:00:00.000Z',
        terminationType: 'voluntary',
        status: 'scheduled',
        version: 1,
      },
      undefined,
    );
    sfn
      .on(DescribeExecutionCommand)
      .rejects(new ExecutionDoesNotExist({ message: 'Execution Does Not Exist', $metadata: {} }));

    const view = await readEvent(ctx(), 'ev-later');

    expect(view.execution).toBeNull();
    expect(view.pending).toMatchObject({ eventId: 'ev-later', status: 'scheduled' });
  });

  it('fails with the action and resource named when Step Functions refuses', async () => {
    sfn
      .on(DescribeExecutionCommand)
      .rejects(Object.assign(new Error('User is not authorized'), { name: 'AccessDeniedException' }));
    await expect(readEvent(ctx(), 'ev-1')).rejects.toThrow(/states:DescribeExecution/);
  });

  it('reads a person: the timeline by the person index, the ledger and the pending termination', async () => {
    await audit().append(
      auditEntry(
        { eventId: 'ev-9', step: 'VERIFIED', personId: 'E9', actor: 'worker', targetId: 'code' },
        now,
      ),
    );
    await new DynamoLeaverLedger(state()).record({
      personId: 'E9',
      targetId: 'code',
      outcome: 'revoked',
      eventId: 'ev-9',
      at: now.toISOString(),
    });

    const view = await readPerson(ctx(), 'E9');

    expect(view.audit.map((e) => e.step)).toEqual(['VERIFIED']);
    expect(view.ledger.map((l) => [l.targetId, l.outcome])).toEqual([['code', 'revoked']]);
    expect(view.pending).toBeNull();
  });

  it('fails naming the output a stack without an audit table lacks', async () => {
    const bare = testStackContext({ dynamo: dynamo.client, sqs: new SQSClient({}), outputs: {} });
    await expect(readPerson(bare, 'E9')).rejects.toThrow('AuditTableName');
  });
});
