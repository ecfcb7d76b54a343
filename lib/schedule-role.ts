// The role an EventBridge Scheduler schedule assumes to invoke one function: only Scheduler of
// this account's default group may assume it (no confused deputy), and it may invoke that
// function only (LambdaInvoke grants it).
import { Stack, Validations } from 'aws-cdk-lib';
import { Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import type { CfnFunction, IFunction } from 'aws-cdk-lib/aws-lambda';
import type { Construct } from 'constructs';

export function scheduleRoleFor(scope: Construct, id: string, fn: IFunction, what: string): Role {
  const stack = Stack.of(scope);
  const role = new Role(scope, id, {
    description: `scimitar: EventBridge Scheduler invokes the ${what}`,
    assumedBy: new ServicePrincipal('scheduler.amazonaws.com', {
      conditions: {
        StringEquals: {
          'aws:SourceAccount': stack.account,
          'aws:SourceArn': stack.formatArn({
            service: 'scheduler',
            resource: 'schedule-group',
            resourceName: 'default',
          }),
        },
      },
    }),
  });
  Validations.of(role).acknowledge({
    id: `AwsSolutions-IAM5[Resource::<${stack.getLogicalId(fn.node.defaultChild as CfnFunction)}.Arn>:*]`,
    reason: `LambdaInvoke's grantInvoke lets the schedule call the ${what} function's versions and aliases (function ARN with a qualifier); no other function.`,
  });
  return role;
}
