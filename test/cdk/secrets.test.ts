// The credentials outlive the stack: every secret the stack creates is retained on delete and on
// replacement, named under the stack (so a second stack deploys beside it), encrypted with a
// retained key; a secret named in the config is adopted, never created, and granted by its own ARN.
import { App } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  checkConfig,
  parseConfig,
  sourceSecretName,
  targetSecretName,
} from '../../lambdas/core/model/config.ts';
import { ScimitarStack } from '../../lib/scimitar-stack.ts';
import {
  actionsOf,
  type Built,
  build,
  configWith,
  logicalId,
  mentions,
  roleId,
  type Statement,
  stackArn,
  statementsOfRole,
  templateOf,
} from './fixture.ts';

const ADOPTED_KEY = 'arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab';

/** The four actions of Secrets Manager's rotation protocol, as the rotation role is granted them. */
const ROTATION_PROTOCOL = [
  'secretsmanager:DescribeSecret',
  'secretsmanager:GetSecretValue',
  'secretsmanager:PutSecretValue',
  'secretsmanager:UpdateSecretVersionStage',
];

function partialArn(name: string): unknown {
  return stackArn('secretsmanager', `:secret:${name}-??????`);
}

describe('TokenVault: secrets that survive the stack', () => {
  let built: Built;
  beforeAll(() => {
    built = build(
      configWith(
        [
          {
            id: 'apirot',
            rotation: { strategy: 'api', endpoint: 'https://apirot.example.com/token', everyDays: 7 },
          },
          {
            id: 'oauth',
            auth: {
              type: 'oauth2-client-credentials',
              tokenUrl: 'https://oauth.example.com/t',
              clientId: 'c',
            },
            rotation: { strategy: 'oauth2', everyDays: 45 },
          },
          { id: 'byhand', rotation: { strategy: 'manual', maxAgeDays: 60, warnDaysBefore: 10 } },
          {
            id: 'adopted',
            auth: { type: 'bearer', secretName: 'prod/named-token', secretKeyArn: ADOPTED_KEY },
          },
        ],
        {
          stackName: 'Idp',
          sources: [
            { id: 'bamboohr', kind: 'bamboohr' },
            { id: 'generic', kind: 'generic', secretName: 'hr/generic-signing-key' },
          ],
        },
      ),
    );
  });

  it('names the secrets it creates under the stack: <stackName>/targets/<id> and <stackName>/sources/<id>', () => {
    expect(built.config.targets.map(targetSecretName)).toEqual([
      'Idp/targets/apirot',
      'Idp/targets/oauth',
      'Idp/targets/byhand',
      'prod/named-token',
    ]);
    expect(built.config.sources.map(sourceSecretName)).toEqual([
      'Idp/sources/bamboohr',
      'hr/generic-signing-key',
    ]);
    for (const id of ['apirot', 'oauth', 'byhand']) {
      templateOf(built.stack.vault.targetSecret(id)).hasResourceProperties('AWS::SecretsManager::Secret', {
        Name: `Idp/targets/${id}`,
        KmsKeyId: Match.anyValue(),
      });
    }
    built.template.hasResourceProperties('AWS::SecretsManager::Secret', { Name: 'Idp/sources/bamboohr' });
  });

  it('retains every secret it creates, and their key, on stack deletion and on replacement', () => {
    const retained = { DeletionPolicy: 'Retain', UpdateReplacePolicy: 'Retain' };
    const created = ['apirot', 'oauth', 'byhand'].map((id) => built.stack.vault.targetSecret(id));
    for (const secret of created) {
      const template = templateOf(secret);
      expect(template.findResources('AWS::SecretsManager::Secret')[logicalId(secret)]).toMatchObject(
        retained,
      );
    }
    const sources = built.template.findResources('AWS::SecretsManager::Secret');
    expect(Object.values(sources)).toHaveLength(1);
    for (const source of Object.values(sources)) expect(source).toMatchObject(retained);
    expect(
      built.template.findResources('AWS::KMS::Key')[logicalId(built.stack.vault.encryptionKey)],
    ).toMatchObject(retained);
  });

  it('adopts a secret named in the config: creates none for it and grants the readers that secret by its ARN', () => {
    const shards = built.stack.fleet.shards;
    const allSecrets = [built.template, ...[...shards.values()].map((s) => Template.fromStack(s))].flatMap(
      (t) => Object.values(t.findResources('AWS::SecretsManager::Secret')).map((r) => r.Properties.Name),
    );
    expect(allSecrets.sort()).toEqual([
      'Idp/sources/bamboohr',
      'Idp/targets/apirot',
      'Idp/targets/byhand',
      'Idp/targets/oauth',
    ]);
    for (const fn of [
      built.stack.fleet.worker,
      built.stack.reconciler.function,
      built.stack.credentials.canaryFunction,
    ]) {
      const statements = statementsOfRole(built.template, roleId(fn));
      expect(statements, fn.node.path).toContainEqual({
        Effect: 'Allow',
        Action: ['secretsmanager:GetSecretValue', 'secretsmanager:DescribeSecret'],
        Resource: partialArn('prod/named-token'),
      });
      // Its customer-managed key, only through Secrets Manager.
      expect(statements, fn.node.path).toContainEqual(
        expect.objectContaining({
          Action: 'kms:Decrypt',
          Resource: ADOPTED_KEY,
          Condition: { StringEquals: { 'kms:ViaService': expect.anything() } },
        }),
      );
    }
    const ingest = statementsOfRole(built.template, roleId(built.stack.ingestApi.ingestFunction));
    expect(ingest).toContainEqual({
      Effect: 'Allow',
      Action: ['secretsmanager:GetSecretValue', 'secretsmanager:DescribeSecret'],
      Resource: partialArn('hr/generic-signing-key'),
    });
  });

  it('lets the ingest function read the source secrets and no target secret', () => {
    const reads = statementsOfRole(built.template, roleId(built.stack.ingestApi.ingestFunction)).filter((s) =>
      actionsOf(s).includes('secretsmanager:GetSecretValue'),
    );
    expect(mentions(reads, logicalId(built.stack.vault.sourceSecret('bamboohr')))).toBe(true);
    expect(JSON.stringify(reads)).not.toContain('/targets/');
    expect(JSON.stringify(reads)).not.toContain('prod/named-token');
  });

  it('rotates api and oauth2 targets through the rotation function, only secrets with the rotation tag', () => {
    const rotationFn = built.stack.credentials.rotationFunction;
    if (!rotationFn) throw new Error('expected a rotation function');
    for (const [id, days] of [
      ['apirot', 7],
      ['oauth', 45],
    ] as const) {
      const secret = built.stack.vault.targetSecret(id);
      const template = templateOf(secret);
      const schedules = Object.values(template.findResources('AWS::SecretsManager::RotationSchedule')).filter(
        (s) => s.Properties.SecretId.Ref === logicalId(secret),
      );
      expect(schedules).toHaveLength(1);
      expect(schedules[0]?.Properties.RotationRules).toEqual({ ScheduleExpression: `rate(${days} days)` });
      expect(JSON.stringify(schedules[0]?.Properties.RotationLambdaARN)).toMatch(
        /"Ref":"\w*RotationFunction\w*"/,
      );
      template.hasResourceProperties('AWS::SecretsManager::Secret', {
        Name: `Idp/targets/${id}`,
        Tags: [{ Key: 'scimitar:target', Value: id }],
      });
    }
    const protocol: Statement[] = statementsOfRole(built.template, roleId(rotationFn)).filter((s) =>
      actionsOf(s).includes('secretsmanager:PutSecretValue'),
    );
    expect(protocol).toEqual([
      {
        Effect: 'Allow',
        Action: ROTATION_PROTOCOL,
        Resource: stackArn('secretsmanager', ':secret:Idp/targets/*'),
        Condition: { Null: { 'secretsmanager:ResourceTag/scimitar:target': 'false' } },
      },
    ]);
    // A manual target's secret has no rotation tag: the rotation function cannot change it.
    templateOf(built.stack.vault.targetSecret('byhand')).hasResourceProperties(
      'AWS::SecretsManager::Secret',
      {
        Name: 'Idp/targets/byhand',
        Tags: Match.absent(),
      },
    );
    built.template.hasResourceProperties('AWS::Lambda::Permission', {
      FunctionName: { 'Fn::GetAtt': [logicalId(rotationFn), 'Arn'] },
      Principal: 'secretsmanager.amazonaws.com',
      SourceAccount: { Ref: 'AWS::AccountId' },
    });
  });

  it('deploys a second stack with another name beside the first: no name in common', () => {
    const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
    const names = ['Prod', 'Prod-eu'].map((stackName) => {
      const config = parseConfig(configWith([{ id: 'app' }], { stackName }));
      const stack = new ScimitarStack(app, stackName, { config });
      return [
        targetSecretName(config.targets[0] as never),
        ...config.sources.map(sourceSecretName),
        stack.fleet.laneQueueArnPattern(),
      ];
    });
    expect(names[0]?.slice(0, 2)).toEqual(['Prod/targets/app', 'Prod/sources/generic']);
    expect(names[1]?.slice(0, 2)).toEqual(['Prod-eu/targets/app', 'Prod-eu/sources/generic']);
    expect(() => app.synth()).not.toThrow();
  }, 180_000);
});

