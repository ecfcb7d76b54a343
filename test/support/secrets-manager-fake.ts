// Secrets Manager's version and staging-label rules, in memory, behind aws-sdk-client-mock: the
// rotation protocol runs against the real SDK client and adapter, and tests read the labels after
// each step. Modelled on the service's documented behaviour:
// - a label is on at most one version; PutSecretValue with VersionStages moves it there;
// - moving AWSCURRENT moves AWSPREVIOUS to the version that held AWSCURRENT;
// - moving a label that is attached elsewhere needs RemoveFromVersionId naming that version;
// - RotateSecret creates an empty version labelled AWSPENDING before calling createSecret, and
//   GetSecretValue of a version without a value answers ResourceNotFoundException;
// - PutSecretValue with an existing ClientRequestToken: same value is a no-op, another fails.
import {
  DescribeSecretCommand,
  GetSecretValueCommand,
  InvalidParameterException,
  InvalidRequestException,
  PutSecretValueCommand,
  ResourceExistsException,
  ResourceNotFoundException,
  type SecretsManagerClient,
  UpdateSecretVersionStageCommand,
} from '@aws-sdk/client-secrets-manager';
import type { AwsClientStub } from 'aws-sdk-client-mock';
import { localArns, recordAwsCall } from '../../local/aws-calls.ts';

interface Version {
  value?: string;
  stages: Set<string>;
  created: Date;
}

interface StoredSecret {
  arn: string;
  name: string;
  rotationEnabled: boolean;
  tags: Record<string, string>;
  versions: Map<string, Version>;
  lastChanged: Date;
}

type CommandName = 'DescribeSecret' | 'GetSecretValue' | 'PutSecretValue' | 'UpdateSecretVersionStage';

const meta = { $metadata: {} };

export class FakeSecretsManager {
  private readonly secrets = new Map<string, StoredSecret>();
  private readonly failures = new Map<CommandName, Error[]>();
  private sequence = 0;
  now = new Date('2026-01-01T00:00:00Z');

  constructor(stub: AwsClientStub<SecretsManagerClient>) {
    stub
      .on(DescribeSecretCommand)
      .callsFake((input) => this.run('DescribeSecret', input, () => this.describe(input)));
    stub
      .on(GetSecretValueCommand)
      .callsFake((input) => this.run('GetSecretValue', input, () => this.get(input)));
    stub
      .on(PutSecretValueCommand)
      .callsFake((input) => this.run('PutSecretValue', input, () => this.put(input)));
    stub
      .on(UpdateSecretVersionStageCommand)
      .callsFake((input) => this.run('UpdateSecretVersionStage', input, () => this.updateStage(input)));
  }

  /** Creates a secret whose first version (AWSCURRENT) holds `value`. */
  create(
    name: string,
    value: string,
    opts: { rotationEnabled?: boolean; tags?: Record<string, string> } = {},
  ) {
    const arn = `arn:aws:secretsmanager:eu-west-1:111111111111:secret:${name}-AbCdEf`;
    const versions = new Map<string, Version>([
      [this.nextId(), { value, stages: new Set(['AWSCURRENT']), created: new Date(this.now) }],
    ]);
    this.secrets.set(name, {
      arn,
      name,
      rotationEnabled: opts.rotationEnabled ?? true,
      tags: opts.tags ?? {},
      versions,
      lastChanged: new Date(this.now),
    });
    return arn;
  }

  /** What RotateSecret does before it calls createSecret: an empty version labelled AWSPENDING. */
  startRotation(name: string): string {
    const secret = this.secret(name);
    const token = this.nextId();
    this.detach(secret, 'AWSPENDING');
    secret.versions.set(token, { stages: new Set(['AWSPENDING']), created: new Date(this.now) });
    return token;
  }

  /** The next `times` calls of a command fail with `error`. */
  failNext(command: CommandName, error: Error, times = 1): void {
    this.failures.set(command, [...(this.failures.get(command) ?? []), ...Array(times).fill(error)]);
  }

  valueAt(name: string, stage: string): string | undefined {
    return [...this.secret(name).versions.values()].find((v) => v.stages.has(stage))?.value;
  }

  versionAt(name: string, stage: string): string | undefined {
    return [...this.secret(name).versions.entries()].find(([, v]) => v.stages.has(stage))?.[0];
  }

  /** Version id → labels, for every version that has one. */
  stages(name: string): Record<string, string[]> {
    const out: Record<string, string[]> = {};
    for (const [id, v] of this.secret(name).versions) if (v.stages.size > 0) out[id] = [...v.stages].sort();
    return out;
  }

  versionCount(name: string): number {
    return this.secret(name).versions.size;
  }

  private nextId(): string {
    this.sequence += 1;
    return `00000000-0000-4000-8000-${String(this.sequence).padStart(12, '0')}`;
  }

