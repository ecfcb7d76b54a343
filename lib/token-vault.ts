// The credentials scimitar holds: one secret per SCIM target (its bearer token or OAuth2 client
// secret) and one per HRIS source (its webhook signing key), KMS-encrypted, named under the stack
// (`<stackName>/targets/<id>`, `<stackName>/sources/<id>`) so that a second stack deploys beside
// this one, and retained when the stack is deleted or a secret replaced: a production token must
// never die with a `cdk destroy`. A secret named in the config (`secretName`) is adopted, not
// created. Rotating or watching the target secrets is CredentialRotation's job (lib/credentials.ts).
import { Aws, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import { Grant, type IGrantable, PolicyStatement } from 'aws-cdk-lib/aws-iam';
import { type IKey, Key } from 'aws-cdk-lib/aws-kms';
import { type ISecret, Secret } from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import { warnAtDays } from '../lambdas/core/credentials/credential-age.ts';
import {
  type LaneTargetConfig,
  type ScimitarConfig,
  type SourceConfig,
  sourceSecretName,
  targetSecretName,
} from '../lambdas/core/model/config.ts';
import { grantOnPattern, type NamePattern, namePattern } from './name-pattern.ts';

export interface TokenVaultProps {
  /** The validated config: its SCIM targets and HRIS sources get a secret each. */
  readonly config: ScimitarConfig;
  /**
   * Key that encrypts every secret the stack creates. Retained with the stack's secrets: a
   * retained secret is readable only while its key exists.
   * @default - a new customer-managed key with yearly rotation, retained on delete
   */
  readonly encryptionKey?: IKey;
}

/** `arn:<partition>:secretsmanager:<region>:<account>:secret:<name>`, without the random suffix. */
function secretPartialArn(name: string): string {
  return `arn:${Aws.PARTITION}:secretsmanager:${Aws.REGION}:${Aws.ACCOUNT_ID}:secret:${name}`;
}

export class TokenVault extends Construct {
  /** The key every secret the stack creates is encrypted with. */
  public readonly encryptionKey: IKey;
  /** The name prefix of the target secrets the stack creates: `<stackName>/targets/`. */
  public readonly targetSecretPrefix: string;

  private readonly secretsByTarget = new Map<string, ISecret>();
  private readonly adoptedTargets = new Set<string>();
  /** The customer-managed key of an adopted secret, when the config names one. */
  private readonly adoptedKeys = new Map<ISecret, string>();
  /** Who reads every target secret: an adopted secret added later is granted to them too. */
  private readonly targetSecretReaders: IGrantable[] = [];
  private readonly sourceSecrets = new Map<string, ISecret>();
  private readonly sourceApiSecrets = new Map<string, ISecret>();

  constructor(scope: Construct, id: string, props: TokenVaultProps) {
    super(scope, id);
    const { config } = props;
    this.targetSecretPrefix = `${config.stackName}/targets/`;
    this.encryptionKey =
      props.encryptionKey ??
      new Key(this, 'Key', {
        description: 'scimitar target tokens and source signing keys',
        enableKeyRotation: true,
        // The secrets outlive the stack; so must the key that decrypts them.
        // DeletionPolicy and UpdateReplacePolicy both Retain.
        removalPolicy: RemovalPolicy.RETAIN,
      });

    for (const source of config.sources) {
      this.sourceSecrets.set(source.id, this.sourceSecretFor(source));
      const api = 'api' in source ? source.api : undefined;
      if (api) this.sourceApiSecrets.set(source.id, this.sourceApiSecretFor(source, api));
    }
  }

  /** The credential of a source's HRIS API (the roster pull reads it), `<stackName>/sources/<id>/api`. */
  private sourceApiSecretFor(
    source: SourceConfig,
    api: { secretName?: string; existingSecret?: boolean; secretKeyArn?: string },
  ): ISecret {
    if (api.existingSecret) return this.adopt(this, `SourceApi-${source.id}`, api);
    const secret = new Secret(this, `SourceApi-${source.id}`, {
      secretName: api.secretName,
      description: `scimitar: HRIS API credential of source ${source.id} (${source.kind}), read by the roster pull; set it by hand (docs/roster-pull.md)`,
      encryptionKey: this.encryptionKey,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    Validations.of(secret).acknowledge({
      id: 'AwsSolutions-SMG4',
      reason: `The API credential of HRIS source "${source.id}" is issued by the HRIS (an API key or service user token) and entered by hand; the HRIS offers no API scimitar could rotate it through (docs/roster-pull.md).`,
    });
    return secret;
  }

  /**
   * Lets a grantee read the HRIS credentials the pulls use: each listed source's API secret
   * (`api`), or for a Workday source its own secret (the integration system user):
   * `secretsmanager:GetSecretValue`, `secretsmanager:DescribeSecret`, plus `kms:Decrypt` through
   * Secrets Manager. No signing key of a webhook source, no target credential.
   */
  public grantReadPullSecrets(grantee: IGrantable, sources: readonly SourceConfig[]): void {
    for (const source of sources) {
      const secret =
        source.kind === 'workday' ? this.sourceSecrets.get(source.id) : this.sourceApiSecrets.get(source.id);
      if (secret) this.grantReadSecret(secret, grantee);
    }
  }

  private sourceSecretFor(source: SourceConfig): ISecret {
    if (source.existingSecret) return this.adopt(this, `Source-${source.id}`, source);
    const secret = new Secret(this, `Source-${source.id}`, {
      secretName: sourceSecretName(source),
      description:
        source.kind === 'workday'
          ? `scimitar: integration system user of Workday source ${source.id}, set by hand (docs/roster-pull.md)`
          : `scimitar: webhook signing key of HRIS source ${source.id} (${source.kind})`,
      encryptionKey: this.encryptionKey,
      generateSecretString: { passwordLength: 64, excludePunctuation: true },
      removalPolicy: RemovalPolicy.RETAIN,
    });
    Validations.of(secret).acknowledge({
      id: 'AwsSolutions-SMG4',
      reason: `The signing key of HRIS source "${source.id}" is shared with the HRIS, which has no API to receive a new one: it is changed by hand in both places together (docs/operations.md).`,
    });
    return secret;
  }

  private adopt(
    scope: Construct,
    id: string,
    fields: { secretName?: string; secretKeyArn?: string },
  ): ISecret {
    const secret = Secret.fromSecretAttributes(scope, id, {
      secretPartialArn: secretPartialArn(fields.secretName as string),
    });
    if (fields.secretKeyArn) this.adoptedKeys.set(secret, fields.secretKeyArn);
    return secret;
  }

  /**
   * Lets a grantee read one secret: `secretsmanager:GetSecretValue`, `secretsmanager:DescribeSecret`
   * on it (an adopted one by its partial ARN and the six-character suffix), and `kms:Decrypt` on
   * its key only through Secrets Manager. An adopted secret's configured key is spelled out rather than
   * left to the imported key's grant, which CDK drops when the key's account differs from the
   * stack's (an environment-agnostic stack's account is unknown at synth).
   */
  private grantReadSecret(secret: ISecret, grantee: IGrantable): void {
    secret.grantRead(grantee);
    const keyArn = this.adoptedKeys.get(secret);
    if (!keyArn) return;
    const stack = Stack.of(this);
    grantee.grantPrincipal.addToPrincipalPolicy(
      new PolicyStatement({
        actions: ['kms:Decrypt'],
        resources: [keyArn],
        conditions: {
          StringEquals: { 'kms:ViaService': `secretsmanager.${stack.region}.${stack.urlSuffix}` },
        },
      }),
    );
  }

  /**
   * Creates (or, for an adopted `auth.secretName`, imports) a SCIM target's secret in `scope`: the
   * lane shard that holds the target's lane, so that the root template does not grow with the
   * target count. Call once per SCIM target.
   */
  public addTargetSecret(scope: Construct, target: LaneTargetConfig): ISecret {
    if (this.secretsByTarget.has(target.id)) {
      throw new Error(`TokenVault: target "${target.id}" already has a secret; add each target once`);
    }
    let secret: ISecret;
    if (target.auth.existingSecret) {
      secret = this.adopt(scope, `Target-${target.id}`, target.auth);
      this.adoptedTargets.add(target.id);
      for (const reader of this.targetSecretReaders) this.grantReadSecret(secret, reader);
    } else {
      const created = new Secret(scope, `Target-${target.id}`, {
        secretName: targetSecretName(target),
        description: `scimitar: ${credentialKind(target)} for ${target.displayName} (${target.id}); put the real value after deploy`,
        encryptionKey: this.encryptionKey,
        // A placeholder until an operator puts the real token (docs/operations.md).
        generateSecretString: { passwordLength: 48, excludePunctuation: true },
        removalPolicy: RemovalPolicy.RETAIN,
      });
      if (target.kind === 'session') {
        Validations.of(created).acknowledge({
          id: 'AwsSolutions-SMG4',
          reason: `Session target "${target.id}" (${target.provider}) holds a credential its provider issues in its admin console (API token, client secret, service account key or hook key): a person renews it (docs/sessions.md#credentials).`,
        });
      }
      const rotation = target.kind === 'scim' ? target.rotation : undefined;
      // 'api' and 'oauth2' targets get their rotation schedule from CredentialRotation.
      if (rotation?.strategy === 'manual') {
        Validations.of(created).acknowledge({
          id: 'AwsSolutions-SMG4',
          reason: `Target "${target.id}" issues tokens only in its admin console (rotation strategy 'manual'): a person renews it; CredentialRotation's credential-age alarm names it at ${warnAtDays(rotation)} days, ${rotation.warnDaysBefore} days before its ${rotation.maxAgeDays}-day limit (docs/credentials.md#credential-age).`,
        });
      }
      secret = created;
    }
    this.secretsByTarget.set(target.id, secret);
    return secret;
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

  /** Every SCIM target's secret by target id, in the order added (CredentialRotation's `targetSecrets`). */
  public targetSecrets(): Record<string, ISecret> {
    return Object.fromEntries(this.secretsByTarget);
  }

  /**
   * Lets a grantee run the rotation protocol on one adopted target secret, which carries no
   * rotation tag (the stack never changes an adopted secret's tags): `actions` on that secret by its
   * partial ARN and the six-character suffix, and `kms:Decrypt`, `kms:GenerateDataKey` on its
   * configured customer-managed key only through Secrets Manager (PutSecretValue encrypts the new
   * version). A secret under the AWS managed key needs no key grant.
   */
  public grantRotateAdoptedSecret(targetId: string, grantee: IGrantable, actions: string[]): void {
    if (!this.adoptedTargets.has(targetId)) {
      throw new Error(
        `TokenVault: target "${targetId}" has no adopted secret; its own secret is granted by the rotation tag`,
      );
    }
    const secret = this.targetSecret(targetId);
    grantee.grantPrincipal.addToPrincipalPolicy(
      new PolicyStatement({ actions, resources: [`${secret.secretArn}-??????`] }),
    );
    const keyArn = this.adoptedKeys.get(secret);
    if (!keyArn) return;
    const stack = Stack.of(this);
    grantee.grantPrincipal.addToPrincipalPolicy(
      new PolicyStatement({
        actions: ['kms:Decrypt', 'kms:GenerateDataKey'],
        resources: [keyArn],
        conditions: {
          StringEquals: { 'kms:ViaService': `secretsmanager.${stack.region}.${stack.urlSuffix}` },
        },
      }),
    );
  }

  /** Whether a target's secret is adopted (named in the config) rather than the stack's own. */
  public isAdopted(targetId: string): boolean {
    return this.adoptedTargets.has(targetId);
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

  /** The ARN pattern of every target secret the stack creates: `...:secret:<stackName>/targets/*`. */
  public get targetSecretArnPattern(): string {
    return this.targetSecretPattern.arn;
  }

  /** {@link targetSecretArnPattern} in both spellings (for grants and their cdk-nag acknowledgement). */
  public get targetSecretPattern(): NamePattern {
    return namePattern(
      { partition: Aws.PARTITION, region: Aws.REGION, account: Aws.ACCOUNT_ID },
      'secretsmanager',
      `secret:${this.targetSecretPrefix}*`,
    );
  }

  /**
   * Grants actions on every target secret the stack creates (`<stackName>/targets/*`), with
   * optional conditions; the wildcard is acknowledged for cdk-nag with `reason`.
   */
  public grantOnTargetSecrets(
    grantee: IGrantable,
    actions: string[],
    reason: string,
    conditions?: Record<string, Record<string, unknown>>,
  ): void {
    grantOnPattern(grantee, actions, this.targetSecretPattern, reason, conditions);
  }

  /**
   * Lets a function that serves every target (the shared lane worker, the reconciler, the canary)
   * read every target's credential, in a policy whose size does not grow with the target count:
   * `secretsmanager:GetSecretValue`, `secretsmanager:DescribeSecret` on the secrets named
   * `<stackName>/targets/*` (this stack's only: `/` cannot occur in a stack name), `kms:Decrypt` on
   * the vault key only through Secrets Manager and only for those secrets (encryption context);
   * plus the same actions on each adopted secret by its own ARN (also those added after this call).
   * No source signing key.
   */
  public grantReadTargetSecrets(grantee: IGrantable): void {
    this.grantOnTargetSecrets(
      grantee,
      ['secretsmanager:GetSecretValue', 'secretsmanager:DescribeSecret'],
      `Reads the target credentials of this stack only: secret names "${this.targetSecretPrefix}*", one statement for any number of targets (a statement per secret would overflow IAM's inline policy size); this function serves every target. No source signing key matches.`,
    );
    this.grantKeyForTargetSecrets(grantee, ['kms:Decrypt']);
    for (const targetId of this.adoptedTargets) this.grantReadSecret(this.targetSecret(targetId), grantee);
    this.targetSecretReaders.push(grantee);
  }

  /**
   * Lets a grantee decrypt (and with `kms:GenerateDataKey`, encrypt) with the vault key, only
   * through Secrets Manager in this region and only for this stack's target secrets.
   */
  public grantKeyForTargetSecrets(grantee: IGrantable, actions: string[]): void {
    const stack = Stack.of(this);
    grantee.grantPrincipal.addToPrincipalPolicy(
      new PolicyStatement({
        actions,
        resources: [this.encryptionKey.keyArn],
        conditions: {
          StringEquals: { 'kms:ViaService': `secretsmanager.${stack.region}.${stack.urlSuffix}` },
          StringLike: { 'kms:EncryptionContext:SecretARN': this.targetSecretArnPattern },
        },
      }),
    );
  }

  /**
   * Lets a grantee read every HRIS source's signing key (the ingest function verifies
   * signatures): `secretsmanager:GetSecretValue`, `secretsmanager:DescribeSecret` on those
   * secrets, plus `kms:Decrypt` through Secrets Manager. No target credential.
   */
  public grantReadSourceSecrets(grantee: IGrantable): void {
    for (const secret of this.sourceSecrets.values()) this.grantReadSecret(secret, grantee);
  }

  /**
   * Lets a grantee read one source's secret: `secretsmanager:GetSecretValue` on that secret only
   * (and kms:Decrypt on its key), e.g. the Summarize function reading an entra-lcw source's Graph
   * credentials to resume a Lifecycle Workflows task.
   */
  public grantReadSourceSecret(sourceId: string, grantee: IGrantable): void {
    this.grantReadSecret(this.sourceSecret(sourceId), grantee);
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
        // An adopted secret is known by its partial ARN: its six-character suffix is matched.
        resourceArns: [secret.secretFullArn ?? `${secret.secretArn}-??????`],
      });
    }
  }
}

/** What a target's secret holds, for its description. */
function credentialKind(target: LaneTargetConfig): string {
  if (target.kind === 'session') {
    return {
      okta: 'Okta API token',
      entra: 'Entra ID client secret',
      google: 'Google service account key (JSON)',
      hook: 'session hook signing key',
    }[target.provider];
  }
  return target.auth.type === 'bearer' ? 'bearer token' : 'OAuth2 client secret';
}
