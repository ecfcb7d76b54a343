// Secrets for the local runtime: a JSON file of name → value (e.g. .scimitar/secrets.json),
// overridable from the environment: SCIMITAR_SECRET_<NAME> with / and - as _ (upper case).
import { existsSync, readFileSync } from 'node:fs';
import { SecretLookupError, SecretSource } from '../lambdas/core/credentials/secret-source.ts';
import { localArns, recordAwsCall } from './aws-calls.ts';

/** The message names the key and the environment variable looked at, never a value. */
export class LocalSecretError extends SecretLookupError {
  constructor(message: string) {
    super(message);
    this.name = 'LocalSecretError';
  }
}

export function envNameFor(secretName: string): string {
  return `SCIMITAR_SECRET_${secretName.replace(/[^A-Za-z0-9]/g, '_').toUpperCase()}`;
}

export class LocalSecretSource extends SecretSource {
  private readonly values = new Map<string, string>();

  constructor(
    private readonly options: {
      file?: string;
      env?: NodeJS.ProcessEnv;
      values?: Record<string, string>;
    } = {},
  ) {
    super();
    for (const [name, value] of Object.entries(options.values ?? {})) this.values.set(name, value);
  }

  /** Sets a value, as a rotation would (tests and the demo use it). */
  put(name: string, value: string): void {
    this.values.set(name, value);
  }

  async read(name: string): Promise<string> {
    recordAwsCall({ action: 'secretsmanager:GetSecretValue', resources: [localArns.secret(name)] });
    const fromEnv = (this.options.env ?? process.env)[envNameFor(name)];
    if (fromEnv) return fromEnv;
    const file = this.options.file;
    if (file && existsSync(file)) {
      let parsed: unknown;
      try {
        parsed = JSON.parse(readFileSync(file, 'utf8'));
      } catch {
        throw new LocalSecretError(`secrets file ${file} is not valid JSON`);
      }
      const value = (parsed as Record<string, unknown>)[name];
      if (typeof value === 'string') return value;
    }
    const value = this.values.get(name);
    if (value !== undefined) return value;
    throw new LocalSecretError(
      `secret "${name}" not found: add the key "${name}" to ${file ?? 'the secrets file'}, or set the environment variable ${envNameFor(name)}`,
    );
  }
}
