// The stack an operator command works on, reached only through AWS APIs with the SDK: a deployed
// stack (`--stack NAME [--region R] [--endpoint-url URL]`, credentials from the standard chain)
// or the local runtime (no --stack: its URL, `--url`, is the endpoint of every service, with the
// runtime's fixed local credentials). Resources are found from the stack's outputs. Every call
// goes through awsCall, which turns the SDK's failures into a line a person can act on.
import { CloudFormationClient, DescribeStacksCommand, type Stack } from '@aws-sdk/client-cloudformation';
import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { SFNClient } from '@aws-sdk/client-sfn';
import { SQSClient } from '@aws-sdk/client-sqs';
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { documentClient } from '../../lambdas/aws/adapters/dynamo-audit-log.ts';
import { LOCAL_CREDENTIALS, LOCAL_REGION } from '../runtime-defaults.ts';
import { notAnswering, UsageError } from '../send-event.ts';
import { localSqsClient } from '../sqs-client.ts';
import { type Args, baseUrl } from './context.ts';

export interface StackContext {
  readonly stackName: string;
  readonly region: string;
  /** The endpoint is a local runtime. */
  readonly local: boolean;
  /** The endpoint every client calls, when not AWS's own. */
  readonly endpoint?: string;
  /** CloudFormation outputs of the stack. */
  readonly outputs: Readonly<Record<string, string>>;
  readonly dynamo: DynamoDBDocumentClient;
  readonly sqs: SQSClient;
  readonly lambda: LambdaClient;
  readonly cloudwatch: CloudWatchClient;
  readonly sfn: SFNClient;
  /** An output's value; a UsageError naming the output and the stack if the stack has none. */
  output(name: string): string;
  /** The caller's ARN (STS); locally arn:aws:iam::000000000000:user/<$USER or "local">. */
  whoami(): Promise<string>;
}

/** Where calls go, for the error messages (a StackContext, or one being opened). */
type Where = Pick<StackContext, 'stackName' | 'region' | 'local' | 'endpoint'> & {
  readonly outputs?: Readonly<Record<string, string>>;
};

/** Opens the stack `--stack` names (or the local runtime's): reads its outputs, builds the clients. */
export async function openStack(args: Args): Promise<StackContext> {
  const local = args.stack === undefined;
  if (local && (args.region !== undefined || args['endpoint-url'] !== undefined))
    throw new UsageError(
      '--region and --endpoint-url go with --stack NAME; the local runtime takes --url',
      2,
    );
  if (!local && args.url !== undefined)
    throw new UsageError(
      '--url names a local runtime; with --stack NAME, use --endpoint-url for another endpoint',
      2,
    );
  if (!local && !args.stack) throw new UsageError('--stack needs the name of a deployed scimitar stack', 2);
  const endpoint = local ? new URL(baseUrl(args)).origin : args['endpoint-url'];
  const settings = {
    ...(endpoint ? { endpoint } : {}),
    ...(local ? { region: LOCAL_REGION, credentials: LOCAL_CREDENTIALS, maxAttempts: 1 } : {}),
    ...(args.region ? { region: args.region } : {}),
  };
  const cloudformation = new CloudFormationClient(settings);
  const region = await cloudformation.config.region().catch(() => {
    throw new UsageError(
      'no AWS region: pass --region R, or set AWS_REGION (or a region in your AWS profile)',
      2,
    );
  });
  const where: Where = {
    stackName: args.stack ?? 'the local stack',
    region,
    local,
    ...(endpoint ? { endpoint } : {}),
  };
  const stack = await describeStack(cloudformation, where, args.stack).finally(() =>
    cloudformation.destroy(),
  );
  const outputs = Object.fromEntries(
    (stack.Outputs ?? []).flatMap((o) =>
      o.OutputKey && o.OutputValue !== undefined ? [[o.OutputKey, o.OutputValue]] : [],
    ),
  );
  const withRegion = { ...settings, region };
  const context: StackContext = {
    ...where,
    stackName: stack.StackName ?? where.stackName,
    outputs,
    dynamo: documentClient(new DynamoDBClient(withRegion)),
    sqs: local ? localSqsClient(withRegion) : new SQSClient(withRegion),
    lambda: new LambdaClient(withRegion),
    cloudwatch: new CloudWatchClient(withRegion),
    sfn: new SFNClient(withRegion),
    output: (name) => {
      const value = outputs[name];
      if (value !== undefined) return value;
      throw new UsageError(
        local
          ? `the local runtime's stack "${context.stackName}" has no output ${name}: the runtime hosts no such resource (restart it after updating scimitar)`
          : `the stack "${context.stackName}" in ${region} has no output ${name}: deploy the current version of scimitar (cdk deploy), whose stack has it`,
      );
    },
    whoami: async () => {
      const sts = new STSClient(withRegion);
      try {
        const identity = await awsCall(context, 'sts:GetCallerIdentity', 'the caller', () =>
          sts.send(new GetCallerIdentityCommand({})),
        );
        return identity.Arn ?? 'unknown';
      } finally {
        sts.destroy();
      }
    },
  };
  return context;
}