describe('CredentialRotation: an adopted secret that rotates', () => {
  let built: Built;
  beforeAll(() => {
    built = build(
      configWith([
        {
          id: 'minted',
          auth: { type: 'bearer', secretName: 'prod/minted-token', secretKeyArn: ADOPTED_KEY },
          rotation: { strategy: 'api', endpoint: 'https://minted.example.com/token', everyDays: 7 },
        },
        { id: 'kept', auth: { type: 'bearer', secretName: 'prod/kept-token' } },
      ]),
    );
  });

  it('grants the rotation function the protocol on that secret by its ARN, and its key through Secrets Manager only', () => {
    const rotationFn = built.stack.credentials.rotationFunction;
    if (!rotationFn) throw new Error('expected a rotation function');
    const statements = statementsOfRole(built.template, roleId(rotationFn));
    // The adopted secret carries no rotation tag, so the tag-conditioned grant cannot cover it.
    expect(statements).toContainEqual({
      Effect: 'Allow',
      Action: ROTATION_PROTOCOL,
      Resource: partialArn('prod/minted-token'),
    });
    expect(statements).toContainEqual({
      Effect: 'Allow',
      Action: ['kms:Decrypt', 'kms:GenerateDataKey'],
      Resource: ADOPTED_KEY,
      Condition: { StringEquals: { 'kms:ViaService': expect.anything() } },
    });
    // An adopted secret that does not rotate ('manual') is not the rotation function's business.
    expect(JSON.stringify(statements)).not.toContain('prod/kept-token');
    const schedules = [
      built.template,
      ...[...built.stack.fleet.shards.values()].map((s) => Template.fromStack(s)),
    ]
      .flatMap((t) => Object.values(t.findResources('AWS::SecretsManager::RotationSchedule')))
      .map((r) => JSON.stringify(r.Properties.SecretId));
    expect(schedules).toHaveLength(1);
    expect(schedules[0]).toContain('prod/minted-token');
  });
});

