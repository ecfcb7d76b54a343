// Failures of a credential rotation, as types. None carries a credential.
import { ScimitarError } from '../model/errors.ts';

/** Base of every rotation failure. */
export class RotationError extends ScimitarError {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'RotationError';
  }
}

/** The secret is not set up for this rotation (rotation off, version not staged as the protocol requires). */
export class RotationProtocolError extends RotationError {
  constructor(message: string) {
    super(message);
    this.name = 'RotationProtocolError';
  }
}

/** The secret belongs to no target that scimitar can rotate (unknown, not SCIM, manual strategy). */
export class RotationUnsupportedError extends RotationError {
  constructor(message: string) {
    super(message);
    this.name = 'RotationUnsupportedError';
  }
}

/** An application endpoint (mint, revoke) did not do what was asked; `status` when it answered. */
export class CredentialEndpointError extends RotationError {
  readonly status?: number;
  constructor(message: string, status?: number) {
    super(message);
    this.name = 'CredentialEndpointError';
    if (status !== undefined) this.status = status;
  }
}

/** The application's mint endpoint did not issue a new token. */
export class CredentialMintError extends CredentialEndpointError {
  constructor(message: string, status?: number) {
    super(message, status);
    this.name = 'CredentialMintError';
  }
}

/** The pending credential failed the read-only probe: finishSecret must not promote it. */
export class CredentialTestError extends RotationError {
  readonly problems: readonly string[];
  constructor(message: string, problems: readonly string[]) {
    super(message);
    this.name = 'CredentialTestError';
    this.problems = problems;
  }
}

/** The new credential is current, but the application did not revoke the old one. */
export class CredentialRevokeError extends CredentialEndpointError {
  constructor(message: string, status?: number) {
    super(message, status);
    this.name = 'CredentialRevokeError';
  }
}
