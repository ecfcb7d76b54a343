// Secrets for the local runtime: a JSON file of name → value (e.g. .scimitar/secrets.json),
// overridable from the environment: SCIMITAR_SECRET_<NAME> with / and - as _ (upper case).
import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { SecretLookupError, SecretSource } from '../lambdas/core/credentials/secret-source.ts';
import {
  type SecretDescription,
  SecretStore,
  SecretStoreError,
  type SecretVersionValue,
} from '../lambdas/core/credentials/secret-store.ts';
import {
  type LaneTargetConfig,
  type ScimitarConfig,
  sourceSecretName,
  targetSecretName,
} from '../lambdas/core/model/config.ts';
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

interface SecretsFile {
  [name: string]: string;
}

/** Secrets of the local runtime: created once per data directory, readable only by the user. */
export function ensureSecrets(
  config: ScimitarConfig,
  file: string,
  demoTargets: readonly LaneTargetConfig[],
): SecretsFile {
  const secrets: SecretsFile = existsSync(file)
    ? (JSON.parse(readFileSync(file, 'utf8')) as SecretsFile)
    : {};
  let changed = !existsSync(file);
  for (const source of config.sources) {
    const name = sourceSecretName(source);
    if (!secrets[name]) {
      secrets[name] = randomBytes(32).toString('hex');
      changed = true;
    }
  }
  for (const target of demoTargets) {
    const name = targetSecretName(target);
    if (!secrets[name]) {
      secrets[name] = `demo_${randomBytes(24).toString('hex')}`;
      changed = true;
    }
  }
  if (changed) {
    writeFileSync(file, `${JSON.stringify(secrets, null, 2)}\n`, { mode: 0o600 });
    chmodSync(file, 0o600);
  }
  return secrets;
}

/**
 * The secret store over the local secrets: one version per secret (AWSCURRENT), dated by the
 * secrets file's last change; rotation (pending versions, staging) does not run locally.
 */
export class LocalSecretStore extends SecretStore {
  constructor(
    private readonly source: LocalSecretSource,
    private readonly file: string,
  ) {
    super();
  }

  private changed(): Date {
    return existsSync(this.file) ? statSync(this.file).mtime : new Date();
  }

  async describe(secretId: string): Promise<SecretDescription> {
    recordAwsCall({ action: 'secretsmanager:DescribeSecret', resources: [localArns.secret(secretId)] });
    return {
      arn: localArns.secret(secretId),
      name: secretId,
      rotationEnabled: false,
      versions: { local: ['current'] },
      tags: {},
      lastChangedDate: this.changed(),
    };
  }

  async current(secretId: string): Promise<SecretVersionValue | undefined> {
    return { versionId: 'local', value: await this.source.read(secretId), createdDate: this.changed() };
  }

  async pending(): Promise<SecretVersionValue | undefined> {
    return undefined;
  }

  async putPending(): Promise<void> {
    throw new SecretStoreError('rotation does not run locally: edit the secrets file instead');
  }

  async promote(): Promise<void> {
    throw new SecretStoreError('rotation does not run locally: edit the secrets file instead');
  }
}
