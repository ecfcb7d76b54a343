// Where far-future terminations wait: a schedule group of this stack holding one EventBridge
// Scheduler one-time schedule per pending termination, and the role the scheduler assumes to
// start the workflow execution at the effective time. No workflow timeout or Wait is in the way.
import { Stack, Validations } from 'aws-cdk-lib';
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
import type { IStateMachine } from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';

/** A function that receives the group and role in its environment. */
type BindableFunction = IFunction & { addEnvironment(key: string, value: string): unknown };

export interface TerminationSchedulesProps {
  /** The state machine a schedule starts (states:StartExecution on it only). */
  readonly stateMachine: IStateMachine;
}

export class TerminationSchedules extends Construct {
  /** The stack's own schedule group: `<stackName>-terminations`. */
  public readonly group: ScheduleGroup;
  /** Assumed by EventBridge Scheduler (this account only) to start the workflow. */
  public readonly schedulerRole: IRole;

  constructor(scope: Construct, id: string, props: TerminationSchedulesProps) {
    super(scope, id);
    const stack = Stack.of(this);
    this.group = new ScheduleGroup(this, 'Group', { scheduleGroupName: `${stack.stackName}-terminations` });
    this.schedulerRole = new Role(this, 'SchedulerRole', {
      description: 'EventBridge Scheduler: starts a scimitar revocation at its effective time',
      assumedBy: new ServicePrincipal('scheduler.amazonaws.com', {
        conditions: { StringEquals: { 'aws:SourceAccount': stack.account } },
      }),
    });
    props.stateMachine.grantStartExecution(this.schedulerRole);
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

  /** Sets `SCHEDULE_GROUP` and `SCHEDULER_ROLE_ARN` in the function's environment and grants {@link grantManageSchedules}. */
  public bind(fn: BindableFunction): void {
    fn.addEnvironment('SCHEDULE_GROUP', this.group.scheduleGroupName);
    fn.addEnvironment('SCHEDULER_ROLE_ARN', this.schedulerRole.roleArn);
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
