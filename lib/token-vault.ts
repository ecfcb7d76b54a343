// The credentials scimitar holds: one secret per SCIM target (its bearer token or OAuth2 client
// secret) and one per HRIS source (its webhook signing key), KMS-encrypted. Rotating or watching
// the target secrets is CredentialRotation's job (lib/credentials.ts).
import { Validations } from 'aws-cdk-lib';
import { Grant, type IGrantable } from 'aws-cdk-lib/aws-iam';
import { type IKey, Key } from 'aws-cdk-lib/aws-kms';
import { type ISecret, Secret } from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import {
  type ScimitarConfig,
  type ScimTargetConfig,
  sourceSecretName,
  targetSecretName,
} from '../lambdas/core/config.ts';
import { warnAtDays } from '../lambdas/core/credential-age.ts';

export interface TokenVaultProps {
  /** The validated config: its SCIM targets and HRIS sources get a secret each. */
  readonly config: ScimitarConfig;
  /**
   * Key that encrypts every secret.
   * @default - a new customer-managed key with yearly rotation
   */
  readonly encryptionKey?: IKey;
}

export class TokenVault extends Construct {
  /** The key every secret is encrypted with. */
  public readonly encryptionKey: IKey;

  private readonly secretsByTarget = new Map<string, Secret>();
  private readonly sourceSecrets = new Map<string, Secret>();

  constructor(scope: Construct, id: string, props: TokenVaultProps) {
    super(scope, id);
    const { config } = props;
    this.encryptionKey =
      props.encryptionKey ??
      new Key(this, 'Key', {
        description: 'scimitar target tokens and source signing keys',
        enableKeyRotation: true,
      });

    const scimTargets = config.targets.filter((t): t is ScimTargetConfig => t.kind === 'scim');
    for (const target of scimTargets) {
      const secret = new Secret(this, `Target-${target.id}`, {
        secretName: targetSecretName(target),
        description: `scimitar: ${target.auth.type === 'bearer' ? 'bearer token' : 'OAuth2 client secret'} for ${target.displayName} (${target.id}); put the real value after deploy`,
        encryptionKey: this.encryptionKey,
        // A placeholder until an operator puts the real token (docs/operations.md).
        generateSecretString: { passwordLength: 48, excludePunctuation: true },
      });
      this.secretsByTarget.set(target.id, secret);
      const rotation = target.rotation;
      // 'api' and 'oauth2' targets get their rotation schedule from CredentialRotation.
      if (rotation.strategy === 'manual') {
        Validations.of(secret).acknowledge({
          id: 'AwsSolutions-SMG4',
          reason: `Target "${target.id}" issues tokens only in its admin console (rotation strategy 'manual'): a person renews it; CredentialRotation's CredentialAge-${target.id} alarm fires at ${warnAtDays(rotation)} days, ${rotation.warnDaysBefore} days before its ${rotation.maxAgeDays}-day limit (docs/credentials.md#credential-age).`,
        });
      }
    }

    for (const source of config.sources) {
      const secret = new Secret(this, `Source-${source.id}`, {
        secretName: sourceSecretName(source),
        description: `scimitar: webhook signing key of HRIS source ${source.id} (${source.kind})`,
        encryptionKey: this.encryptionKey,
        generateSecretString: { passwordLength: 64, excludePunctuation: true },
      });
      Validations.of(secret).acknowledge({
        id: 'AwsSolutions-SMG4',
        reason: `The signing key of HRIS source "${source.id}" is shared with the HRIS, which has no API to receive a new one: it is changed by hand in both places together (docs/operations.md).`,
      });
      this.sourceSecrets.set(source.id, secret);
    }
  }

  /** The secret holding a SCIM target's credential. Throws for a target without one. */
  public targetSecret(targetId: string): ISecret {
    const secret = this.secretsByTarget.get(targetId);
    if (!secret) {
      throw new Error(
        `TokenVault: no secret for target "${targetId}"; only SCIM targets have one (known: ${[...this.secretsByTarget.keys()].join(', ') || 'none'})`,
      );
    }
    return secret;
  }

  /** Every SCIM target's secret by target id, in config order (CredentialRotation's `targetSecrets`). */
  public targetSecrets(): Record<string, ISecret> {
    return Object.fromEntries(this.secretsByTarget);
  }

  /** The secret holding an HRIS source's signing key. Throws for an unknown source. */
  public sourceSecret(sourceId: string): ISecret {
    const secret = this.sourceSecrets.get(sourceId);
    if (!secret) {
      throw new Error(
        `TokenVault: no secret for source "${sourceId}" (known: ${[...this.sourceSecrets.keys()].join(', ')})`,
      );
    }
    return secret;
  }

  /**
   * Lets a grantee read one target's credential: `secretsmanager:GetSecretValue` and
   * `secretsmanager:DescribeSecret` on that secret only, plus `kms:Decrypt` through Secrets Manager.
   */
  public grantReadTargetSecret(targetId: string, grantee: IGrantable): Grant {
    return this.targetSecret(targetId).grantRead(grantee);
  }

  /**
   * Lets a grantee read every HRIS source's signing key (the ingest function verifies
   * signatures): `secretsmanager:GetSecretValue`, `secretsmanager:DescribeSecret` on those
   * secrets, plus `kms:Decrypt` through Secrets Manager. No target credential.
   */
  public grantReadSourceSecrets(grantee: IGrantable): void {
    for (const secret of this.sourceSecrets.values()) secret.grantRead(grantee);
  }

  /**
   * Lets a grantee see when each HRIS source's signing key last changed (the canary measures the
   * key's age): `secretsmanager:DescribeSecret` on those secrets only; no value, no KMS.
   */
  public grantDescribeSourceSecrets(grantee: IGrantable): void {
    for (const secret of this.sourceSecrets.values()) {
      Grant.addToPrincipal({
        grantee,
        actions: ['secretsmanager:DescribeSecret'],
        resourceArns: [secret.secretArn],
      });
    }
  }
}
