// What a credential function may say about a failure in logs: scimitar's own errors and AWS service
// errors by name and message (neither carries a credential, by construction and by tests); any
// other error by its name only, since its message could echo a request.
import { ScimitarError } from '../core/model/errors.ts';
import { ScimError } from '../core/scim/index.ts';

export interface FailureReport {
  readonly error: string;
  readonly reason?: string;
}

export function reportFailure(err: unknown): FailureReport {
  if (!(err instanceof Error)) return { error: 'unknown error' };
  const known = err instanceof ScimitarError || err instanceof ScimError || '$metadata' in err;
  return known ? { error: err.name, reason: err.message } : { error: err.name };
}
