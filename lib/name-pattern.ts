// Grants on a name pattern: one statement for all of a stack's lanes or target secrets, whatever
// their number (a statement per resource would overflow IAM's 10,240-character limit for a role's
// inline policies at a few dozen targets). cdk-nag reports such a wildcard (AwsSolutions-IAM5);
// each is acknowledged here, on the grantee's role, with the reason it stays within the stack.
import { Validations } from 'aws-cdk-lib';
import { type IGrantable, PolicyStatement } from 'aws-cdk-lib/aws-iam';
import type { IConstruct } from 'constructs';

/** How cdk-nag spells a CloudFormation pseudo parameter inside a finding id. */
const NAG_PSEUDO = {
  partition: '<AWS::Partition>',
  region: '<AWS::Region>',
  account: '<AWS::AccountId>',
} as const;

export interface NamePattern {
  /** The ARN pattern, with deploy-time tokens (`Aws.PARTITION`, ...). */
  readonly arn: string;
  /** The same pattern as cdk-nag prints it, `<AWS::Partition>` for the partition and so on. */
  readonly nagArn: string;
}

/** `arn:<partition>:<service>:<region>:<account>:<resource pattern>` in both spellings. */
export function namePattern(
  tokens: { partition: string; region: string; account: string },
  service: string,
  resource: string,
): NamePattern {
  const arn = (p: { partition: string; region: string; account: string }) =>
    `arn:${p.partition}:${service}:${p.region}:${p.account}:${resource}`;
  return { arn: arn(tokens), nagArn: arn(NAG_PSEUDO) };
}

/**
 * Grants actions on every resource of a name pattern, and acknowledges cdk-nag's wildcard finding
 * for it on the grantee's role with `reason`.
 */
export function grantOnPattern(
  grantee: IGrantable,
  actions: string[],
  pattern: NamePattern,
  reason: string,
  conditions?: Record<string, Record<string, unknown>>,
): void {
  grantee.grantPrincipal.addToPrincipalPolicy(
    new PolicyStatement({ actions, resources: [pattern.arn], ...(conditions ? { conditions } : {}) }),
  );
  Validations.of(grantee.grantPrincipal as unknown as IConstruct).acknowledge({
    id: `AwsSolutions-IAM5[Resource::${pattern.nagArn}]`,
    reason,
  });
}
