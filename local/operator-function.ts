// The operator function in the local runtime: its wiring (lambdas/aws/wiring/operator.ts) with the
// template's environment made local, the state machine run by the runtime as its workflow and
// execution history, and the runtime's schedules. Invoked as on Lambda, acting as its own role.
import type { Logger } from '@aws-lambda-powertools/logger';
import type { SQSClient } from '@aws-sdk/client-sqs';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { FunctionEnv } from '../lambdas/aws/env.ts';
import { wireOperator } from '../lambdas/aws/wiring/operator.ts';
import type { TerminationScheduler } from '../lambdas/core/lifecycle/ports.ts';
import type { ScimitarConfig } from '../lambdas/core/model/config.ts';
import type { Clock } from '../lambdas/core/model/ports.ts';
import { ExecutionHistory, type ExecutionStatus } from '../lambdas/core/operator/ports.ts';
import type { OperatorAnswer, OperatorOp } from '../lambdas/handlers/operator.ts';
import { configFor } from '../lib/config-projection.ts';
import { LOCAL_NAMES, localArns, recordAwsCall } from './aws-calls.ts';
import type { LocalWorkflow } from './workflow.ts';

/** The local workflow's executions, as DescribeExecution reports them. */
export class LocalExecutionHistory extends ExecutionHistory {
  constructor(
    private readonly workflow: LocalWorkflow,
    private readonly stateMachineName: string,
  ) {
    super();
  }

  async status(name: string): Promise<ExecutionStatus | undefined> {
    const execution = this.workflow.executions.get(name);
    const stateMachine = localArns.stateMachine(this.stateMachineName);
    recordAwsCall({
      action: 'states:DescribeExecution',
      resources: [`${stateMachine.replace(':stateMachine:', ':execution:')}:${name}`],
    });
    return execution?.status;
  }
}

export interface LocalOperatorProps {
  readonly config: ScimitarConfig;
  /** The operator function's environment as the template sets it, made local. */
  readonly env: FunctionEnv;
  readonly dynamo: DynamoDBDocumentClient;
  readonly sqs: SQSClient;
  readonly workflow: LocalWorkflow;
  readonly scheduler: TerminationScheduler;
  readonly clock: Clock;
  readonly logger: Logger;
  /** Ops beyond the built-in ones (e.g. `ack`). @default - none */
  readonly extraOps?: Readonly<Record<string, OperatorOp>>;
}

export function localOperator(props: LocalOperatorProps): (payload: unknown) => Promise<OperatorAnswer> {
  return wireOperator({
    config: configFor('operator', props.config),
    env: props.env,
    dynamo: props.dynamo,
    sqs: props.sqs,
    workflows: props.workflow,
    executions: new LocalExecutionHistory(props.workflow, LOCAL_NAMES.stateMachine(props.config.stackName)),
    scheduler: props.scheduler,
    clock: props.clock,
    logger: props.logger,
    ...(props.extraOps && { extraOps: props.extraOps }),
  });
}
