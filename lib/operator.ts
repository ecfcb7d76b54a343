// The operator's door into a deployed stack: the operator function (`<stack>-operator`, the only
// way an operator writes: approve, approve-burst, revoke-now, retry) with exactly the grants its
// ops need, and the OperatorPolicy, a managed policy to attach to the people (or their roles) who
// run `scimitar --stack`: reads of this stack's tables, queues, alarms, executions and outputs,
// the lane queues a redrive moves, and invoking the operator and canary functions. No table
// write: writes go through the function, which audits them with the caller's identity.
import { Arn, ArnFormat, Aws, type CfnElement, Stack, Validations } from 'aws-cdk-lib';
import type { CfnTable } from 'aws-cdk-lib/aws-dynamodb';
import { ManagedPolicy, PolicyStatement } from 'aws-cdk-lib/aws-iam';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import type { IStateMachine } from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import {
  deadLetterQueuePrefix,
  LANE_ENV,
  laneQueuePrefix,
  priorityQueuePrefix,
} from '../lambdas/aws/target-env.ts';
import type { ScimitarConfig } from '../lambdas/core/model/config.ts';
import type { AuditStore } from './audit-store.ts';
import { type NamePattern, namePattern } from './name-pattern.ts';
import { grantAckOwnerTasks } from './owner-tasks.ts';
import { ScimitarFunction } from './scimitar-function.ts';
import type { LaneFleet } from './target-lane.ts';
import type { TerminationSchedules } from './termination-schedules.ts';

export interface OperatorProps {
  readonly config: ScimitarConfig;
  readonly auditStore: AuditStore;
  /** The lanes approve sends released revocations to, and whose queues a redrive moves. */
  readonly lanes: Pick<LaneFleet, 'queueUrlPrefix' | 'grantSendToLanes'>;
  /** The workflow revoke-now and retry start, and whose executions retry and the CLI describe. */
  readonly stateMachine: IStateMachine;
  /** The schedule group whose schedule revoke-now deletes when it replaces a future termination. */
  readonly schedules: Pick<TerminationSchedules, 'bindCancelSchedules'>;
  /** The credential canary, which `scimitar targets check` invokes. */
  readonly canaryFunction: IFunction;
}

/** The physical name of a stack's operator function. */
export function operatorFunctionName(stackName: string): string {
  return `${stackName}-operator`;
}

const ACCOUNT = { partition: Aws.PARTITION, region: Aws.REGION, account: Aws.ACCOUNT_ID };

/** This stack's lane, priority and dead-letter queues, by name pattern (any number of targets). */
function queuePatterns(stackName: string): NamePattern[] {
  return [laneQueuePrefix, priorityQueuePrefix, deadLetterQueuePrefix].map((prefix) =>
    namePattern(ACCOUNT, 'sqs', `${prefix(stackName)}*`),
  );
}

/** This stack's alarms: explicitly named `<stack>-…`, or named by CloudFormation `<stack>-<id>-…`. */
function alarmPattern(stackName: string): NamePattern {
  return namePattern(ACCOUNT, 'cloudwatch', `alarm:${stackName}-*`);
}

export class Operator extends Construct {
  /** The operator function: `{ op, ...fields }` in, `{ ok, result | error }` out. */
  public readonly function: ScimitarFunction;
  /** What an operator's identity needs for every `scimitar --stack` command on this stack. */
  public readonly policy: ManagedPolicy;

