// PLACEHOLDER until the endpoint part's local/cli/stack.ts is merged (take theirs at the merge):
// the StackContext contract of BRIEF-15, so the commands and their unit tests compile against it.
import type { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import type { LambdaClient } from '@aws-sdk/client-lambda';
import type { SFNClient } from '@aws-sdk/client-sfn';
import type { SQSClient } from '@aws-sdk/client-sqs';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { UsageError } from '../send-event.ts';
import type { Args } from './context.ts';

export interface StackContext {
  readonly stackName: string;
  readonly region: string;
  readonly local: boolean;
  readonly outputs: Readonly<Record<string, string>>;
  readonly dynamo: DynamoDBDocumentClient;
  readonly sqs: SQSClient;
  readonly lambda: LambdaClient;
  readonly cloudwatch: CloudWatchClient;
  readonly sfn: SFNClient;
  output(name: string): string;
  whoami(): Promise<string>;
}

export async function openStack(_args: Args): Promise<StackContext> {
  throw new UsageError('the StackContext is not merged yet');
}

export async function awsCall<T>(
  _ctx: StackContext,
  action: string,
  resource: string,
  call: () => Promise<T>,
): Promise<T> {
  try {
    return await call();
  } catch (err) {
    throw new UsageError(`${action} on ${resource} failed: ${(err as Error).message}`);
  }
}
