// The identity providers' session APIs, each over the SCIM client's connection (pacing, one
// credential re-read on 401, throttled answers waited out or handed back, typed errors, evidence):
// find the user by the path the provider documents (Okta, for an email its login lookup does not
// know, by a filter whose value cannot leave its quotes), end the sessions, and verify where the
// provider lets us read the result. A user the provider does not know is nobody to sign out:
// no-account, as a 404 is in SCIM.

import type { MatchAttribute } from '../model/config.ts';
import type { SessionsVerified } from '../revocation/ports.ts';
import type { ScimConnection } from '../scim/connection.ts';
import {
  isFilterSafe,
  ScimAccountMismatchError,
  ScimAmbiguousMatchError,
  ScimMalformedResponseError,
  ScimPermanentError,
  ScimVerificationError,
} from '../scim/index.ts';
import type { RequestRecord } from '../scim/options.ts';

/** A user found at the provider. */
export interface SessionUser {
  readonly id: string;
  /** The login, UPN or primary email: what the audit shows. */
  readonly userName: string;
}

/** One provider's calls; `path` values are below the connection's base URL. */
export interface SessionApi {
  find(value: string, attribute: MatchAttribute, trace: RequestRecord[]): Promise<SessionUser | undefined>;
  /** The revoking request, named before it is sent (the lane notes it first). */
  write(user: SessionUser): { readonly method: 'POST' | 'DELETE'; readonly path: string };
  /** Sends it; `gone` when the provider no longer knows the user (404): nothing left to end. */
  send(user: SessionUser, trace: RequestRecord[]): Promise<{ gone: boolean }>;
  /** What can be read back after the write, sent at `sentAt` (ms since the epoch). */
  verify(user: SessionUser, sentAt: number, trace: RequestRecord[]): Promise<SessionsVerified>;
}

const enc = encodeURIComponent;
const same = (a: string | undefined, b: string) => a !== undefined && a.toLowerCase() === b.toLowerCase();

function refuseMismatch(attribute: MatchAttribute, value: string, found: string, path: string): never {
  throw new ScimAccountMismatchError(
    `looking up ${attribute} ${JSON.stringify(value)} found user ${JSON.stringify(found)}, which is not an exact match; refusing to sign anyone out`,
    { method: 'GET', path },
  );
}

function object(json: unknown, method: string, path: string): Record<string, unknown> {
  if (json === null || typeof json !== 'object' || Array.isArray(json))
    throw new ScimMalformedResponseError('answer is not a JSON object', { method, path, status: 200 });
  return json as Record<string, unknown>;
}

function stringField(obj: Record<string, unknown>, field: string, method: string, path: string): string {
  const value = obj[field];
  if (typeof value !== 'string' || !value)
    throw new ScimMalformedResponseError(`answer has no ${field}`, { method, path, status: 200 });
  return value;
}

/**
 * Okta: `GET /api/v1/users/{login}` finds the user (by id, login or login shortname, so the
 * answer's login or email is compared exactly); for `email`, a 404 there is followed by the List
 * Users search on the profile email (oktaByEmail), `DELETE /api/v1/users/{id}/sessions?oauthTokens=true`
 * ends every IdP session and revokes the OIDC/OAuth tokens issued to the user (204)
 * (https://developer.okta.com/docs/api/openapi/okta-management/management/tag/UserSessions).
 * Okta's management API has no read of a user's sessions: verified by its 204 alone.
 */
export function oktaSessions(conn: ScimConnection, targetId: string): SessionApi {
  return {
    async find(value, attribute, trace) {
      const path = `/api/v1/users/${enc(value)}`;
      const sent = await conn.send('GET', path, { expect: 'json', allowNotFound: true, trace });
      // Okta resolves this path by login, not by profile email: a person whose login is not their
      // work email is found only by the search. Only on a 404: a user found here who is not an
      // exact match is refused below, not searched past.
      if (sent.status === 404)
        return attribute === 'email' ? oktaByEmail(conn, targetId, value, trace) : undefined;
      const user = object(sent.json, 'GET', path);
      const id = stringField(user, 'id', 'GET', path);
      const { login, email } = oktaProfile(user, path);
      if (!same(login, value) && !(attribute === 'email' && same(email, value)))
        refuseMismatch(attribute, value, login, path);
      return { id, userName: login };
    },
    write: (user) => ({ method: 'DELETE', path: `/api/v1/users/${enc(user.id)}/sessions?oauthTokens=true` }),
    async send(user, trace) {
      const { path } = this.write(user);
      const sent = await conn.send('DELETE', path, { expect: 'empty', allowNotFound: true, trace });
      return { gone: sent.status === 404 };
    },
    async verify() {
      return {
        sessionsRevoked: true,
        checkedBy: 'answer',
        detail: "Okta answered 204; its management API offers no read of a user's sessions to check",
      };
    },
  };
}

