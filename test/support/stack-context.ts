// A StackContext built by hand for the CLI's tests: DynamoDB on dynalite and SQS on fauxqs (real
// APIs on loopback), and SDK clients for the services the test mocks with aws-sdk-client-mock.
import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { LambdaClient } from '@aws-sdk/client-lambda';
import { SFNClient } from '@aws-sdk/client-sfn';
import type { SQSClient } from '@aws-sdk/client-sqs';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { StackContext } from '../../local/cli/stack.ts';
import { UsageError } from '../../local/send-event.ts';

const LOCAL = { region: 'us-east-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } };

export function testStackContext(parts: {
  readonly dynamo: DynamoDBDocumentClient;
  readonly sqs: SQSClient;
  readonly outputs: Record<string, string>;
  readonly stackName?: string;
  readonly caller?: string;
}): StackContext {
  const stackName = parts.stackName ?? 'Scimitar';
  return {
    stackName,
    region: 'us-east-1',
    local: true,
    outputs: parts.outputs,
    dynamo: parts.dynamo,
    sqs: parts.sqs,
    lambda: new LambdaClient(LOCAL),
    cloudwatch: new CloudWatchClient(LOCAL),
    sfn: new SFNClient(LOCAL),
    output(name) {
      const value = parts.outputs[name];
      if (value === undefined) throw new UsageError(`stack ${stackName} has no output ${name}`);
      return value;
    },
    whoami: async () => parts.caller ?? 'arn:aws:iam::000000000000:user/tester',
  };
}
