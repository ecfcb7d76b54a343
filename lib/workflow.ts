// The revocation workflow, one Standard execution per lifecycle event: plan, wait until the
// termination is effective, send the leaver to every target's lane at once and wait for each
// lane's answer (a failed lane is recorded, never stops the others), then summarize; an
// execution with any failed target ends failed, so the failed-executions alarm fires.
//
// State names are part of the contract with the local runtime, which runs this definition
// with aws-local-stepfunctions and maps Task states to local handlers: keep them stable.
import { Duration, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import { type Metric, type MetricOptions, SearchExpression } from 'aws-cdk-lib/aws-cloudwatch';
import type { Grant, IGrantable } from 'aws-cdk-lib/aws-iam';
import type { CfnFunction } from 'aws-cdk-lib/aws-lambda';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { ITopic } from 'aws-cdk-lib/aws-sns';
import {
  Choice,
  Condition,
  CustomState,
  DefinitionBody,
  Errors,
  Fail,
  type IChainable,
  JsonPath,
  LogLevel,
  Map as MapState,
  Pass,
  StateMachine,
  StateMachineType,
  Succeed,
  TaskInput,
  Wait,
  WaitTime,
} from 'aws-cdk-lib/aws-stepfunctions';
import { LambdaInvoke } from 'aws-cdk-lib/aws-stepfunctions-tasks';
import { Construct } from 'constructs';
import type { ScimitarConfig } from '../lambdas/core/model/config.ts';
import { WORKFLOW_METRICS } from '../lambdas/core/model/metrics.ts';
import type { AuditStore } from './audit-store.ts';
import { METRICS_NAMESPACE, ScimitarFunction, serviceName } from './scimitar-function.ts';

/** The state names of the workflow (the local runtime maps Task states by these). */
export const STATE = {
  plan: 'Plan',
  wait: 'WaitUntilEffective',
  map: 'RevokeEachTarget',
  /** Routes a lane by its priority: urgent to the target's priority queue, the rest to its lane queue. */
  route: 'RouteByPriority',
  /** One state for every target: the queue URL is built from the item's targetId. */
  send: 'SendToLane',
  /** As {@link STATE.send}, to the target's priority queue (`lane.priority: 'urgent'`). */
  sendUrgent: 'SendToPriorityLane',
  laneFailed: 'LaneFailed',
  recordFailure: 'RecordLaneFailure',
  recordFailureWithoutCause: 'RecordLaneFailureWithoutCause',
  summarize: 'Summarize',
  checkOutcome: 'CheckOutcome',
  partial: 'Partial',
  completed: 'Completed',
} as const;

/** The lanes as the workflow sees them: where to send a leaver, by target id. */
export interface WorkflowLanes {
  /** A lane queue's URL is this prefix plus the target id (`https://sqs.../<stackName>_lane_`). */
  readonly laneQueueUrlPrefix: string;
  /** A priority queue's URL is this prefix plus the target id (`https://sqs.../<stackName>_prio_`). */
  readonly priorityQueueUrlPrefix: string;
  /** Lets the state machine send to every lane queue (and nothing else). */
  grantSendToLanes(grantee: IGrantable): void;
  /** Lets the state machine send to every lane's priority queue (and nothing else). */
  grantSendToPriorityLanes(grantee: IGrantable): void;
}

export interface WorkflowProps {
  /** The validated config, inlined in the plan and summarize bundles. */
  readonly config: ScimitarConfig;
  /** The SCIM targets' lanes; the Map sends each planned lane to its target's queue. */
  readonly lanes: WorkflowLanes;
  /** Audit log (append) and state table (ledger, budget) for plan and summarize. */
  readonly auditStore: AuditStore;
  /** Where plan tells owners of manual and custom targets about a leaver. */
  readonly ownerTopic: ITopic;
  /** Where summarize reports a partial revocation. */
  readonly alertTopic: ITopic;
  /**
   * How long a lane may take, all its attempts and Retry-After pauses included, before the
   * workflow records it as failed (`States.Timeout`).
   * @default Duration.hours(1)
   */
  readonly laneTimeout?: Duration;
  /**
   * How long an execution may run. Ingest schedules a future-dated termination so that its
   * execution starts when it is due (lib/termination-schedules.ts): the Wait state then waits at
   * most a minute. Only an execution started early (an event ingested without the lifecycle)
   * waits longer, and times out past this (the timed-out alarm fires).
   * @default Duration.days(31)
   */
  readonly executionTimeout?: Duration;
  /**
   * What the state machine logs. Execution data (inputs and outputs) is never logged: it holds
   * the leaver's personal data and the raw HRIS payload.
   * @default LogLevel.ALL (every transition, without data)
   */
  readonly logLevel?: LogLevel;
  /** @default RetentionDays.THREE_MONTHS */
  readonly logRetention?: RetentionDays;
}

export class Workflow extends Construct {
  public readonly stateMachine: StateMachine;
  public readonly planFunction: ScimitarFunction;
  public readonly summarizeFunction: ScimitarFunction;
  public readonly logGroup: LogGroup;

  constructor(scope: Construct, id: string, props: WorkflowProps) {
    super(scope, id);
    const laneTimeout = props.laneTimeout ?? Duration.hours(1);
    const executionTimeout = props.executionTimeout ?? Duration.days(31);
    validate(id, laneTimeout, executionTimeout);
    const { config, auditStore } = props;

    this.planFunction = new ScimitarFunction(this, 'PlanFunction', {
      entry: 'plan',
      config,
      description: 'scimitar plan: targets in scope, urgent or normal, blast-radius guard',
      environment: { OWNER_TOPIC_ARN: props.ownerTopic.topicArn },
    });
    auditStore.bindAppend(this.planFunction);
    // A retried plan returns the plan it recorded (PLANNED): it queries the event's entries.
    auditStore.grantReadAudit(this.planFunction);
    auditStore.bindState(this.planFunction);
    props.ownerTopic.grantPublish(this.planFunction);

    this.summarizeFunction = new ScimitarFunction(this, 'SummarizeFunction', {
      entry: 'summarize',
      config,
      description: 'scimitar summarize: outcome per target, latency metric, alert on failure',
      environment: { ALERT_TOPIC_ARN: props.alertTopic.topicArn },
    });
    auditStore.bindAppend(this.summarizeFunction);
    auditStore.bindState(this.summarizeFunction);
    props.alertTopic.grantPublish(this.summarizeFunction);

    // Plan: input { event, receivedAt } (the execution input), output Plan at $.plan.
    const plan = new LambdaInvoke(this, STATE.plan, {
      lambdaFunction: this.planFunction,
      payloadResponseOnly: true,
      resultPath: '$.plan',
    });

    const wait = new Wait(this, STATE.wait, { time: WaitTime.timestampPath('$.plan.effectiveAt') });

    const revokeEachTarget = new MapState(this, STATE.map, {
      itemsPath: '$.plan.lanes',
      // Each item becomes a LaneMessage without its task token (lambdas/core/model/messages.ts).
      itemSelector: {
        lane: JsonPath.objectAt('$$.Map.Item.Value'),
        eventId: JsonPath.stringAt('$.plan.eventId'),
        receivedAt: JsonPath.stringAt('$$.Execution.Input.receivedAt'),
        dryRun: JsonPath.stringAt('$.plan.dryRun'),
        person: JsonPath.objectAt('$$.Execution.Input.event.person'),
      },
      resultPath: '$.results',
      // Every lane at once: each target's lane is its own queue. Priority acts inside a lane: an
      // urgent lane goes to the target's priority queue (laneRouting).
      maxConcurrency: 0,
    });
    revokeEachTarget.itemProcessor(this.laneRouting(props.lanes, laneTimeout));

    const summarize = new LambdaInvoke(this, STATE.summarize, {
      lambdaFunction: this.summarizeFunction,
      payloadResponseOnly: true,
      payload: TaskInput.fromObject({
        plan: JsonPath.objectAt('$.plan'),
        results: JsonPath.listAt('$.results'),
      }),
      resultPath: '$.summary',
    });

    const checkOutcome = new Choice(this, STATE.checkOutcome)
      .when(
        Condition.stringEquals('$.summary.outcome', 'PARTIAL'),
        new Fail(this, STATE.partial, {
          error: 'RevocationPartial',
          cause: 'At least one target failed; the summary and the audit log name them.',
        }),
      )
      .otherwise(new Succeed(this, STATE.completed, { outputPath: '$.summary' }));

    this.logGroup = new LogGroup(this, 'Logs', {
      // Under /aws/vendedlogs/: Step Functions then needs no entry in the account's CloudWatch Logs
      // resource policy, whose 5,120-character limit fails state machine creation in busy accounts.
      logGroupName: `/aws/vendedlogs/states/${Stack.of(this).stackName}-${id}`,
      retention: props.logRetention ?? RetentionDays.THREE_MONTHS,
      removalPolicy: RemovalPolicy.DESTROY,
    });

    this.stateMachine = new StateMachine(this, 'StateMachine', {
      stateMachineType: StateMachineType.STANDARD,
      comment: 'scimitar: revoke a leaver in every target, verify, audit',
      definitionBody: DefinitionBody.fromChainable(
        plan.next(wait).next(revokeEachTarget).next(summarize).next(checkOutcome),
      ),
      timeout: executionTimeout,
      tracingEnabled: true,
      logs: {
        destination: this.logGroup,
        level: props.logLevel ?? LogLevel.ALL,
        includeExecutionData: false,
      },
    });
    props.lanes.grantSendToLanes(this.stateMachine);
    props.lanes.grantSendToPriorityLanes(this.stateMachine);
    this.acknowledgeFindings();
  }

  private acknowledgeFindings(): void {
    const publish =
      'SNS documents kms:GenerateDataKey* with kms:Decrypt for publishers to an encrypted topic; the statement names the one topic key.';
    for (const fn of [this.planFunction, this.summarizeFunction]) {
      if (fn.role) {
        Validations.of(fn.role).acknowledge({
          id: 'AwsSolutions-IAM5[Action::kms:GenerateDataKey*]',
          reason: publish,
        });
      }
    }
    Validations.of(this.stateMachine).acknowledge(
      {
        id: 'AwsSolutions-IAM5[Resource::*]',
        reason:
          'Logging to CloudWatch Logs (logs:CreateLogDelivery and related delivery actions) and X-Ray tracing support only Resource "*".',
      },
      ...[this.planFunction, this.summarizeFunction].map((fn) => ({
        id: `AwsSolutions-IAM5[Resource::<${Stack.of(this).getLogicalId(fn.node.defaultChild as CfnFunction)}.Arn>:*]`,
        reason: `The invoke task may call the ${fn.entryName} function's versions and aliases (function ARN with a qualifier); no other function.`,
      })),
    );
  }

  /** Lets a grantee start executions of this state machine only: `states:StartExecution`. */
  public grantStartExecution(grantee: IGrantable): Grant {
    return this.stateMachine.grantStartExecution(grantee);
  }

  /**
   * Lets a grantee answer a waiting lane: `states:SendTaskSuccess`, `states:SendTaskFailure`,
   * `states:SendTaskHeartbeat` on this state machine.
   */
  public grantTaskResponse(grantee: IGrantable): Grant {
    return this.stateMachine.grantTaskResponse(grantee);
  }

  /** Executions that failed: a partial revocation or a step error (sum over 5 minutes). */
  public metricFailed(options?: MetricOptions): Metric {
    return this.stateMachine.metricFailed({ statistic: 'Sum', period: Duration.minutes(5), ...options });
  }

  /** Executions that ran past the execution timeout (sum over 5 minutes). */
  public metricTimedOut(options?: MetricOptions): Metric {
    return this.stateMachine.metricTimedOut({ statistic: 'Sum', period: Duration.minutes(5), ...options });
  }

  /** Executions that completed: every target revoked or nothing to revoke (sum over 5 minutes). */
  public metricSucceeded(options?: MetricOptions): Metric {
    return this.stateMachine.metricSucceeded({ statistic: 'Sum', period: Duration.minutes(5), ...options });
  }

  /**
   * Revocation latency per target (event received to verified revoked, ms), p90 per 5 minutes:
   * one series per target. Summarize publishes `RevocationLatency` through Powertools'
   * `singleMetric()`, which keeps the `service` dimension: the dimension set is exactly
   * {service, target}, and the search names that schema. For dashboards (a search cannot alarm).
   */
  public metricRevocationLatency(): SearchExpression {
    return this.summarizeSearch(WORKFLOW_METRICS.revocationLatency, ['target'], 'p90');
  }

  /**
   * Outcomes per target and status (revoked, no-account, failed, refused, manual-task, ...), sum
   * per 5 minutes. Summarize publishes `TargetOutcome` = 1 per target of each event, with exactly
   * the dimensions {service, target, status}.
   */
  public metricTargetOutcomes(): SearchExpression {
    return this.summarizeSearch(WORKFLOW_METRICS.targetOutcome, ['target', 'status'], 'Sum');
  }

  private summarizeSearch(
    metricName: string,
    dimensions: readonly string[],
    statistic: string,
  ): SearchExpression {
    const service = serviceName(this.summarizeFunction.entryName);
    const schema = [METRICS_NAMESPACE, 'service', ...dimensions].join(',');
    return new SearchExpression({
      expression: `SEARCH('{${schema}} MetricName="${metricName}" service="${service}"', '${statistic}', 300)`,
      // A CloudWatch dynamic label per series: its dimension values, e.g. "code revoked".
      label: dimensions.map((d) => `\${PROP('Dim.${d}')}`).join(' '),
      period: Duration.minutes(5),
    });
  }

  /**
   * Inside the Map: send the item to its target's queue and wait for the worker's answer; any
   * error becomes a LaneFailure, so one target never stops the others. An urgent lane
   * (`lane.priority: 'urgent'`: involuntary, privileged-tier, operator revoke-now) goes to the
   * target's priority queue, which the worker drains beside the bulk of the lane queue; any other
   * (a plan from before priorities included) to the lane queue. Two send states serve every target:
   * the queue URL is a prefix plus the item's targetId (States.Format), so the definition does not
   * grow with the target count. A target without a lane (a plan from an older config) fails to send
   * (the queue does not exist) and is recorded as failed.
   */
  private laneRouting(lanes: WorkflowLanes, laneTimeout: Duration): IChainable {
    const recordFailure = new Pass(this, STATE.recordFailure, {
      parameters: {
        targetId: JsonPath.stringAt('$.lane.targetId'),
        status: 'failed',
        error: JsonPath.stringAt('$.caught.Error'),
        cause: JsonPath.stringAt('$.caught.Cause'),
      },
    });
    // SendTaskFailure and a task timeout may carry no Cause: reading a missing path would
    // fail the whole Map, so the failure is recorded without it.
    const recordFailureWithoutCause = new Pass(this, STATE.recordFailureWithoutCause, {
      parameters: {
        targetId: JsonPath.stringAt('$.lane.targetId'),
        status: 'failed',
        error: JsonPath.stringAt('$.caught.Error'),
      },
    });
    const laneFailed = new Choice(this, STATE.laneFailed)
      .when(Condition.isPresent('$.caught.Cause'), recordFailure)
      .otherwise(recordFailureWithoutCause);

    const stack = Stack.of(this);
    const sendTo = (name: string, queueUrlPrefix: string) => {
      const send = new CustomState(this, name, {
        stateJson: {
          Type: 'Task',
          Resource: `arn:${stack.partition}:states:::sqs:sendMessage.waitForTaskToken`,
          Parameters: {
            'QueueUrl.$': `States.Format('${queueUrlPrefix}{}', $.lane.targetId)`,
            // A LaneMessage (lambdas/core/model/messages.ts) with the task token.
            MessageBody: {
              'taskToken.$': '$$.Task.Token',
              'eventId.$': '$.eventId',
              'receivedAt.$': '$.receivedAt',
              'dryRun.$': '$.dryRun',
              'person.$': '$.person',
              'lane.$': '$.lane',
            },
          },
          TimeoutSeconds: laneTimeout.toSeconds(),
        },
      });
      send.addCatch(laneFailed, { errors: [Errors.ALL], resultPath: '$.caught' });
      return send;
    };
    return new Choice(this, STATE.route)
      .when(
        Condition.and(
          Condition.isPresent('$.lane.priority'),
          Condition.stringEquals('$.lane.priority', 'urgent'),
        ),
        sendTo(STATE.sendUrgent, lanes.priorityQueueUrlPrefix),
      )
      .otherwise(sendTo(STATE.send, lanes.laneQueueUrlPrefix));
  }
}

function validate(id: string, laneTimeout: Duration, executionTimeout: Duration): void {
  if (laneTimeout.toSeconds() < 60) {
    throw new Error(
      `Workflow ${id}: laneTimeout ${laneTimeout.toHumanString()} is too short for a revocation with retries; use at least 1 minute`,
    );
  }
  if (executionTimeout.toSeconds() <= laneTimeout.toSeconds()) {
    throw new Error(
      `Workflow ${id}: executionTimeout (${executionTimeout.toHumanString()}) must be longer than laneTimeout (${laneTimeout.toHumanString()})`,
    );
  }
  if (executionTimeout.toSeconds() > Duration.days(365).toSeconds()) {
    throw new Error(
      `Workflow ${id}: executionTimeout ${executionTimeout.toHumanString()} exceeds the Standard workflow limit of one year`,
    );
  }
}
