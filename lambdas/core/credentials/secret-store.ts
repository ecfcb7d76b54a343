// The secret store as rotation sees it: versions and their staging labels (Secrets Manager's
// model), behind a port so the four-step protocol and the credential checks run without an SDK.
import { ScimitarError } from '../model/errors.ts';
import { SecretSource } from '../model/ports.ts';

/** Staging labels of Secrets Manager's rotation protocol. */
export const AWSCURRENT = 'AWSCURRENT';
export const AWSPENDING = 'AWSPENDING';
export const AWSPREVIOUS = 'AWSPREVIOUS';

export interface SecretDescription {
  readonly arn: string;
  readonly name: string;
  readonly rotationEnabled: boolean;
  /** Version id → its staging labels; versions without a label are left out. */
  readonly versions: Readonly<Record<string, readonly string[]>>;
  readonly tags: Readonly<Record<string, string>>;
  /** Last change of any kind (value, tags, description). */
  readonly lastChangedDate?: Date;
}

export interface SecretVersionValue {
  readonly versionId: string;
  readonly value: string;
  /** When this version was created: the credential's age when the version is AWSCURRENT. */
  readonly createdDate?: Date;
}

/** Which version to read: by label, or by id (optionally requiring it to hold a label). */
export type VersionSelector =
  | { readonly stage: string }
  | { readonly versionId: string; readonly stage?: string };

/** The secret store's own failure (not found, no value, binary value). Never carries the value. */
export class SecretStoreError extends ScimitarError {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'SecretStoreError';
  }
}

/** A secret with versions and staging labels. Implementations never log or echo a value. */
export abstract class SecretStore {
  abstract describe(secretId: string): Promise<SecretDescription>;
  /** The selected version's value; `undefined` when no such version exists or it has no value yet. */
  abstract getValue(secretId: string, select: VersionSelector): Promise<SecretVersionValue | undefined>;
  /** Stores `value` as the version `token` (the rotation's ClientRequestToken), labelled AWSPENDING. */
  abstract putPending(secretId: string, token: string, value: string): Promise<void>;
  /**
   * Attaches `stage` to version `moveTo` and detaches it from `removeFrom` (either may be
   * undefined: attach only, or detach only).
   */
  abstract updateStage(
    secretId: string,
    stage: string,
    moveTo: string | undefined,
    removeFrom: string | undefined,
  ): Promise<void>;
}

/** Reads the AWSCURRENT value of a secret store as a SecretSource (what the SCIM client consumes). */
export class CurrentSecretSource extends SecretSource {
  constructor(private readonly store: SecretStore) {
    super();
  }

  async read(name: string): Promise<string> {
    const current = await this.store.getValue(name, { stage: AWSCURRENT });
    if (!current) throw new SecretStoreError(`secret "${name}" has no ${AWSCURRENT} value`);
    return current.value;
  }
}
