// The SCIM client's options: how a target departs from RFC 7644 (quirks), its transport settings,
// checked once when the client is built, with messages that name the option and the fix.
import pkg from '../../../package.json' with { type: 'json' };
import type { CredentialSource } from './credentials.ts';
import type { PagingStyle } from './paging.ts';
import type { PatchStyle } from './patch.ts';

/** How a target departs from RFC 7644; chosen per target (docs/scim-client.md). */
export interface ScimQuirks {
  /** Shape of PATCH bodies: RFC 7644, Entra ID's or Okta's. */
  readonly patchStyle: PatchStyle;
  /** 'eq-only': the server understands nothing but `<attr> eq "<value>"` on users (AWS IAM Identity Center). */
  readonly filter: 'full' | 'eq-only';
  /** 'cursor': RFC 9865 cursor paging (AWS IAM Identity Center, Atlassian) instead of startIndex. */
  readonly paging: PagingStyle;
  /** Page size asked for; servers may return fewer. */
  readonly maxPageSize: number;
}

export const DEFAULT_QUIRKS: ScimQuirks = Object.freeze({
  patchStyle: 'rfc',
  filter: 'full',
  paging: 'index',
  maxPageSize: 100,
});

export interface ScimClientOptions {
  /** SCIM base URL, e.g. https://app.example/scim/v2 (no trailing slash needed). */
  readonly baseUrl: string;
  readonly credentials: CredentialSource;
  /** @default DEFAULT_QUIRKS (RFC 7644 behaviour) */
  readonly quirks?: Partial<ScimQuirks>;
  /**
   * Per request, response body included.
   * @default 10_000
   */
  readonly timeoutMs?: number;
  /** Larger answers are refused while read (ScimMalformedResponseError). @default 16 MiB */
  readonly maxBodyBytes?: number;
  /** Some servers (GitHub) refuse requests without one. @default 'scimitar/<version>' */
  readonly userAgent?: string;
  /** @default globalThis.fetch */
  readonly fetch?: typeof fetch;
  /** Milliseconds since the epoch, for durations and Retry-After dates. @default Date.now */
  readonly clock?: () => number;
  /**
   * Resolves when the client may send its next request (the target's rate budget, pacing.ts).
   * Awaited before each request and timed apart from it: the wait is the client's own, never
   * counted as the server's time or against the request timeout.
   * @default - no pacing
   */
  readonly pace?: () => Promise<void>;
  /**
   * Told when the server says it is over its limit (429, 503 with Retry-After, RateLimit or
   * X-RateLimit headers with nothing remaining), so a shared rate budget pauses every caller.
   * @default - nobody told
   */
  readonly onRateLimited?: (signal: RateLimitSignal) => Promise<void> | void;
  /**
   * How long one operation may wait on throttled answers (429, 503 with Retry-After) before the
   * client gives up with a ScimThrottledError; until then it waits what the server asks and sends
   * the same request again. An operation is one request, or every request that shares a trace (a
   * revocation's find, write and read-back). Each throttled answer counts at least 1 s, so a
   * server answering `Retry-After: 0` forever is asked a bounded number of times. 0: never wait.
   * @default DEFAULT_THROTTLE_WAIT_MAX_MS (10 s: a lane hands a longer wait back to its queue,
   * where it costs no Lambda time; the reconciler may give more)
   */
  readonly throttleWaitMaxMs?: number;
  /** Waits this long: a throttled request's pause beyond what `pace` held. @default setTimeout */
  readonly sleep?: (ms: number) => Promise<void>;
}

/** @see ScimClientOptions.throttleWaitMaxMs */
export const DEFAULT_THROTTLE_WAIT_MAX_MS = 10_000;

/** A server's word that it is over its rate limit, and until when. */
export interface RateLimitSignal {
  /** Milliseconds since the epoch before which no request should go. */
  readonly untilMs: number;
  /** The answer's status (429, 503, or a 2xx whose headers said nothing remains). */
  readonly status: number;
  /** Where `untilMs` came from. */
  readonly source: 'retry-after' | 'rate-limit-headers' | 'default';
}

/** One HTTP exchange, as recorded in evidence. */
export interface RequestRecord {
  readonly method: string;
  /** Below the base URL, query included; never the host. */
  readonly path: string;
  readonly status: number;
  /** The server's time: request sent to answer read in full. */
  readonly durationMs: number;
  /** The client's own wait for its rate budget before sending (0 without pacing). */
  readonly waitMs: number;
  /** A throttled answer (429, 503 with Retry-After): how long the server asked to wait. */
  readonly throttledMs?: number;
}

export interface ResolvedOptions {
  readonly baseUrl: string;
  readonly quirks: ScimQuirks;
  readonly timeoutMs: number;
  readonly userAgent: string;
  readonly throttleWaitMaxMs: number;
}

/** Checks the options and fills in the defaults. */
export function resolveOptions(options: ScimClientOptions): ResolvedOptions {
  let url: URL;
  try {
    url = new URL(options.baseUrl);
  } catch (cause) {
    throw new Error('ScimClient: baseUrl is not an absolute URL; give e.g. https://app.example/scim/v2', {
      cause,
    });
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    throw new Error(`ScimClient: baseUrl has protocol ${url.protocol}; use https`);
  }
  if (url.search || url.hash) throw new Error('ScimClient: baseUrl must not carry a query or fragment');
  const quirks = { ...DEFAULT_QUIRKS, ...options.quirks };
  const { maxPageSize } = quirks;
  if (!Number.isInteger(maxPageSize) || maxPageSize < 1) {
    throw new Error(`ScimClient: quirks.maxPageSize must be a positive integer, got ${maxPageSize}`);
  }
  const timeoutMs = options.timeoutMs ?? 10_000;
  if (!(timeoutMs > 0)) throw new Error(`ScimClient: timeoutMs must be positive, got ${timeoutMs}`);
  const throttleWaitMaxMs = options.throttleWaitMaxMs ?? DEFAULT_THROTTLE_WAIT_MAX_MS;
  if (!(throttleWaitMaxMs >= 0)) {
    throw new Error(`ScimClient: throttleWaitMaxMs must be 0 or more, got ${throttleWaitMaxMs}`);
  }
  return {
    throttleWaitMaxMs,
    baseUrl: url.href.replace(/\/+$/, ''),
    quirks,
    timeoutMs,
    userAgent: options.userAgent ?? `scimitar/${pkg.version}`,
  };
}