async function describeStack(
  client: CloudFormationClient,
  where: Where,
  name: string | undefined,
): Promise<Stack> {
  const resource = name ? `stack ${name}` : 'the local stack';
  const { Stacks = [] } = await awsCall(where, 'cloudformation:DescribeStacks', resource, () =>
    client.send(new DescribeStacksCommand(name ? { StackName: name } : {})),
  ).catch((err: unknown) => {
    // CloudFormation says an unknown stack with a ValidationError whose message names it.
    if (name && err instanceof Error && /does not exist/.test(err.message))
      throw new UsageError(
        `no stack "${name}" in ${where.region}${where.endpoint ? ` at ${where.endpoint}` : ''}: check --stack and --region (a stack lives in one region; \`aws cloudformation list-stacks\` lists them)`,
      );
    throw err;
  });
  const [stack] = Stacks;
  if (!stack) throw new UsageError(`no stack answers at ${where.endpoint ?? where.region}`);
  return stack;
}

/** SDK error names a refused call comes back with, across the services' protocols. */
const REFUSED = new Set([
  'AccessDenied',
  'AccessDeniedException',
  'AuthorizationError',
  'AuthorizationErrorException',
  'UnauthorizedOperation',
]);
/** Network failures: nothing answers at the endpoint. */
const UNREACHABLE = new Set([
  'ECONNREFUSED',
  'ENOTFOUND',
  'EAI_AGAIN',
  'ECONNRESET',
  'ETIMEDOUT',
  'EHOSTUNREACH',
]);

/**
 * Runs one AWS call; turns failures into a UsageError a person can act on: no credentials, no
 * region, not authorised (the action and resource named, and the operator policy to attach),
 * credentials expired or unknown, the endpoint not answering. Anything else is the SDK's error.
 * SDK exceptions are told apart by `name`: each service has its own AccessDenied class, and the
 * credential providers' errors come from packages this one does not depend on.
 */
export async function awsCall<T>(
  ctx: Where,
  action: string,
  resource: string,
  call: () => Promise<T>,
): Promise<T> {
  try {
    return await call();
  } catch (err) {
    throw explain(err, ctx, action, resource);
  }
}

function explain(err: unknown, ctx: Where, action: string, resource: string): unknown {
  if (!(err instanceof Error) || err instanceof UsageError) return err;
  const e = err as Error & {
    code?: string;
    $metadata?: { httpStatusCode?: number };
    cause?: { code?: string };
  };
  const failure = (message: string) => Object.assign(new UsageError(message), { cause: err });
  if (e.name === 'CredentialsProviderError' || /Could not load credentials/i.test(e.message))
    return failure(
      `no AWS credentials for ${action}: set AWS_PROFILE (after \`aws sso login\` for an SSO profile), or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or run where a role is attached`,
    );
  if (/Region is missing/i.test(e.message))
    return failure('no AWS region: pass --region R, or set AWS_REGION (or a region in your AWS profile)');
  if (REFUSED.has(e.name) || (e.$metadata?.httpStatusCode === 403 && !UNREACHABLE.has(e.code ?? ''))) {
    const policy = ctx.outputs?.OperatorPolicyArn;
    return failure(
      `not authorised: ${action} on ${resource}; attach the stack's operator policy (output OperatorPolicyArn${policy ? `: ${policy}` : ''}) to your role or user${ctx.local ? ' (the local runtime takes only its local credentials)' : ''}`,
    );
  }
  if (['ExpiredToken', 'ExpiredTokenException', 'RequestExpired'].includes(e.name))
    return failure(
      `the AWS credentials expired: renew them (\`aws sso login\`, or new keys) and run ${action} again`,
    );
  if (
    [
      'InvalidClientTokenId',
      'UnrecognizedClientException',
      'InvalidSignatureException',
      'SignatureDoesNotMatch',
    ].includes(e.name)
  )
    return failure(
      `AWS does not accept these credentials (${e.name}): check AWS_PROFILE or the access key in use`,
    );
  const code = e.code ?? e.cause?.code ?? '';
  if (UNREACHABLE.has(code) || e.name === 'TimeoutError') {
    if (ctx.local && ctx.endpoint) return failure(notAnswering(ctx.endpoint));
    return failure(
      `nothing answers at ${ctx.endpoint ?? `AWS in ${ctx.region}`} (${code || e.name}) for ${action}: check ${ctx.endpoint ? '--endpoint-url' : 'the network and --region'}`,
    );
  }
  return err;
}

/**
 * Invokes the function an output names with a JSON payload and returns its JSON answer; a
 * function error is a UsageError with its type and message.
 */
export async function invokeFunction<T>(ctx: StackContext, outputName: string, payload: unknown): Promise<T> {
  const name = ctx.output(outputName);
  const answer = await awsCall(ctx, 'lambda:InvokeFunction', `function ${name}`, () =>
    ctx.lambda.send(new InvokeCommand({ FunctionName: name, Payload: Buffer.from(JSON.stringify(payload)) })),
  );
  const text = answer.Payload ? Buffer.from(answer.Payload).toString('utf8') : 'null';
  const body = JSON.parse(text || 'null') as unknown;
  if (answer.FunctionError) {
    const { errorType, errorMessage } = (body ?? {}) as { errorType?: string; errorMessage?: string };
    throw new UsageError(`${name} failed: ${errorType ?? answer.FunctionError}: ${errorMessage ?? text}`);
  }
  return body as T;
}

/** Closes the clients (a command that ends should not keep sockets open). */
export function closeStack(ctx: StackContext): void {
  for (const client of [ctx.dynamo, ctx.sqs, ctx.lambda, ctx.cloudwatch, ctx.sfn]) client.destroy();
}
