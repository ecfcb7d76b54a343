// The credentials of the session APIs, as CredentialSources for the SCIM client's connection (it
// re-reads one after a 401): Okta's API token (`SSWS`), and a Google service account's access token,
// fetched with a signed JWT assertion (RFC 7523) acting as a Workspace admin (domain-wide delegation).
// Entra uses the OAuth2 client-credentials source the SCIM client already has.
import { importPKCS8, SignJWT } from 'jose';
import * as z from 'zod';
import { HttpTransport, HttpUnansweredError } from '../http/transport.ts';
import {
  type CredentialSource,
  ScimCredentialError,
  ScimMalformedResponseError,
  ScimRetryableError,
  type SecretProvider,
} from '../scim/index.ts';

/**
 * Okta's API token: `Authorization: SSWS <token>`
 * (https://developer.okta.com/docs/guides/create-an-api-token/main/).
 */
export class OktaApiToken implements CredentialSource {
  private cached?: Promise<string>;

  constructor(private readonly token: SecretProvider) {}

  authorization(opts?: { refresh?: boolean }): Promise<string> {
    if (opts?.refresh || this.cached === undefined) {
      const reading = this.token().then((value) => {
        const trimmed = value.trim();
        if (!trimmed) throw new Error('the Okta API token secret is empty');
        return `SSWS ${trimmed}`;
      });
      reading.catch(() => {
        if (this.cached === reading) this.cached = undefined;
      });
      this.cached = reading;
    }
    return this.cached;
  }
}

/** The fields of a Google service account key file scimitar reads; the rest are kept as they are. */
const serviceAccountKeySchema = z.object({
  client_email: z.email(),
  private_key: z.string().includes('PRIVATE KEY'),
  private_key_id: z.string().optional(),
});

/** The scope users.signOut and users.get need (https://developers.google.com/workspace/admin/directory/reference/rest/v1/users/signOut). */
export const GOOGLE_USER_SECURITY_SCOPE = 'https://www.googleapis.com/auth/admin.directory.user.security';
export const GOOGLE_USER_READONLY_SCOPE = 'https://www.googleapis.com/auth/admin.directory.user.readonly';

const tokenAnswerSchema = z.object({
  access_token: z.string().min(1),
  expires_in: z.coerce.number().positive().optional(),
});

export interface GoogleServiceAccountOptions {
  /** The key file's JSON, read from the target's secret. */
  readonly key: SecretProvider;
  /** The Workspace admin the service account acts as (the assertion's `sub`). */
  readonly subject: string;
  readonly tokenUrl: string;
  readonly scopes: readonly string[];
  readonly fetch?: typeof fetch;
  /** @default Date.now */
  readonly clock?: () => number;
  /** @default 10_000 */
  readonly timeoutMs?: number;
}

/**
 * A Google access token for a service account with domain-wide delegation: a JWT signed RS256 with
 * the account's key (`iss` the account, `sub` the admin, `scope`, `aud` the token URL, an hour at
 * most), exchanged with grant type `urn:ietf:params:oauth:grant-type:jwt-bearer`
 * (https://developers.google.com/identity/protocols/oauth2/service-account#httprest). Cached until
 * a minute before it expires.
 */
export class GoogleServiceAccount implements CredentialSource {
  private cached?: { header: Promise<string>; expiresAt: number };
  private readonly transport: HttpTransport;
  private readonly clock: () => number;

  constructor(private readonly options: GoogleServiceAccountOptions) {
    this.clock = options.clock ?? Date.now;
    this.transport = new HttpTransport({
      timeoutMs: options.timeoutMs ?? 10_000,
      ...(options.fetch && { fetch: options.fetch }),
    });
  }

  authorization(opts?: { refresh?: boolean }): Promise<string> {
    if (opts?.refresh || !this.cached || this.clock() >= this.cached.expiresAt) {
      const fetching = this.fetchToken();
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
    const { tokenUrl, subject, scopes } = this.options;
    const details = { method: 'POST', path: new URL(tokenUrl).pathname };
    const key = parseKey(await this.options.key());
    let signingKey: Awaited<ReturnType<typeof importPKCS8>>;
    try {
      signingKey = await importPKCS8(key.private_key, 'RS256');
    } catch {
      // The key's own text never reaches an error.
      throw new ScimCredentialError(
        'the service account key in the secret is not a PKCS#8 RSA private key',
        details,
      );
    }
    const now = Math.floor(this.clock() / 1000);
    const assertion = await new SignJWT({ scope: scopes.join(' ') })
      .setProtectedHeader({
        alg: 'RS256',
        typ: 'JWT',
        ...(key.private_key_id && { kid: key.private_key_id }),
      })
      .setIssuer(key.client_email)
      .setSubject(subject)
      .setAudience(tokenUrl)
      .setIssuedAt(now)
      .setExpirationTime(now + 3600)
      .sign(signingKey);
    const body = new URLSearchParams({
      grant_type: 'urn:ietf:params:oauth:grant-type:jwt-bearer',
      assertion,
    });
    const startedAt = this.clock();
    const answer = await this.transport
      .send({
        method: 'POST',
        url: tokenUrl,
        headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
        body,
      })
      .catch((err: unknown) => {
        if (!(err instanceof HttpUnansweredError)) throw err;
        throw new ScimRetryableError(
          `token endpoint ${err.reason === 'timeout' ? 'timed out' : 'failed'}`,
          details,
        );
      });
    if (answer.status === 429 || answer.status >= 500)
      throw new ScimRetryableError(`token endpoint answered ${answer.status}`, {
        ...details,
        status: answer.status,
      });
    if (answer.status !== 200) {
      // RFC 6749 §5.2 codes (unauthorized_client: delegation not granted for the scopes) are safe to repeat.
      const code = /"error"\s*:\s*"([a-z_]{1,40})"/.exec(answer.text)?.[1];
      throw new ScimCredentialError(
        `token endpoint refused the service account: ${answer.status}${code ? ` ${code}` : ''} (is domain-wide delegation granted for ${scopes.join(', ')}?)`,
        { ...details, status: answer.status },
      );
    }
    let parsed: z.infer<typeof tokenAnswerSchema>;
    try {
      parsed = tokenAnswerSchema.parse(JSON.parse(answer.text));
    } catch {
      throw new ScimMalformedResponseError('token endpoint answered 200 without an access_token', {
        ...details,
        status: 200,
      });
    }
    const lifetimeMs = (parsed.expires_in ?? 3600) * 1000;
    return {
      header: `Bearer ${parsed.access_token}`,
      expiresAt: startedAt + Math.max(0, lifetimeMs - 60_000),
    };
  }
}

function parseKey(value: string): z.infer<typeof serviceAccountKeySchema> {
  let json: unknown;
  try {
    json = JSON.parse(value);
  } catch {
    throw new ScimCredentialError(
      "the target's secret is not a service account key file (JSON); store the key file Google issued",
      { method: 'POST', path: '(token)' },
    );
  }
  const parsed = serviceAccountKeySchema.safeParse(json);
  if (!parsed.success) {
    throw new ScimCredentialError(
      'the service account key file lacks client_email or private_key; store the key file Google issued',
      { method: 'POST', path: '(token)' },
    );
  }
  return parsed.data;
}