  constructor(scope: Construct, id: string, props: OperatorProps) {
    super(scope, id);
    const { config, auditStore, stateMachine } = props;
    const stack = Stack.of(this);
    this.function = new ScimitarFunction(this, 'Function', {
      entry: 'operator',
      config,
      functionName: operatorFunctionName(config.stackName),
      description: 'scimitar operator: approve, approve-burst, revoke-now, retry (audited with the caller)',
      environment: {
        STATE_MACHINE_ARN: stateMachine.stateMachineArn,
        [LANE_ENV.queueUrlPrefix]: props.lanes.queueUrlPrefix,
      },
    });
    const fn = this.function;
    // Audit: read an event's entries (approve, retry); append APPROVED, BURST_APPROVED, RECEIVED.
    auditStore.bindAppend(fn);
    auditStore.grantReadAudit(fn);
    // State: the person's pending termination (revoke-now, approve), a burst on a window.
    auditStore.bindPendingTerminations(fn);
    auditStore.grantApproveBursts(fn);
    // approve: released revocations go to their bulk lanes.
    props.lanes.grantSendToLanes(fn);
    // revoke-now and retry start executions; retry reads the latest one's status first.
    stateMachine.grantStartExecution(fn);
    const smName = Arn.split(stateMachine.stateMachineArn, ArnFormat.COLON_RESOURCE_NAME).resourceName;
    const executions = stack.formatArn({
      service: 'states',
      resource: 'execution',
      resourceName: `${smName}:*`,
      arnFormat: ArnFormat.COLON_RESOURCE_NAME,
    });
    fn.addToRolePolicy(
      new PolicyStatement({ actions: ['states:DescribeExecution'], resources: [executions] }),
    );
    // revoke-now replacing a future termination deletes its schedule.
    props.schedules.bindCancelSchedules(fn);
    // ack: an owner task read and closed (TASK# items only); TASK_ACKED appended above.
    grantAckOwnerTasks(auditStore.stateTable, fn);

    const { auditTable, stateTable, encryptionKey } = auditStore;
    const queues = queuePatterns(config.stackName);
    const alarms = alarmPattern(config.stackName);
    this.policy = new ManagedPolicy(this, 'Policy', {
      description: `Operators of scimitar stack ${config.stackName}: every scimitar --stack command (writes go through the operator function)`,
      statements: [
        // status, audit, alarms (NOTIFY items), tasks, report, coverage.
        new PolicyStatement({
          actions: ['dynamodb:GetItem', 'dynamodb:Query'],
          resources: [auditTable, stateTable].flatMap((t) => [t.tableArn, `${t.tableArn}/index/*`]),
        }),
        // Both tables are encrypted with the store's key: reading them needs Decrypt.
        new PolicyStatement({ actions: ['kms:Decrypt'], resources: [encryptionKey.keyArn] }),
        // status (depths), redrive (dead letters back to their lane).
        new PolicyStatement({
          actions: ['sqs:GetQueueAttributes', 'sqs:ReceiveMessage', 'sqs:SendMessage', 'sqs:DeleteMessage'],
          resources: queues.map((q) => q.arn),
        }),
        new PolicyStatement({ actions: ['cloudwatch:DescribeAlarms'], resources: [alarms.arn] }),
        new PolicyStatement({ actions: ['states:DescribeExecution'], resources: [executions] }),
        // Every command finds the stack's resources from its outputs.
        new PolicyStatement({
          actions: ['cloudformation:DescribeStacks'],
          resources: [
            stack.formatArn({
              service: 'cloudformation',
              resource: 'stack',
              resourceName: `${stack.stackName}/*`,
            }),
          ],
        }),
        // Writes (operator function) and targets check (canary).
        new PolicyStatement({
          actions: ['lambda:InvokeFunction'],
          resources: [fn.functionArn, props.canaryFunction.functionArn],
        }),
      ],
    });

    const tableToken = (table: { node: { defaultChild?: unknown } }) =>
      `<${stack.getLogicalId(table.node.defaultChild as CfnTable)}.Arn>`;
    const wildcards = [
      ...[auditTable, stateTable].map((t) => ({
        id: `AwsSolutions-IAM5[Resource::${tableToken(t)}/index/*]`,
        reason: `Queries the indexes of this stack's ${t === auditTable ? 'audit' : 'state'} table only (the audit log by person and by day).`,
      })),
      ...queues.map((q) => ({
        id: `AwsSolutions-IAM5[Resource::${q.nagArn}]`,
        reason: `Inspects and redrives this stack's lane queues (names "${q.arn.split(':').at(-1)}"; "_" cannot occur in a stack name, so no other stack's queue matches), one statement for any number of targets.`,
      })),
      {
        id: `AwsSolutions-IAM5[Resource::${alarms.nagArn}]`,
        reason: `Reads the states of this stack's alarms: every one is named "${config.stackName}-…" (explicitly, or by CloudFormation from the stack name).`,
      },
    ];
    // The same executions pattern, as cdk-nag prints the state machine's name taken from its ARN.
    const smId = stack.getLogicalId(stateMachine.node.defaultChild as CfnElement);
    const executionsAck = {
      id: `AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:states:<AWS::Region>:<AWS::AccountId>:execution:{"Fn::Select":[6,{"Fn::Split":[":",{"Ref":"${smId}"}]}]}:*]`,
      reason:
        "Describes executions of this stack's one state machine (named per event when it starts): no other state machine's.",
    };
    Validations.of(this.policy).acknowledge(...wildcards, executionsAck, {
      id: `AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:cloudformation:<AWS::Region>:<AWS::AccountId>:stack/${stack.stackName}/*]`,
      reason:
        'Reads the outputs of this stack only: a stack ARN ends in an id CloudFormation assigns at creation.',
    });
    if (fn.role) Validations.of(fn.role).acknowledge(executionsAck);
  }
}
