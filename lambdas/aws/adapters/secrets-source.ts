// SecretSource over Secrets Manager through Powertools' SecretsProvider: values cached for a
// bounded time; `refresh` fetches anew (after a rotation). Errors name the secret, never its value.

import { SecretsProvider } from '@aws-lambda-powertools/parameters/secrets';
import type { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SecretSource } from '../../core/credentials/secret-source.ts';
import { ScimitarError } from '../../core/model/errors.ts';

/** A secret exists but holds nothing usable. */
export class SecretUnavailableError extends ScimitarError {
  readonly secretName: string;

  constructor(secretName: string) {
    super(`secret ${secretName} holds no value; store the key as its SecretString`);
    this.name = 'SecretUnavailableError';
    this.secretName = secretName;
  }
}

export interface SecretsManagerSecretSourceProps {
  /** @default - a new SecretsManagerClient for the function's region */
  readonly client?: SecretsManagerClient;
  /** How long a value is served from the cache. @default 300 */
  readonly maxAgeSeconds?: number;
}

export class SecretsManagerSecretSource extends SecretSource {
  private readonly provider: SecretsProvider;
  private readonly maxAgeSeconds: number;

  constructor(props: SecretsManagerSecretSourceProps = {}) {
    super();
    this.provider = new SecretsProvider(props.client ? { awsSdkV3Client: props.client } : {});
    this.maxAgeSeconds = props.maxAgeSeconds ?? 300;
  }

  async read(name: string, options?: { refresh?: boolean }): Promise<string> {
    const value = await this.provider.get(name, {
      maxAge: this.maxAgeSeconds,
      forceFetch: options?.refresh ?? false,
    });
    const text = value instanceof Uint8Array ? Buffer.from(value).toString('utf8') : value;
    if (typeof text !== 'string' || text.length === 0) throw new SecretUnavailableError(name);
    return text;
  }
}
