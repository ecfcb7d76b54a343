// What an operator reads when the CLI cannot reach or use a stack: the stack context's AWS
// path (--stack, --endpoint-url) against a started local runtime with the real SDK clients and
// the standard credential chain, and the runtime's own path with nothing answering.
import { createServer } from 'node:net';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Args } from '../../../local/cli/context.ts';
import { awsCall, closeStack, openStack } from '../../../local/cli/stack.ts';
import { startTestRuntime } from '../../support/local-runtime.ts';

type Runtime = Awaited<ReturnType<typeof startTestRuntime>>;

/** The credential chain's inputs, none of them set: no keys, no profile, no files, no IMDS. */
const NO_CREDENTIALS = {
  AWS_ACCESS_KEY_ID: undefined,
  AWS_SECRET_ACCESS_KEY: undefined,
  AWS_SESSION_TOKEN: undefined,
  AWS_PROFILE: undefined,
  AWS_WEB_IDENTITY_TOKEN_FILE: undefined,
  AWS_CONTAINER_CREDENTIALS_RELATIVE_URI: undefined,
  AWS_CONTAINER_CREDENTIALS_FULL_URI: undefined,
  AWS_CONFIG_FILE: '/nonexistent/aws-config',
  AWS_SHARED_CREDENTIALS_FILE: '/nonexistent/aws-credentials',
  AWS_EC2_METADATA_DISABLED: 'true',
};

async function withEnv<T>(vars: Record<string, string | undefined>, work: () => Promise<T>): Promise<T> {
  const saved = Object.fromEntries(Object.keys(vars).map((k) => [k, process.env[k]]));
  const set = (values: Record<string, string | undefined>) => {
    for (const [k, v] of Object.entries(values)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  };
  set(vars);
  try {
    return await work();
  } finally {
    set(saved);
  }
}

const keys = (id: string) => ({ ...NO_CREDENTIALS, AWS_ACCESS_KEY_ID: id, AWS_SECRET_ACCESS_KEY: 'secret' });

/** A loopback port nothing listens on. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((listening) => server.listen(0, '127.0.0.1', listening));
  const { port } = server.address() as { port: number };
  await new Promise<void>((closed) => server.close(() => closed()));
  return port;
}

describe('stack context: what an operator is told when the stack cannot be used', () => {
  let runtime: Runtime;
  let stackArgs: (stack: string) => Args;
  beforeAll(async () => {
    runtime = await startTestRuntime({ canary: false, reconcileOnSchedule: false });
    stackArgs = (stack) => ({ stack, region: 'eu-west-1', 'endpoint-url': runtime.url }) as Args;
  }, 120_000);
  afterAll(async () => runtime?.stop());

  it('opens a stack by name at another endpoint with credentials from the standard chain (the AWS path)', async () => {
    const ctx = await withEnv(keys('local'), () => openStack(stackArgs(runtime.config.stackName)));
    expect(ctx.local).toBe(false);
    expect(ctx.region).toBe('eu-west-1');
    expect(ctx.output('StateTableName')).toBe('state');
    closeStack(ctx);
  });

  it('fails on a stack that does not exist, naming it, the region and what to check', async () => {
    await expect(withEnv(keys('local'), () => openStack(stackArgs('NoSuchStack')))).rejects.toThrow(
      `no stack "NoSuchStack" in eu-west-1 at ${runtime.url}: check --stack and --region`,
    );
  });

  it('refuses without credentials, saying where they come from', async () => {
    await expect(
      withEnv(NO_CREDENTIALS, () => openStack(stackArgs(runtime.config.stackName))),
    ).rejects.toThrow(
      /^no AWS credentials for cloudformation:DescribeStacks: set AWS_PROFILE .* or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY/,
    );
  });

  it('refuses without a region, saying where one comes from', async () => {
    const args = { stack: runtime.config.stackName, 'endpoint-url': runtime.url } as Args;
    const env = { ...keys('local'), AWS_REGION: undefined, AWS_DEFAULT_REGION: undefined };
    await expect(withEnv(env, () => openStack(args))).rejects.toThrow(
      'no AWS region: pass --region R, or set AWS_REGION (or a region in your AWS profile)',
    );
  });

  it('refuses a caller the stack does not authorise, naming the action, the resource and the policy to attach', async () => {
    await expect(
      withEnv(keys('intruder'), () => openStack(stackArgs(runtime.config.stackName))),
    ).rejects.toThrow(
      `not authorised: cloudformation:DescribeStacks on stack ${runtime.config.stackName}; attach the stack's operator policy (output OperatorPolicyArn)`,
    );
  });

  it('refuses a DynamoDB call of a caller without the policy (the proxied services refuse too)', async () => {
    const ctx = await openStack({ url: runtime.url } as Args);
    const intruder = DynamoDBDocumentClient.from(
      new DynamoDBClient({
        endpoint: runtime.url,
        region: 'us-east-1',
        credentials: { accessKeyId: 'intruder', secretAccessKey: 'secret' },
      }),
    );
    const query = () =>
      intruder.send(
        new QueryCommand({
          TableName: ctx.output('StateTableName'),
          KeyConditionExpression: 'pk = :pk',
          ExpressionAttributeValues: { ':pk': 'TARGET#x' },
        }),
      );
    await expect(awsCall(ctx, 'dynamodb:Query', 'table state', query)).rejects.toThrow(
      `not authorised: dynamodb:Query on table state; attach the stack's operator policy (output OperatorPolicyArn: ${ctx.output('OperatorPolicyArn')}) to your role or user (the local runtime takes only its local credentials)`,
    );
    intruder.destroy();
    closeStack(ctx);
  });

  it('fails when no local runtime answers at --url, saying how to start one', async () => {
    const url = `http://127.0.0.1:${await closedPort()}`;
    await expect(openStack({ url } as Args)).rejects.toThrow(
      `no scimitar runtime answers at ${url} (connection refused): start one with \`npm start\``,
    );
  });

  it('fails when nothing answers at --endpoint-url, naming the endpoint and the option', async () => {
    const url = `http://127.0.0.1:${await closedPort()}`;
    const args = { stack: 'Scimitar', region: 'eu-west-1', 'endpoint-url': url } as Args;
    await expect(withEnv(keys('local'), () => openStack(args))).rejects.toThrow(
      `nothing answers at ${url} (ECONNREFUSED) for cloudformation:DescribeStacks: check --endpoint-url`,
    );
  });

  it('refuses options that belong to the other place', async () => {
    await expect(openStack({ url: runtime.url, region: 'eu-west-1' } as Args)).rejects.toThrow(
      '--region and --endpoint-url go with --stack NAME; the local runtime takes --url',
    );
    await expect(openStack({ stack: 'Scimitar', url: runtime.url } as Args)).rejects.toThrow(
      '--url names a local runtime; with --stack NAME, use --endpoint-url',
    );
  });
});
