// Where far-future terminations wait: a schedule group of this stack holding one EventBridge
// Scheduler one-time schedule per pending termination, the role the scheduler assumes to start
// the workflow execution at the effective time, and a dead-letter queue (alarmed) for a start
// that failed after its retries: a revocation is never lost silently.
import { Duration, Stack, Validations } from 'aws-cdk-lib';
import type { Alarm } from 'aws-cdk-lib/aws-cloudwatch';
import {
  Grant,
  type IGrantable,
  type IRole,
  PolicyStatement,
  Role,
  ServicePrincipal,
} from 'aws-cdk-lib/aws-iam';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import { ScheduleGroup } from 'aws-cdk-lib/aws-scheduler';
import type { ITopic } from 'aws-cdk-lib/aws-sns';
import { Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import type { IStateMachine } from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { alarmOnDeadLetters } from './schedule-role.ts';

/** A function that receives the group and role in its environment. */
type BindableFunction = IFunction & { addEnvironment(key: string, value: string): unknown };

export interface TerminationSchedulesProps {
  /** The state machine a schedule starts (states:StartExecution on it only). */
  readonly stateMachine: IStateMachine;
  /** Where the dead-letter alarm notifies. */
  readonly alarmTopic: ITopic;
}

export class TerminationSchedules extends Construct {
  /** The stack's own schedule group: `<stackName>-terminations`. */
  public readonly group: ScheduleGroup;
  /** Assumed by EventBridge Scheduler (this account only) to start the workflow. */
  public readonly schedulerRole: IRole;
  /** Starts EventBridge Scheduler could not make after its retries (24 hours), 14 days. */
  public readonly deadLetterQueue: Queue;
  /** Fires on any message in {@link deadLetterQueue}: a revocation did not start. */
  public readonly deadLetterAlarm: Alarm;

  constructor(scope: Construct, id: string, props: TerminationSchedulesProps) {
    super(scope, id);
    const stack = Stack.of(this);
    this.group = new ScheduleGroup(this, 'Group', { scheduleGroupName: `${stack.stackName}-terminations` });
    this.schedulerRole = new Role(this, 'SchedulerRole', {
      description: 'EventBridge Scheduler: starts a scimitar revocation at its effective time',
      assumedBy: new ServicePrincipal('scheduler.amazonaws.com', {
        conditions: {
          StringEquals: { 'aws:SourceAccount': stack.account, 'aws:SourceArn': this.group.scheduleGroupArn },
        },
      }),
    });
    props.stateMachine.grantStartExecution(this.schedulerRole);

    this.deadLetterQueue = new Queue(this, 'DeadLetters', {
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
    });
    Validations.of(this.deadLetterQueue).acknowledge({
      id: 'AwsSolutions-SQS3',
      reason:
        "This queue is itself a dead-letter queue: EventBridge Scheduler's DeadLetterConfig for the termination schedules.",
    });
    this.deadLetterQueue.grantSendMessages(this.schedulerRole);
    this.deadLetterAlarm = alarmOnDeadLetters(
      this,
      'DeadLetterAlarm',
      this.deadLetterQueue,
      'scimitar: a scheduled revocation did not start (EventBridge Scheduler gave up starting its execution); the start is in the dead-letter queue. Runbook: docs/operations.md#scheduled-revocation-did-not-start',
      props.alarmTopic,
    );
  }

  /** ARN pattern of every schedule in the group. */
  private get schedulesArn(): string {
    return Stack.of(this).formatArn({
      service: 'scheduler',
      resource: 'schedule',
      resourceName: `${this.group.scheduleGroupName}/*`,
    });
  }

  /**
   * Lets a grantee create, replace and delete the group's schedules and hand them the scheduler's
   * role: `scheduler:CreateSchedule`, `scheduler:UpdateSchedule`, `scheduler:DeleteSchedule` on
   * schedules of this group only, and `iam:PassRole` on the scheduler role only, passed to
   * EventBridge Scheduler only.
   */
  public grantManageSchedules(grantee: IGrantable): Grant {
    grantee.grantPrincipal.addToPrincipalPolicy(
      new PolicyStatement({
        actions: ['iam:PassRole'],
        resources: [this.schedulerRole.roleArn],
        conditions: { StringEquals: { 'iam:PassedToService': 'scheduler.amazonaws.com' } },
      }),
    );
    return Grant.addToPrincipal({
      grantee,
      actions: ['scheduler:CreateSchedule', 'scheduler:UpdateSchedule', 'scheduler:DeleteSchedule'],
      resourceArns: [this.schedulesArn],
    });
  }

  /**
   * Sets `SCHEDULE_GROUP` in the function's environment and lets it delete the group's schedules:
   * `scheduler:DeleteSchedule` on schedules of this group only. For the operator's revoke-now,
   * which replaces a future termination and starts at once: it never creates a schedule.
   */
  public bindCancelSchedules(fn: BindableFunction): void {
    fn.addEnvironment('SCHEDULE_GROUP', this.group.scheduleGroupName);
    fn.addToRolePolicy(
      new PolicyStatement({ actions: ['scheduler:DeleteSchedule'], resources: [this.schedulesArn] }),
    );
    if (fn.role) {
      Validations.of(fn.role).acknowledge({
        id: `AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:scheduler:<AWS::Region>:<AWS::AccountId>:schedule/${this.group.scheduleGroupName}/*]`,
        reason:
          "One schedule per pending termination, named by the person: revoke-now deletes the one it replaces, in this stack's own group and no other.",
      });
    }
  }

  /** Sets `SCHEDULE_GROUP`, `SCHEDULER_ROLE_ARN` and `SCHEDULE_DLQ_ARN` in the function's environment and grants {@link grantManageSchedules}. */
  public bind(fn: BindableFunction): void {
    fn.addEnvironment('SCHEDULE_GROUP', this.group.scheduleGroupName);
    fn.addEnvironment('SCHEDULER_ROLE_ARN', this.schedulerRole.roleArn);
    fn.addEnvironment('SCHEDULE_DLQ_ARN', this.deadLetterQueue.queueArn);
    this.grantManageSchedules(fn);
    if (fn.role) {
      Validations.of(fn.role).acknowledge({
        id: `AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:scheduler:<AWS::Region>:<AWS::AccountId>:schedule/${this.group.scheduleGroupName}/*]`,
        reason:
          "One schedule per pending termination, named when the termination arrives: the statement names the schedules of this stack's own group, and no other group.",
      });
    }
  }
}