  private run<T>(command: CommandName, input: { SecretId: string }, fn: () => T): T {
    // A mock bypasses the SDK's middleware: the fake records the call for the IAM proof (test/iam/).
    const known =
      this.secrets.get(input.SecretId) ?? [...this.secrets.values()].find((s) => s.arn === input.SecretId);
    const name = known?.name ?? input.SecretId;
    recordAwsCall(
      {
        action: `secretsmanager:${command}`,
        resources: [localArns.secret(name)],
        ...(known && Object.keys(known.tags).length > 0 ? { resourceTags: known.tags } : {}),
      },
      'sdk',
    );
    const queued = this.failures.get(command);
    const failure = queued?.shift();
    if (failure) throw failure;
    return fn();
  }

  private secret(id: string): StoredSecret {
    const found = this.secrets.get(id) ?? [...this.secrets.values()].find((s) => s.arn === id);
    if (!found)
      throw new ResourceNotFoundException({
        message: "Secrets Manager can't find the specified secret.",
        ...meta,
      });
    return found;
  }

  private detach(secret: StoredSecret, stage: string): void {
    for (const v of secret.versions.values()) v.stages.delete(stage);
  }

  private describe(input: { SecretId: string }) {
    const secret = this.secret(input.SecretId);
    return {
      ARN: secret.arn,
      Name: secret.name,
      RotationEnabled: secret.rotationEnabled,
      VersionIdsToStages: this.stages(secret.name),
      Tags: Object.entries(secret.tags).map(([Key, Value]) => ({ Key, Value })),
      LastChangedDate: secret.lastChanged,
    };
  }

  private get(input: { SecretId: string; VersionId?: string; VersionStage?: string }) {
    const secret = this.secret(input.SecretId);
    const stage = input.VersionStage ?? (input.VersionId ? undefined : 'AWSCURRENT');
    const entry = [...secret.versions.entries()].find(
      ([id, v]) => (!input.VersionId || id === input.VersionId) && (!stage || v.stages.has(stage)),
    );
    if (!entry || entry[1].value === undefined) {
      throw new ResourceNotFoundException({
        message: `Secrets Manager can't find the specified secret value for staging label: ${stage ?? input.VersionId}`,
        ...meta,
      });
    }
    const [VersionId, version] = entry;
    return {
      ARN: secret.arn,
      Name: secret.name,
      VersionId,
      SecretString: version.value,
      VersionStages: [...version.stages],
      CreatedDate: version.created,
    };
  }

  private put(input: {
    SecretId: string;
    ClientRequestToken?: string;
    SecretString?: string;
    VersionStages?: string[];
  }) {
    const secret = this.secret(input.SecretId);
    if (input.ClientRequestToken === undefined || input.SecretString === undefined) {
      throw new InvalidParameterException({
        message: 'token and SecretString required in this fake',
        ...meta,
      });
    }
    const stages = input.VersionStages ?? ['AWSCURRENT'];
    const existing = secret.versions.get(input.ClientRequestToken);
    if (existing?.value !== undefined) {
      if (existing.value === input.SecretString)
        return { ARN: secret.arn, VersionId: input.ClientRequestToken };
      throw new ResourceExistsException({
        message: 'A version with this ClientRequestToken already exists',
        ...meta,
      });
    }
    for (const stage of stages) this.detach(secret, stage);
    const version = existing ?? { stages: new Set<string>(), created: new Date(this.now) };
    version.value = input.SecretString;
    for (const stage of stages) version.stages.add(stage);
    secret.versions.set(input.ClientRequestToken, version);
    secret.lastChanged = new Date(this.now);
    return { ARN: secret.arn, VersionId: input.ClientRequestToken, VersionStages: stages };
  }

  private updateStage(input: {
    SecretId: string;
    VersionStage: string;
    MoveToVersionId?: string;
    RemoveFromVersionId?: string;
  }) {
    const secret = this.secret(input.SecretId);
    const { VersionStage: stage, MoveToVersionId: moveTo, RemoveFromVersionId: removeFrom } = input;
    const holder = [...secret.versions.entries()].find(([, v]) => v.stages.has(stage))?.[0];
    if (removeFrom !== undefined && holder !== removeFrom) {
      throw new InvalidParameterException({
        message: `The staging label ${stage} is not attached to version ${removeFrom}`,
        ...meta,
      });
    }
    if (moveTo !== undefined) {
      const target = secret.versions.get(moveTo);
      if (!target) throw new ResourceNotFoundException({ message: `version ${moveTo} not found`, ...meta });
      if (holder !== undefined && holder !== moveTo && removeFrom !== holder) {
        throw new InvalidRequestException({
          message: `The staging label ${stage} is attached to version ${holder}; name it in RemoveFromVersionId`,
          ...meta,
        });
      }
      if (holder !== undefined && holder !== moveTo) {
        secret.versions.get(holder)?.stages.delete(stage);
        if (stage === 'AWSCURRENT') {
          this.detach(secret, 'AWSPREVIOUS');
          secret.versions.get(holder)?.stages.add('AWSPREVIOUS');
        }
      }
      target.stages.add(stage);
    } else if (removeFrom !== undefined) {
      secret.versions.get(removeFrom)?.stages.delete(stage);
    }
    secret.lastChanged = new Date(this.now);
    return { ARN: secret.arn, Name: secret.name };
  }
}