describe('config: adopting an existing secret', () => {
  const base = (auth: Record<string, unknown>) =>
    configWith([{ id: 'app', auth: { type: 'bearer', ...auth } }]);

  it('refuses existingSecret without a name to adopt', () => {
    expect(checkConfig(base({ existingSecret: true })).join('\n')).toMatch(
      /targets\[0\].*auth\.secretName.*is required when existingSecret is true/,
    );
  });

  it('refuses a key for a secret the stack creates itself', () => {
    expect(checkConfig(base({ secretKeyArn: ADOPTED_KEY })).join('\n')).toMatch(
      /secretKeyArn.*applies only to an adopted secret/,
    );
  });

  it('refuses a key that is not a KMS key ARN', () => {
    expect(checkConfig(base({ secretName: 'x', secretKeyArn: 'alias/mine' })).join('\n')).toMatch(
      /must be a KMS key ARN/,
    );
  });

  it('parses its own output to the same config (the functions parse the inlined config again)', () => {
    const once = parseConfig(base({ secretName: 'prod/app' }));
    expect(parseConfig(once)).toEqual(once);
    const own = parseConfig(base({}));
    expect(parseConfig(own)).toEqual(own);
    expect(own.targets[0]).toMatchObject({
      auth: { secretName: 'Scimitar/targets/app', existingSecret: false },
    });
    expect(once.targets[0]).toMatchObject({ auth: { secretName: 'prod/app', existingSecret: true } });
  });
});
