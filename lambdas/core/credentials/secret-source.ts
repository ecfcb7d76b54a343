// The port a credential is read through (a target's token, a source's signing key): Secrets Manager
// on AWS, a file or the environment locally.
import { ScimitarError } from '../model/errors.ts';

/** Reads a secret's current value; `refresh` bypasses any cache (after a rotation). */
export abstract class SecretSource {
  abstract read(name: string, options?: { refresh?: boolean }): Promise<string>;
}

/**
 * A secret a SecretSource could not read. Its message says which secret and where it was looked
 * for (a key, a file, an environment variable), never a value: it may be shown and alarmed as is.
 */
export class SecretLookupError extends ScimitarError {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'SecretLookupError';
  }
}
