// The credentials scimitar holds: one secret per SCIM target (its bearer token or OAuth2 client
// secret) and one per HRIS source (its webhook signing key), KMS-encrypted, with rotation where
// the target's strategy allows it.
import { Duration, Validations } from 'aws-cdk-lib';
import { Metric } from 'aws-cdk-lib/aws-cloudwatch';
import type { Grant, IGrantable } from 'aws-cdk-lib/aws-iam';
import { type IKey, Key } from 'aws-cdk-lib/aws-kms';
import { type ISecret, Secret } from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import {
  type ScimitarConfig,
  type ScimTargetConfig,
  sourceSecretName,
  targetSecretName,
} from '../lambdas/core/config.ts';
import { METRICS_NAMESPACE, ScimitarFunction } from './scimitar-function.ts';

/** A target whose token only a person can renew (strategy 'manual'), with its age limits. */
export interface ManualRotation {
  readonly targetId: string;
  readonly maxAgeDays: number;
  readonly warnDaysBefore: number;
}

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
  /**
   * The function Secrets Manager calls to rotate target tokens (strategies 'api' and 'oauth2').
   * @default - undefined when no target rotates automatically
   */
  public readonly rotationFunction?: ScimitarFunction;
  /** Targets whose tokens are renewed by hand: alarm on their age (see {@link metricSecretAgeDays}). */
  public readonly manualRotations: readonly ManualRotation[];

  private readonly targetSecrets = new Map<string, Secret>();
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
    const rotating = scimTargets.filter((t) => t.rotation.strategy !== 'manual');
    if (rotating.length > 0) {
      this.rotationFunction = new ScimitarFunction(this, 'RotationFunction', {
        entry: 'rotation',
        config,
        description: 'scimitar: rotates target tokens (Secrets Manager four-step protocol)',
        timeout: Duration.minutes(1),
      });
      if (this.rotationFunction.role) {
        Validations.of(this.rotationFunction.role).acknowledge({
          id: 'AwsSolutions-IAM5[Resource::*]',
          reason:
            'Rotation: secretsmanager:GetRandomPassword (granted by the rotation schedule) and the X-Ray actions support only Resource "*"; the secrets it may change are named.',
        });
      }
    }

    const manual: ManualRotation[] = [];
    for (const target of scimTargets) {
      const secret = new Secret(this, `Target-${target.id}`, {
        secretName: targetSecretName(target),
        description: `scimitar: ${target.auth.type === 'bearer' ? 'bearer token' : 'OAuth2 client secret'} for ${target.displayName} (${target.id}); put the real value after deploy`,
        encryptionKey: this.encryptionKey,
        // A placeholder until an operator puts the real token (docs/operations.md).
        generateSecretString: { passwordLength: 48, excludePunctuation: true },
      });
      this.targetSecrets.set(target.id, secret);
      const rotation = target.rotation;
      if (rotation.strategy === 'manual') {
        manual.push({
          targetId: target.id,
          maxAgeDays: rotation.maxAgeDays,
          warnDaysBefore: rotation.warnDaysBefore,
        });
        Validations.of(secret).acknowledge({
          id: 'AwsSolutions-SMG4',
          reason: `Target "${target.id}" issues tokens only in its admin console (rotation strategy 'manual'): a person renews it; the SecretAgeDays alarm warns ${rotation.warnDaysBefore} days before its ${rotation.maxAgeDays}-day limit.`,
        });
      } else if (this.rotationFunction) {
        secret.addRotationSchedule('Rotation', {
          rotationLambda: this.rotationFunction,
          automaticallyAfter: Duration.days(rotation.everyDays),
        });
      }
    }
    this.manualRotations = manual;

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
    const secret = this.targetSecrets.get(targetId);
    if (!secret) {
      throw new Error(
        `TokenVault: no secret for target "${targetId}"; only SCIM targets have one (known: ${[...this.targetSecrets.keys()].join(', ') || 'none'})`,
      );
    }
    return secret;
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
   * Age in days of a target's credential, published by the credential canary (a later part of
   * scimitar) as `SecretAgeDays` with dimension `target`. Alerting alarms on it for targets
   * with manual rotation; until the canary runs, the metric has no data and the alarm stays OK.
   */
  public metricSecretAgeDays(targetId: string): Metric {
    return new Metric({
      namespace: METRICS_NAMESPACE,
      metricName: 'SecretAgeDays',
      dimensionsMap: { target: targetId },
      statistic: 'Maximum',
      period: Duration.hours(1),
    });
  }
}
