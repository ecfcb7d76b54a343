// The operator function's wiring, shared by its Lambda entry and the local runtime: the audit log
// (AUDIT_TABLE), the state table (STATE_TABLE: pending terminations, blast-radius windows), the
// lane queues (LANE_QUEUE_URL_PREFIX), the workflow (STATE_MACHINE_ARN) and the schedule group
// (SCHEDULE_GROUP: revoke-now deletes a person's pending schedule), unless the caller gives its
// own (the local runtime's workflow and scheduler over its clock).
import type { Logger } from '@aws-lambda-powertools/logger';
import { DeleteScheduleCommand, ResourceNotFoundException, SchedulerClient } from '@aws-sdk/client-scheduler';
import type { SQSClient } from '@aws-sdk/client-sqs';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { WorkflowStarter } from '../../core/ingest/ports.ts';
import { TerminationLifecycle } from '../../core/lifecycle/lifecycle.ts';
import { type ScheduledStart, TerminationScheduler } from '../../core/lifecycle/ports.ts';
import type { ScimitarConfig } from '../../core/model/config.ts';
import { type Clock, Notifier } from '../../core/model/ports.ts';
import type { ExecutionHistory } from '../../core/operator/ports.ts';
import { createOperatorHandler, type OperatorOp, operatorOps } from '../../handlers/operator.ts';
import { DynamoAuditLog } from '../adapters/dynamo-audit-log.ts';
import { DynamoOwnerTasks } from '../adapters/dynamo-owner-tasks.ts';
import { DynamoPendingTerminations } from '../adapters/dynamo-pending-terminations.ts';
import { DynamoRevocationBudget } from '../adapters/dynamo-state.ts';
import { scheduleName } from '../adapters/eventbridge-termination-scheduler.ts';
import { SfnExecutionHistory } from '../adapters/sfn-execution-history.ts';
import { SfnWorkflowStarter } from '../adapters/sfn-workflow-starter.ts';
import { SqsLaneQueue } from '../adapters/sqs-lane-queue.ts';
import { type FunctionEnv, requireEnv } from '../env.ts';
import { readLaneQueueUrls } from '../target-env.ts';

export interface OperatorWiring {
  readonly config: ScimitarConfig;
  readonly env: FunctionEnv;
  /** @default - a client from the Lambda's environment */
  readonly dynamo?: DynamoDBDocumentClient;
  /** @default - a client from the Lambda's environment */
  readonly sqs?: SQSClient;
  /** @default - Step Functions, STATE_MACHINE_ARN */
  readonly workflows?: WorkflowStarter;
  /** @default - Step Functions DescribeExecution, STATE_MACHINE_ARN */
  readonly executions?: ExecutionHistory;
  /** @default - deletes EventBridge Scheduler schedules in SCHEDULE_GROUP, never creates one */
  readonly scheduler?: TerminationScheduler;
  /** Owners told of a rescind after start; revoke-now never rescinds. @default - none needed */
  readonly owners?: Notifier;
  /** Ops beyond the built-in ones (e.g. `ack`), by name. @default - none */
  readonly extraOps?: Readonly<Record<string, OperatorOp>>;
  readonly clock: Clock;
  readonly logger: Logger;
}

/**
 * The termination lifecycle as revoke-now uses it: an involuntary termination effective now
 * starts at once, so it only ever deletes the schedule of a future termination it replaces.
 */
export class CancelOnlyScheduler extends TerminationScheduler {
  constructor(
    private readonly groupName: string,
    private readonly client: SchedulerClient = new SchedulerClient({}),
  ) {
    super();
  }

  async schedule(start: ScheduledStart): Promise<void> {
    throw new Error(
      `the operator function schedules nothing (asked to schedule ${start.executionName} at ${start.startAt.toISOString()}): revoke-now starts at once`,
    );
  }

  async cancel(personId: string): Promise<void> {
    try {
      await this.client.send(
        new DeleteScheduleCommand({ Name: scheduleName(personId), GroupName: this.groupName }),
      );
    } catch (err) {
      if (!(err instanceof ResourceNotFoundException)) throw err;
    }
  }
}

/** Never called by revoke-now (it never rescinds); refuses loudly if it ever is. */
class NoOwners extends Notifier {
  async notify(): Promise<void> {
    throw new Error('the operator function tells no owners');
  }
}

/** The operator function's handler. */
export function wireOperator(w: OperatorWiring) {
  const { config, env, clock } = w;
  const client = w.dynamo ? { client: w.dynamo } : {};
  const state = { tableName: requireEnv('STATE_TABLE', env), ...client };
  const audit = new DynamoAuditLog({ tableName: requireEnv('AUDIT_TABLE', env), ...client });
  const terminations = new DynamoPendingTerminations(state);
  const workflows =
    w.workflows ?? new SfnWorkflowStarter({ stateMachineArn: requireEnv('STATE_MACHINE_ARN', env) });
  const lifecycle = new TerminationLifecycle({
    terminations,
    scheduler: w.scheduler ?? new CancelOnlyScheduler(requireEnv('SCHEDULE_GROUP', env)),
    workflows,
    audit,
    owners: w.owners ?? new NoOwners(),
    config,
  });
  const ops = operatorOps({
    audit,
    clock,
    approve: { config, lanes: new SqsLaneQueue(readLaneQueueUrls(config, env), w.sqs), terminations },
    burst: { config, budget: new DynamoRevocationBudget(state) },
    lifecycle,
    workflows,
    executions: w.executions ?? new SfnExecutionHistory(requireEnv('STATE_MACHINE_ARN', env)),
    tasks: new DynamoOwnerTasks(state),
  });
  return createOperatorHandler({ ops: { ...ops, ...w.extraOps }, logger: w.logger });
}
