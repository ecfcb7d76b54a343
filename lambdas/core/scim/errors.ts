// Failures of the SCIM client, as types: a worker decides retry, fail or alarm with `instanceof` and
// `retryable`, never by reading messages. No error carries a credential (see redactSecrets in http/transport.ts).

export interface ScimErrorDetails {
  /** HTTP method of the request that failed. */
  readonly method: string;
  /** Path below the SCIM base URL, query included (never the host, never a header). */
  readonly path: string;
  readonly status?: number;
  /** RFC 7644 §3.12 scimType, when the server sent one. */
  readonly scimType?: string;
  readonly cause?: unknown;
}

/** Base of every error the SCIM client throws on purpose. */
export class ScimError extends Error {
  /** True when the same request may succeed later (rate limit, outage, not yet applied). */
  readonly retryable: boolean;
  readonly method: string;
  readonly path: string;
  readonly status?: number;
  readonly scimType?: string;

  constructor(message: string, details: ScimErrorDetails, retryable: boolean) {
    super(message, details.cause === undefined ? undefined : { cause: details.cause });
    this.name = 'ScimError';
    this.retryable = retryable;
    this.method = details.method;
    this.path = details.path;
    if (details.status !== undefined) this.status = details.status;
    if (details.scimType !== undefined) this.scimType = details.scimType;
  }
}

/** 429, 5xx, timeouts, connection failures, unreadable answers: try again later. */
export class ScimRetryableError extends ScimError {
  /** How long the server asked us to wait (Retry-After), when it said. */
  readonly retryAfterMs?: number;

  constructor(message: string, details: ScimErrorDetails & { retryAfterMs?: number }) {
    super(message, details, true);
    this.name = 'ScimRetryableError';
    if (details.retryAfterMs !== undefined) this.retryAfterMs = details.retryAfterMs;
  }
}

/**
 * The target throttled the request (429, or 503 with Retry-After) for longer than the client may
 * wait (`throttleWaitMaxMs`): not a failure of the request, which the server did not process. A
 * lane hands the message back with this delay without spending an attempt.
 */
export class ScimThrottledError extends ScimRetryableError {
  /** How long the server asked to wait from the last throttled answer (capped at an hour). */
  declare readonly retryAfterMs: number;
  /** What this operation had already waited on throttled answers before giving up. */
  readonly throttledWaitMs: number;

  constructor(
    message: string,
    details: ScimErrorDetails & { retryAfterMs: number; throttledWaitMs: number },
  ) {
    super(message, details);
    this.name = 'ScimThrottledError';
    this.throttledWaitMs = details.throttledWaitMs;
  }
}

/** The answer was not what SCIM promises (not JSON, or JSON of the wrong shape). Retried: proxies and
 * overloaded servers answer such pages for a while; persisting, it ends in the DLQ with this reason. */
export class ScimMalformedResponseError extends ScimRetryableError {
  constructor(message: string, details: ScimErrorDetails) {
    super(message, details);
    this.name = 'ScimMalformedResponseError';
  }
}

/** The read-back shows the revocation has not taken effect (yet). Retryable: a write may apply late. */
export class ScimVerificationError extends ScimRetryableError {
  constructor(message: string, details: ScimErrorDetails) {
    super(message, details);
    this.name = 'ScimVerificationError';
  }
}

/** 400, 403, 409 and other 4xx: the same request will fail again. */
export class ScimPermanentError extends ScimError {
  /** The server's `detail`, credentials removed. */
  readonly detail?: string;

  constructor(message: string, details: ScimErrorDetails & { detail?: string }) {
    super(message, details, false);
    this.name = 'ScimPermanentError';
    if (details.detail !== undefined) this.detail = details.detail;
  }
}

/** 404 where the resource had to exist (PATCH of a known id, a group read). */
export class ScimNotFoundError extends ScimPermanentError {
  constructor(message: string, details: ScimErrorDetails & { detail?: string }) {
    super(message, details);
    this.name = 'ScimNotFoundError';
  }
}

/** More than one account matches exactly: scimitar refuses to guess whom to revoke. */
export class ScimAmbiguousMatchError extends ScimPermanentError {
  /** SCIM ids of every exact match. */
  readonly accountIds: readonly string[];

  constructor(message: string, details: ScimErrorDetails & { accountIds: readonly string[] }) {
    super(message, details);
    this.name = 'ScimAmbiguousMatchError';
    this.accountIds = details.accountIds;
  }
}

/** The match found an account other than the one the request named by SCIM id: refusing to write to it. */
export class ScimAccountMismatchError extends ScimPermanentError {
  constructor(message: string, details: ScimErrorDetails) {
    super(message, details);
    this.name = 'ScimAccountMismatchError';
  }
}

/** The server's paging cannot be trusted (same page again, repeated cursor, no end). */
export class ScimPagingError extends ScimPermanentError {
  constructor(message: string, details: ScimErrorDetails) {
    super(message, details);
    this.name = 'ScimPagingError';
  }
}

/** 401 after re-reading the credential once, or a token endpoint that refuses the client. */
export class ScimCredentialError extends ScimError {
  constructor(message: string, details: ScimErrorDetails) {
    super(message, details, false);
    this.name = 'ScimCredentialError';
  }
}

/**
 * Milliseconds to wait from a Retry-After header: delay-seconds or an HTTP-date (RFC 9110 §10.2.3).
 * Undefined when absent or unreadable; never negative.
 */
export function parseRetryAfter(header: string | null | undefined, nowMs: number): number | undefined {
  if (header === null || header === undefined) return undefined;
  const value = header.trim();
  if (/^\d+$/.test(value)) return Number(value) * 1000;
  // Date.parse accepts many shapes; take only the three HTTP-date forms, all in UTC.
  let at: number;
  if (/^[A-Za-z]+, .+ GMT$/.test(value))
    at = Date.parse(value); // IMF-fixdate, RFC 850
  else if (/^[A-Za-z]{3} [A-Za-z]{3} +\d{1,2} \d\d:\d\d:\d\d \d{4}$/.test(value))
    at = Date.parse(`${value} GMT`);
  else return undefined;
  if (Number.isNaN(at)) return undefined;
  return Math.max(0, at - nowMs);
}
