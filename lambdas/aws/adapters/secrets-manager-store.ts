// SecretStore on AWS Secrets Manager, and the home of its staging protocol: the current credential
// is the version labelled AWSCURRENT, the pending one AWSPENDING, and promoting moves AWSCURRENT
// (Secrets Manager then labels the old version AWSPREVIOUS) before detaching AWSPENDING. A missing
// version is `undefined` (rotation's idempotency checks rely on it); every other failure
// propagates, and no value ever reaches an error or a log.
import {
  DescribeSecretCommand,
  GetSecretValueCommand,
  PutSecretValueCommand,
  ResourceNotFoundException,
  SecretsManagerClient,
  UpdateSecretVersionStageCommand,
} from '@aws-sdk/client-secrets-manager';
import {
  type SecretDescription,
  SecretStore,
  SecretStoreError,
  type SecretVersionValue,
  type VersionRole,
} from '../../core/credentials/secret-store.ts';

/** Staging labels of Secrets Manager's rotation protocol, by the role they give a version. */
export const STAGING_LABELS = {
  current: 'AWSCURRENT',
  pending: 'AWSPENDING',
  previous: 'AWSPREVIOUS',
} as const satisfies Record<VersionRole, string>;

const roleOfLabel = new Map<string, VersionRole>(
  Object.entries(STAGING_LABELS).map(([role, label]) => [label, role as VersionRole]),
);

export class SecretsManagerStore extends SecretStore {
  override readonly roleNames = STAGING_LABELS;

  constructor(private readonly client: SecretsManagerClient = new SecretsManagerClient({})) {
    super();
  }

  async describe(secretId: string): Promise<SecretDescription> {
    const out = await this.client.send(new DescribeSecretCommand({ SecretId: secretId }));
    const versions: Record<string, VersionRole[]> = {};
    for (const [id, labels] of Object.entries(out.VersionIdsToStages ?? {})) {
      versions[id] = labels.flatMap((label) => roleOfLabel.get(label) ?? []);
    }
    const tags: Record<string, string> = {};
    for (const tag of out.Tags ?? []) if (tag.Key !== undefined) tags[tag.Key] = tag.Value ?? '';
    return {
      arn: out.ARN ?? secretId,
      name: out.Name ?? secretId,
      rotationEnabled: out.RotationEnabled === true,
      versions,
      tags,
      ...(out.LastChangedDate ? { lastChangedDate: out.LastChangedDate } : {}),
    };
  }

  current(secretId: string): Promise<SecretVersionValue | undefined> {
    return this.read(secretId, STAGING_LABELS.current);
  }

  pending(secretId: string, versionId: string): Promise<SecretVersionValue | undefined> {
    return this.read(secretId, STAGING_LABELS.pending, versionId);
  }

  async putPending(secretId: string, versionId: string, value: string): Promise<void> {
    await this.client.send(
      new PutSecretValueCommand({
        SecretId: secretId,
        ClientRequestToken: versionId,
        SecretString: value,
        VersionStages: [STAGING_LABELS.pending],
      }),
    );
  }

  async promote(secretId: string, versionId: string, currentVersionId: string | undefined): Promise<void> {
    await this.moveLabel(secretId, STAGING_LABELS.current, versionId, currentVersionId);
    await this.moveLabel(secretId, STAGING_LABELS.pending, undefined, versionId);
  }

  /** The version holding `label` (and, when given, of that id). */
  private async read(
    secretId: string,
    label: string,
    versionId?: string,
  ): Promise<SecretVersionValue | undefined> {
    try {
      const out = await this.client.send(
        new GetSecretValueCommand({
          SecretId: secretId,
          ...(versionId !== undefined ? { VersionId: versionId } : {}),
          VersionStage: label,
        }),
      );
      if (out.SecretString === undefined) {
        throw new SecretStoreError(
          `secret "${out.Name ?? secretId}" holds a binary value; scimitar stores credentials as strings`,
        );
      }
      return {
        versionId: out.VersionId ?? versionId ?? '',
        value: out.SecretString,
        ...(out.CreatedDate ? { createdDate: out.CreatedDate } : {}),
      };
    } catch (err) {
      // Also what Secrets Manager answers for a version that exists but has no value yet (the
      // empty AWSPENDING version RotateSecret creates before createSecret).
      if (err instanceof ResourceNotFoundException) return undefined;
      throw err;
    }
  }

  /** Attaches `label` to `moveTo` and detaches it from `removeFrom` (either may be absent). */
  private async moveLabel(
    secretId: string,
    label: string,
    moveTo: string | undefined,
    removeFrom: string | undefined,
  ): Promise<void> {
    await this.client.send(
      new UpdateSecretVersionStageCommand({
        SecretId: secretId,
        VersionStage: label,
        ...(moveTo ? { MoveToVersionId: moveTo } : {}),
        ...(removeFrom ? { RemoveFromVersionId: removeFrom } : {}),
      }),
    );
  }
}
