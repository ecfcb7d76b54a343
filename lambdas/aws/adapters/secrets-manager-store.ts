// SecretStore on AWS Secrets Manager: the four calls the rotation protocol needs, plus reads by
// label or version. A missing version is `undefined` (the protocol's idempotency checks rely on it);
// every other failure propagates, and no value ever reaches an error or a log.
import {
  DescribeSecretCommand,
  GetSecretValueCommand,
  PutSecretValueCommand,
  ResourceNotFoundException,
  SecretsManagerClient,
  UpdateSecretVersionStageCommand,
} from '@aws-sdk/client-secrets-manager';
import {
  AWSPENDING,
  type SecretDescription,
  SecretStore,
  SecretStoreError,
  type SecretVersionValue,
  type VersionSelector,
} from '../../core/credentials/secret-store.ts';

export class SecretsManagerStore extends SecretStore {
  constructor(private readonly client: SecretsManagerClient = new SecretsManagerClient({})) {
    super();
  }

  async describe(secretId: string): Promise<SecretDescription> {
    const out = await this.client.send(new DescribeSecretCommand({ SecretId: secretId }));
    const versions: Record<string, string[]> = {};
    for (const [id, stages] of Object.entries(out.VersionIdsToStages ?? {})) versions[id] = [...stages];
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

  async getValue(secretId: string, select: VersionSelector): Promise<SecretVersionValue | undefined> {
    try {
      const out = await this.client.send(
        new GetSecretValueCommand({
          SecretId: secretId,
          ...('versionId' in select ? { VersionId: select.versionId } : {}),
          ...(select.stage ? { VersionStage: select.stage } : {}),
        }),
      );
      if (out.SecretString === undefined) {
        throw new SecretStoreError(
          `secret "${out.Name ?? secretId}" holds a binary value; scimitar stores credentials as strings`,
        );
      }
      return {
        versionId: out.VersionId ?? ('versionId' in select ? select.versionId : ''),
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

  async putPending(secretId: string, token: string, value: string): Promise<void> {
    await this.client.send(
      new PutSecretValueCommand({
        SecretId: secretId,
        ClientRequestToken: token,
        SecretString: value,
        VersionStages: [AWSPENDING],
      }),
    );
  }

  async updateStage(
    secretId: string,
    stage: string,
    moveTo: string | undefined,
    removeFrom: string | undefined,
  ): Promise<void> {
    await this.client.send(
      new UpdateSecretVersionStageCommand({
        SecretId: secretId,
        VersionStage: stage,
        ...(moveTo ? { MoveToVersionId: moveTo } : {}),
        ...(removeFrom ? { RemoveFromVersionId: removeFrom } : {}),
      }),
    );
  }
}
