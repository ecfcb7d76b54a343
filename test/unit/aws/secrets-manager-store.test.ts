import {
  DescribeSecretCommand,
  GetSecretValueCommand,
  PutSecretValueCommand,
  ResourceNotFoundException,
  SecretsManagerClient,
  UpdateSecretVersionStageCommand,
} from '@aws-sdk/client-secrets-manager';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
import { SecretsManagerStore } from '../../../lambdas/aws/adapters/secrets-manager-store.ts';
import { SecretStoreError } from '../../../lambdas/core/credentials/secret-store.ts';

const sm = mockClient(SecretsManagerClient);
afterEach(() => sm.reset());
const store = () => new SecretsManagerStore(new SecretsManagerClient({ region: 'eu-west-1' }));

describe('Secrets Manager secret store', () => {
  it('describes versions with the roles their labels give them, tags and rotation', async () => {
    sm.on(DescribeSecretCommand).resolves({
      ARN: 'arn:s',
      Name: 'scimitar/targets/code',
      RotationEnabled: true,
      VersionIdsToStages: { v1: ['AWSCURRENT'], v2: ['AWSPENDING'] },
      Tags: [{ Key: 'scimitar:target', Value: 'code' }],
      LastChangedDate: new Date('2026-01-02T00:00:00Z'),
    });
    await expect(store().describe('arn:s')).resolves.toEqual({
      arn: 'arn:s',
      name: 'scimitar/targets/code',
      rotationEnabled: true,
      versions: { v1: ['current'], v2: ['pending'] },
      tags: { 'scimitar:target': 'code' },
      lastChangedDate: new Date('2026-01-02T00:00:00Z'),
    });
  });

  it('reads the pending credential by version id and AWSPENDING, with its creation date', async () => {
    sm.on(GetSecretValueCommand, { SecretId: 's', VersionId: 'v2', VersionStage: 'AWSPENDING' }).resolves({
      VersionId: 'v2',
      SecretString: 'value',
      CreatedDate: new Date('2026-01-03T00:00:00Z'),
    });
    await expect(store().pending('s', 'v2')).resolves.toEqual({
      versionId: 'v2',
      value: 'value',
      createdDate: new Date('2026-01-03T00:00:00Z'),
    });
  });

  it('answers undefined for a version that does not exist or has no value yet', async () => {
    sm.on(GetSecretValueCommand).rejects(
      new ResourceNotFoundException({ message: 'not found', $metadata: {} }),
    );
    await expect(store().pending('s', 'v2')).resolves.toBeUndefined();
    await expect(store().current('s')).resolves.toBeUndefined();
  });

  it('fails on any other error, such as throttling or access denied', async () => {
    sm.on(GetSecretValueCommand).rejects(new Error('AccessDeniedException'));
    await expect(store().current('s')).rejects.toThrow('AccessDeniedException');
  });

  it('refuses a binary secret', async () => {
    sm.on(GetSecretValueCommand).resolves({ Name: 's', VersionId: 'v1', SecretBinary: new Uint8Array([1]) });
    await expect(store().current('s')).rejects.toBeInstanceOf(SecretStoreError);
  });

  it('puts the pending value under the rotation token, labelled AWSPENDING only', async () => {
    sm.on(PutSecretValueCommand).resolves({});
    await store().putPending('s', 'tok-1', 'new');
    expect(sm.commandCalls(PutSecretValueCommand)[0]?.args[0].input).toEqual({
      SecretId: 's',
      ClientRequestToken: 'tok-1',
      SecretString: 'new',
      VersionStages: ['AWSPENDING'],
    });
  });

  it('promotes by moving AWSCURRENT to the pending version, then detaching AWSPENDING from it', async () => {
    sm.on(UpdateSecretVersionStageCommand).resolves({});
    await store().promote('s', 'v2', 'v1');
    expect(sm.commandCalls(UpdateSecretVersionStageCommand).map((c) => c.args[0].input)).toEqual([
      { SecretId: 's', VersionStage: 'AWSCURRENT', MoveToVersionId: 'v2', RemoveFromVersionId: 'v1' },
      { SecretId: 's', VersionStage: 'AWSPENDING', RemoveFromVersionId: 'v2' },
    ]);
  });
});