function oktaProfile(user: Record<string, unknown>, path: string) {
  const profile = object(user.profile ?? {}, 'GET', path);
  return {
    login: typeof profile.login === 'string' ? profile.login : '',
    email: typeof profile.email === 'string' ? profile.email : undefined,
  };
}

/**
 * Finds an Okta user by profile email with the List Users search `profile.email eq "<value>"`
 * (https://developer.okta.com/docs/api/openapi/okta-management/management/tag/User/#tag/User/operation/listUsers).
 * Okta recommends `search` over `filter` and compares its string values case-insensitively, where
 * `filter` compares them exactly: an email HR sends in other capitals than Okta stores is still
 * found (https://developer.okta.com/docs/reference/user-query/,
 * https://support.okta.com/help/s/article/case-sensitivity-in-okta-users-api-filter-vs-search).
 * Okta documents no escape inside a quoted string, so a value holding a quote, a backslash or a
 * control character is refused, never sent: it could end the string and widen the search. Any
 * other value sits whole between the quotes, and the search is one URL-encoded parameter. Each user
 * answered is compared again (ignoring case); a DEPROVISIONED user (deactivated: no sign-in, no
 * sessions) is not a candidate, so an old account sharing the email refuses nothing; more than one
 * other match is refused (never sign out the wrong person), none is no account.
 */
async function oktaByEmail(
  conn: ScimConnection,
  targetId: string,
  value: string,
  trace: RequestRecord[],
): Promise<SessionUser | undefined> {
  if (!isFilterSafe(value))
    throw new ScimPermanentError(
      `session target ${targetId}: no Okta user has the login ${JSON.stringify(value)}, and the email holds a quote, backslash or control character, which cannot be quoted safely in Okta's profile.email search; refusing to look it up`,
      { method: 'GET', path: '/api/v1/users' },
    );
  const path = `/api/v1/users?search=${enc(`profile.email eq "${value}"`)}`;
  const sent = await conn.send('GET', path, { expect: 'json', trace });
  if (!Array.isArray(sent.json))
    throw new ScimMalformedResponseError('answer is not a JSON array', { method: 'GET', path, status: 200 });
  const exact = sent.json
    .map((u) => object(u, 'GET', path))
    .filter((u) => u.status !== 'DEPROVISIONED' && same(oktaProfile(u, path).email, value));
  const ids = exact.map((u) => stringField(u, 'id', 'GET', path));
  if (exact.length > 1)
    throw new ScimAmbiguousMatchError(
      `session target ${targetId}: ${exact.length} Okta users have the profile email ${JSON.stringify(value)}; refusing to choose whom to sign out`,
      { method: 'GET', path, status: 200, accountIds: ids },
    );
  const [user] = exact;
  const [id] = ids;
  return user && id ? { id, userName: oktaProfile(user, path).login } : undefined;
}

/** Clock skew allowed between this machine and Entra when reading signInSessionsValidFromDateTime back. */
export const ENTRA_SKEW_MS = 60_000;

/**
 * Microsoft Entra ID (Microsoft Graph v1.0): `GET /users/{id | userPrincipalName}` finds the user,
 * `POST /users/{id}/revokeSignInSessions` invalidates every refresh token and session cookie by
 * resetting `signInSessionsValidFromDateTime` (permission User.RevokeSessions.All)
 * (https://learn.microsoft.com/en-us/graph/api/user-revokesigninsessions). Verified by reading that
 * property back: it must be no earlier than the request (less ENTRA_SKEW_MS).
 */
