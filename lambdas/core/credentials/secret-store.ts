// The secret store as rotation and the age checks see it, in the core's own terms: a secret has a
// current credential and, while a rotation runs, a pending one that `promote` makes current. How a
// store stages versions (Secrets Manager's labels) is its adapter's business (lambdas/aws/adapters).
import { ScimitarError } from '../model/errors.ts';
import { SecretSource } from './secret-source.ts';

/** The part a version plays in a rotation: the credential in use, the one being rotated in, the last one. */
export type VersionRole = 'current' | 'pending' | 'previous';

export interface SecretDescription {
  readonly arn: string;
  readonly name: string;
  readonly rotationEnabled: boolean;
  /** Version id → its roles (possibly none); versions the store does not stage are left out. */
  readonly versions: Readonly<Record<string, readonly VersionRole[]>>;
  readonly tags: Readonly<Record<string, string>>;
  /** Last change of any kind (value, tags, description). */
  readonly lastChangedDate?: Date;
}

export interface SecretVersionValue {
  readonly versionId: string;
  readonly value: string;
  /** When this version was created: the credential's age when the version is current. */
  readonly createdDate?: Date;
}

/** The secret store's own failure (not found, no value, binary value). Never carries the value. */
export class SecretStoreError extends ScimitarError {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'SecretStoreError';
  }
}

/** A secret with a current and a pending credential. Implementations never log or echo a value. */
export abstract class SecretStore {
  /** How the store names each role, for messages an operator reads next to the store's console. */
  readonly roleNames: Readonly<Record<VersionRole, string>> = {
    current: 'current',
    pending: 'pending',
    previous: 'previous',
  };

  abstract describe(secretId: string): Promise<SecretDescription>;
  /** The current credential; `undefined` when the secret has none. */
  abstract current(secretId: string): Promise<SecretVersionValue | undefined>;
  /** The pending credential of version `versionId`; `undefined` while it has no value yet. */
  abstract pending(secretId: string, versionId: string): Promise<SecretVersionValue | undefined>;
  /** Stores `value` as the pending credential, version `versionId` (the rotation's ClientRequestToken). */
  abstract putPending(secretId: string, versionId: string, value: string): Promise<void>;
  /**
   * Makes the pending version `versionId` current: the version current until now (`currentVersionId`,
   * as described) becomes previous, and `versionId` is no longer pending.
   */
  abstract promote(secretId: string, versionId: string, currentVersionId: string | undefined): Promise<void>;
}

/** Reads the current value of a secret store as a SecretSource (what the SCIM client consumes). */
export class CurrentSecretSource extends SecretSource {
  constructor(private readonly store: SecretStore) {
    super();
  }

  async read(name: string): Promise<string> {
    const current = await this.store.current(name);
    if (!current) throw new SecretStoreError(`secret "${name}" has no ${this.store.roleNames.current} value`);
    return current.value;
  }
}
