// SecretSource over Secrets Manager through Powertools Parameters: cached for a few minutes, read
// fresh on `refresh` (a 401 after a rotation).
import { SecretsProvider } from '@aws-lambda-powertools/parameters/secrets';
import { SecretSource } from '../../core/ports.ts';

export class SecretsManagerSecretSource extends SecretSource {
  constructor(
    private readonly provider: SecretsProvider = new SecretsProvider(),
    /** @default 300 seconds */
    private readonly maxAgeSeconds = 300,
  ) {
    super();
  }

  async read(name: string, options: { refresh?: boolean } = {}): Promise<string> {
    const value = await this.provider.get(name, {
      maxAge: this.maxAgeSeconds,
      ...(options.refresh && { forceFetch: true }),
    });
    if (typeof value !== 'string') {
      // Never echo what was read: it is a credential.
      throw new Error(`secret ${name} holds no string value (binary secrets are not supported)`);
    }
    return value;
  }
}