export function entraSessions(conn: ScimConnection): SessionApi {
  return {
    async find(value, attribute, trace) {
      const path = `/users/${enc(value)}?$select=id,userPrincipalName,mail`;
      const sent = await conn.send('GET', path, { expect: 'json', allowNotFound: true, trace });
      if (sent.status === 404) return undefined;
      const user = object(sent.json, 'GET', path);
      const id = stringField(user, 'id', 'GET', path);
      const upn = stringField(user, 'userPrincipalName', 'GET', path);
      const mail = typeof user.mail === 'string' ? user.mail : undefined;
      if (!same(upn, value) && !(attribute === 'email' && same(mail, value)) && id !== value)
        refuseMismatch(attribute, value, upn, path);
      return { id, userName: upn };
    },
    write: (user) => ({ method: 'POST', path: `/users/${enc(user.id)}/revokeSignInSessions` }),
    async send(user, trace) {
      const { path } = this.write(user);
      const sent = await conn.send('POST', path, { expect: 'json-or-empty', allowNotFound: true, trace });
      return { gone: sent.status === 404 };
    },
    async verify(user, sentAt, trace) {
      const path = `/users/${enc(user.id)}?$select=id,signInSessionsValidFromDateTime`;
      const sent = await conn.send('GET', path, { expect: 'json', allowNotFound: true, trace });
      if (sent.status === 404)
        return {
          sessionsRevoked: true,
          checkedBy: 'read-back',
          detail: 'the user no longer exists in Entra ID',
        };
      const validFrom = object(sent.json, 'GET', path).signInSessionsValidFromDateTime;
      const at = typeof validFrom === 'string' ? Date.parse(validFrom) : Number.NaN;
      if (Number.isNaN(at) || at < sentAt - ENTRA_SKEW_MS) {
        throw new ScimVerificationError(
          `signInSessionsValidFromDateTime reads ${JSON.stringify(validFrom ?? null)}, earlier than the revocation sent at ${new Date(sentAt).toISOString()}`,
          { method: 'GET', path, status: 200 },
        );
      }
      return {
        sessionsRevoked: true,
        checkedBy: 'read-back',
        detail: `signInSessionsValidFromDateTime ${new Date(at).toISOString()}: tokens issued before it are refused`,
      };
    },
  };
}

/**
 * Google Workspace (Admin SDK Directory API): `GET /admin/directory/v1/users/{userKey}` finds the
 * user (primary or alias email), `POST /admin/directory/v1/users/{userKey}/signOut` signs them out
 * of every web and device session and resets their sign-in cookies (scope
 * admin.directory.user.security) (https://developers.google.com/workspace/admin/directory/reference/rest/v1/users/signOut).
 * The API has no read of a user's sessions: verified by its answer alone.
 */
export function googleSessions(conn: ScimConnection): SessionApi {
  const users = '/admin/directory/v1/users';
  return {
    async find(value, attribute, trace) {
      const path = `${users}/${enc(value)}`;
      const sent = await conn.send('GET', path, { expect: 'json', allowNotFound: true, trace });
      if (sent.status === 404) return undefined;
      const user = object(sent.json, 'GET', path);
      const id = stringField(user, 'id', 'GET', path);
      const primary = stringField(user, 'primaryEmail', 'GET', path);
      const aliases = Array.isArray(user.aliases) ? user.aliases.filter((a) => typeof a === 'string') : [];
      if (!same(primary, value) && !aliases.some((a) => same(a, value)))
        refuseMismatch(attribute, value, primary, path);
      return { id, userName: primary };
    },
    write: (user) => ({ method: 'POST', path: `${users}/${enc(user.id)}/signOut` }),
    async send(user, trace) {
      const { path } = this.write(user);
      const sent = await conn.send('POST', path, { expect: 'json-or-empty', allowNotFound: true, trace });
      return { gone: sent.status === 404 };
    },
    async verify() {
      return {
        sessionsRevoked: true,
        checkedBy: 'answer',
        detail:
          "Google answered 2xx to signOut; the Directory API offers no read of a user's sessions to check",
      };
    },
  };
}

/** Google's quota reasons: a 403 with one of them is a rate limit, to wait out, not a refusal. */
const GOOGLE_QUOTA_REASONS = /"reason"\s*:\s*"(userRateLimitExceeded|rateLimitExceeded|quotaExceeded)"/;

/**
 * Google answers a spent quota with 403 `userRateLimitExceeded` or `quotaExceeded` and asks for
 * exponential backoff (https://developers.google.com/workspace/admin/directory/v1/limits): such an
 * answer is passed on as the 429 it means, so the lane hands the revocation back instead of
 * failing it. Any other 403 stays a refusal.
 */
export function googleQuotaAsThrottle(inner: typeof fetch): typeof fetch {
  return async (input, init) => {
    const response = await inner(input, init);
    if (response.status !== 403) return response;
    const text = await response.text();
    const status = GOOGLE_QUOTA_REASONS.test(text) ? 429 : 403;
    return new Response(text, { status, headers: response.headers });
  };
}
