// The stack's outputs as the local runtime answers DescribeStacks, and the Query protocol's XML:
// a template written here, so each rule of the local names is seen on its own.
import { describe, expect, it } from 'vitest';
import { HostedFunctions } from '../../../local/aws-endpoint/hosted-functions.ts';
import { localOutputs, localResources } from '../../../local/aws-endpoint/names.ts';
import { AwsApiError, signedBy, toXml } from '../../../local/aws-endpoint/protocol.ts';

const template = {
  Resources: {
    OperatorFn: { Type: 'AWS::Lambda::Function', Properties: { FunctionName: 'Acme-operator' } },
    CanaryFn: { Type: 'AWS::Lambda::Function', Properties: {} },
    StateTable: { Type: 'AWS::DynamoDB::Table', Properties: {} },
    OperatorPolicy: { Type: 'AWS::IAM::ManagedPolicy', Properties: {} },
    Bucket: { Type: 'AWS::S3::Bucket', Properties: {} },
  },
  Outputs: {
    OperatorFunctionName: { Value: { Ref: 'OperatorFn' } },
    CanaryFunctionName: { Value: { Ref: 'CanaryFn' }, Description: 'the canary' },
    CanaryFunctionArn: { Value: { 'Fn::GetAtt': ['CanaryFn', 'Arn'] } },
    StateTableName: { Value: { Ref: 'StateTable' } },
    OperatorPolicyArn: { Value: { Ref: 'OperatorPolicy' } },
    BucketName: { Value: { Ref: 'Bucket' } },
    LaneQueueUrlPrefix: {
      Value: {
        'Fn::Join': [
          '',
          [
            'https://sqs.',
            { Ref: 'AWS::Region' },
            '.',
            { Ref: 'AWS::URLSuffix' },
            '/',
            { Ref: 'AWS::AccountId' },
            '/Acme_lane_',
          ],
        ],
      },
    },
    DeadLetterQueueArnPrefix: {
      Value: {
        'Fn::Join': [
          '',
          ['arn:aws:sqs:', { Ref: 'AWS::Region' }, ':', { Ref: 'AWS::AccountId' }, ':Acme_dlq_'],
        ],
      },
    },
  },
};
const stack = {
  templates: [{ template }],
  functions: {
    'arn:aws:lambda:local:000000000000:function:OperatorFn': { entry: 'operator', environment: {} },
    'arn:aws:lambda:local:000000000000:function:CanaryFn': { entry: 'canary', environment: {} },
  },
} as never;
const topology = {
  tables: [{ ref: 'arn:aws:dynamodb:local:000000000000:StateTable', partitionKey: 'pk' }],
  stateMachines: [],
};

describe('local AWS endpoint: the outputs DescribeStacks answers', () => {
  const outputs = Object.fromEntries(
    localOutputs(stack, {
      resources: localResources(stack, topology, 'Acme'),
      queueUrlPrefix: 'http://127.0.0.1:8787/000000000000/',
      queueArnPrefix: 'arn:aws:sqs:us-east-1:000000000000:',
    }).map((o) => [o.OutputKey, o.OutputValue]),
  );

  it("names a function by the template's FunctionName, else by CloudFormation's pattern without its suffix", () => {
    expect(outputs.OperatorFunctionName).toBe('Acme-operator');
    expect(outputs.CanaryFunctionName).toBe('Acme-CanaryFn');
    expect(outputs.CanaryFunctionArn).toBe('arn:aws:lambda:local:000000000000:function:Acme-CanaryFn');
  });

  it("names the state table as the runtime's dynalite does, and the managed policy by its ARN", () => {
    expect(outputs.StateTableName).toBe('state');
    expect(outputs.OperatorPolicyArn).toBe('arn:aws:iam::000000000000:policy/Acme-OperatorPolicy');
  });

  it('points queue URL prefixes at the runtime and queue ARNs at the local queue service', () => {
    expect(outputs.LaneQueueUrlPrefix).toBe('http://127.0.0.1:8787/000000000000/Acme_lane_');
    expect(outputs.DeadLetterQueueArnPrefix).toBe('arn:aws:sqs:us-east-1:000000000000:Acme_dlq_');
  });

  it('leaves out an output naming a resource the runtime does not host, rather than a placeholder', () => {
    expect(outputs).not.toHaveProperty('BucketName');
  });

  it('invokes a hosted function by name or ARN, and refuses one that is not hosted as Lambda does', async () => {
    const functions = new HostedFunctions(stack, 'Acme');
    functions.register('operator', async (payload) => ({ echoed: payload }));
    await expect(functions.resolve('Acme-operator')({ op: 'x' })).resolves.toEqual({ echoed: { op: 'x' } });
    expect(
      functions.resolve('arn:aws:lambda:us-east-1:000000000000:function:Acme-operator:$LATEST'),
    ).toBeTypeOf('function');
    expect(() => functions.resolve('Acme-CanaryFn')).toThrow(AwsApiError);
    expect(() => functions.resolve('Acme-CanaryFn')).toThrow('is not invocable in the local runtime');
    expect(() => functions.register('worker', async () => null)).toThrow('the stack has no worker function');
  });
});

describe('local AWS endpoint: the wire', () => {
  it('recognises a SigV4 request by its credential scope, and nothing else', () => {
    const authorization =
      'AWS4-HMAC-SHA256 Credential=local/20260701/us-east-1/monitoring/aws4_request, SignedHeaders=host, Signature=ab';
    expect(signedBy({ headers: { authorization } })).toEqual({
      accessKeyId: 'local',
      region: 'us-east-1',
      service: 'monitoring',
    });
    expect(signedBy({ headers: { authorization: 'Bearer x' } })).toBeUndefined();
    expect(signedBy({ headers: {} })).toBeUndefined();
  });

  it('writes Query protocol XML with lists as members and text escaped', () => {
    expect(toXml({ Outputs: [{ OutputKey: 'A', OutputValue: '<x & "y">' }] })).toBe(
      '<Outputs><member><OutputKey>A</OutputKey><OutputValue>&lt;x &amp; &quot;y&quot;&gt;</OutputValue></member></Outputs>',
    );
  });
});
