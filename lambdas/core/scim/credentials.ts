// Where the SCIM client's Authorization header comes from: a stored bearer token, or an OAuth 2.0
// client-credentials grant. Both re-read their source when the client saw a 401 (rotation).
import * as z from 'zod';
import { HttpTransport, HttpUnansweredError } from '../http/transport.ts';
import { ScimCredentialError, ScimMalformedResponseError, ScimRetryableError } from './errors.ts';

export interface CredentialSource {
  /**
   * The Authorization header value. `refresh: true` after a 401: drop any cached value and read the
   * source again (the token may have been rotated).
   */
  authorization(opts?: { refresh?: boolean }): Promise<string>;
}

/** Gives a secret when asked (Secrets Manager, a file, the environment). Called again on refresh. */
export type SecretProvider = () => Promise<string>;

/**
 * A provider could not find its secret. The message says which secret and where it was looked
 * for, never a value, so the client passes it on (other provider errors are reduced to their kind).
 */
export class CredentialUnavailableError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'CredentialUnavailableError';
  }
}

/** A long-lived bearer token issued by the application, read through a provider and cached. */
export class BearerToken implements CredentialSource {
  private cached?: Promise<string>;

  constructor(private readonly provider: SecretProvider) {}

  authorization(opts?: { refresh?: boolean }): Promise<string> {
    if (opts?.refresh || this.cached === undefined) {
      const reading = this.provider().then((token) => {
        const trimmed = token.trim();
        if (!trimmed) throw new Error('the bearer token provider returned an empty token');
        return `Bearer ${trimmed}`;
      });
      // A failed read must not stick: the next call tries again.
      reading.catch(() => {
        if (this.cached === reading) this.cached = undefined;
      });
      this.cached = reading;
    }
    return this.cached;
  }
}

export interface OAuth2ClientCredentialsOptions {
  readonly tokenUrl: string;
  readonly clientId: string;
  readonly clientSecret: SecretProvider;
  /** Space-separated scopes. @default - none sent */
  readonly scope?: string;
  /**
   * The grant asked for: RFC 6749's client credentials, or Zoom's server-to-server
   * `account_credentials` (the same exchange, naming the account in `account_id`).
   * @default 'client_credentials'
   */
  readonly grantType?: 'client_credentials' | 'account_credentials';
  /** The account the token is for; required by (and only sent with) `account_credentials`. */
  readonly accountId?: string;
  /**
   * How the client authenticates to the token endpoint (RFC 6749 §2.3.1).
   * @default 'basic'
   */
  readonly clientAuth?: 'basic' | 'body';
  /**
   * Fetch a new token this long before the old one expires.
   * @default 60_000
   */
  readonly refreshBeforeExpiryMs?: number;
  /** @default 10_000 */
  readonly timeoutMs?: number;
  /** @default globalThis.fetch */
  readonly fetch?: typeof fetch;
  /** Milliseconds since the epoch. @default Date.now */
  readonly clock?: () => number;
}

const tokenResponseSchema = z.object({
  access_token: z.string().min(1),
  token_type: z.string().regex(/^bearer$/i, 'expected token_type Bearer'),
  expires_in: z.coerce.number().positive().optional(),
});

/** OAuth 2.0 client credentials grant (RFC 6749 §4.4); the access token is cached until shortly before it expires. */
export class OAuth2ClientCredentials implements CredentialSource {
  private cached?: { header: Promise<string>; expiresAt: number };
  private readonly transport: HttpTransport;
  private readonly clock: () => number;

  constructor(private readonly options: OAuth2ClientCredentialsOptions) {
    let url: URL;
    try {
      url = new URL(options.tokenUrl);
    } catch (cause) {
      throw new Error(`OAuth2ClientCredentials: tokenUrl is not a URL; give an absolute https URL`, {
        cause,
      });
    }
    if (url.protocol !== 'https:' && url.protocol !== 'http:') {
      throw new Error(`OAuth2ClientCredentials: tokenUrl has protocol ${url.protocol}; use https`);
    }
    if (!options.clientId) throw new Error('OAuth2ClientCredentials: clientId is empty');
    if (options.grantType === 'account_credentials' && !options.accountId) {
      throw new Error("OAuth2ClientCredentials: grantType 'account_credentials' needs accountId");
    }
    this.clock = options.clock ?? Date.now;
    this.transport = new HttpTransport({
      timeoutMs: options.timeoutMs ?? 10_000,
      ...(options.fetch && { fetch: options.fetch }),
    });
  }

