import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
import {
  SecretsManagerSecretSource,
  SecretUnavailableError,
} from '../../../lambdas/aws/adapters/secrets-source.ts';

const NAME = 'scimitar/sources/bamboohr';
const secretsManager = mockClient(SecretsManagerClient);
const source = () =>
  new SecretsManagerSecretSource({ client: new SecretsManagerClient({}), maxAgeSeconds: 300 });

afterEach(() => {
  secretsManager.reset();
});

describe('Secrets Manager secret source', () => {
  it('reads a secret string once and serves it from the cache', async () => {
    secretsManager.on(GetSecretValueCommand, { SecretId: NAME }).resolves({ SecretString: 'key-1' });
    const secrets = source();
    expect(await secrets.read(NAME)).toBe('key-1');
    expect(await secrets.read(NAME)).toBe('key-1');
    expect(secretsManager.commandCalls(GetSecretValueCommand)).toHaveLength(1);
  });

  it('fetches anew on refresh, seeing a rotated value', async () => {
    secretsManager
      .on(GetSecretValueCommand, { SecretId: NAME })
      .resolvesOnce({ SecretString: 'key-1' })
      .resolves({ SecretString: 'key-2' });
    const secrets = source();
    expect(await secrets.read(NAME)).toBe('key-1');
    expect(await secrets.read(NAME, { refresh: true })).toBe('key-2');
    expect(await secrets.read(NAME)).toBe('key-2');
    expect(secretsManager.commandCalls(GetSecretValueCommand)).toHaveLength(2);
  });

  it('decodes a binary secret as UTF-8', async () => {
    secretsManager.on(GetSecretValueCommand).resolves({ SecretBinary: new TextEncoder().encode('key-bin') });
    expect(await source().read(NAME)).toBe('key-bin');
  });

  it('fails on an empty secret, naming it', async () => {
    secretsManager.on(GetSecretValueCommand).resolves({ SecretString: '' });
    await expect(source().read(NAME)).rejects.toThrow(SecretUnavailableError);
    await expect(source().read(NAME)).rejects.toThrow(NAME);
  });

  it('fails when Secrets Manager does', async () => {
    secretsManager.on(GetSecretValueCommand).rejects(new Error('AccessDeniedException'));
    await expect(source().read(NAME)).rejects.toThrow('AccessDeniedException');
  });
});