  authorization(opts?: { refresh?: boolean }): Promise<string> {
    const fresh = this.cached && this.clock() < this.cached.expiresAt;
    if (opts?.refresh || !fresh || !this.cached) {
      const fetching = this.fetchToken();
      // Until the answer names a lifetime, the entry lives forever; fetchToken sets the real expiry.
      const entry = { header: fetching.then((t) => t.header), expiresAt: Number.POSITIVE_INFINITY };
      fetching.then(
        (t) => {
          entry.expiresAt = t.expiresAt;
        },
        () => {
          if (this.cached === entry) this.cached = undefined;
        },
      );
      this.cached = entry;
    }
    return this.cached.header;
  }

  private async fetchToken(): Promise<{ header: string; expiresAt: number }> {
    const { tokenUrl, clientId, scope, clientAuth = 'basic', refreshBeforeExpiryMs = 60_000 } = this.options;
    const path = new URL(tokenUrl).pathname;
    const details = { method: 'POST', path };
    const secret = await this.options.clientSecret();
    const { grantType = 'client_credentials', accountId } = this.options;
    const form = new URLSearchParams({ grant_type: grantType });
    if (grantType === 'account_credentials' && accountId) form.set('account_id', accountId);
    if (scope) form.set('scope', scope);
    const headers: Record<string, string> = {
      'content-type': 'application/x-www-form-urlencoded',
      accept: 'application/json',
    };
    if (clientAuth === 'basic') {
      // RFC 6749 §2.3.1: form-encode id and secret before base64.
      const pair = `${encodeURIComponent(clientId)}:${encodeURIComponent(secret)}`;
      headers.authorization = `Basic ${Buffer.from(pair).toString('base64')}`;
    } else {
      form.set('client_id', clientId);
      form.set('client_secret', secret);
    }

    const startedAt = this.clock();
    const answer = await this.transport
      .send({ method: 'POST', url: tokenUrl, headers, body: form })
      .catch((err: unknown) => {
        if (!(err instanceof HttpUnansweredError)) throw err;
        // Only the error's kind travels on, never the request.
        if (err.reason === 'too-large')
          throw new ScimMalformedResponseError(`token endpoint ${err.message}`, details);
        const reason = err.reason === 'timeout' ? 'timed out' : 'connection failed';
        throw new ScimRetryableError(`token endpoint ${reason}`, details);
      });
    const { status, text } = answer;

    if (status === 429 || status >= 500) {
      throw new ScimRetryableError(`token endpoint answered ${status}`, {
        ...details,
        status,
      });
    }
    if (status !== 200) {
      // RFC 6749 §5.2 error codes are safe to repeat; descriptions may echo input, so they are left out.
      const code = /"error"\s*:\s*"([a-z_]{1,40})"/.exec(text)?.[1];
      throw new ScimCredentialError(
        `token endpoint refused the client credentials: ${status}${code ? ` ${code}` : ''}`,
        { ...details, status },
      );
    }
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      throw new ScimMalformedResponseError('token endpoint answered 200 without JSON', {
        ...details,
        status: 200,
      });
    }
    const parsed = tokenResponseSchema.safeParse(json);
    if (!parsed.success) {
      throw new ScimMalformedResponseError(
        `token endpoint answer lacks a bearer access_token (${parsed.error.issues.map((i) => i.path.join('.')).join(', ')})`,
        { ...details, status: 200 },
      );
    }
    const lifetimeMs = (parsed.data.expires_in ?? 3600) * 1000;
    return {
      header: `Bearer ${parsed.data.access_token}`,
      expiresAt: startedAt + Math.max(0, lifetimeMs - refreshBeforeExpiryMs),
    };
  }
}
