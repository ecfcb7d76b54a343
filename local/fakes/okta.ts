// A fake Okta org: the management API calls scimitar's session target makes (get a user, list users
// by a profile.email search, clear sessions), with Okta's documented auth (`Authorization: SSWS
// <token>`), error body (errorCode/errorSummary) and rate limit answer (429 with
// X-Rate-Limit-Limit/-Remaining/-Reset, the reset in epoch seconds)
// (https://developer.okta.com/docs/api/openapi/okta-management/management/tag/UserSessions,
// https://developer.okta.com/docs/api/openapi/okta-management/management/tag/User/#tag/User/operation/listUsers,
// https://developer.okta.com/docs/reference/rl-best-practices/).
import type { SessionTargetConfig } from '../../lambdas/core/model/config.ts';
import type { DemoPerson } from '../demo-people.ts';
import { type FakeAnswer, type FakeServer, serveFake, Throttle } from './session-hook.ts';

export interface FakeOktaUser {
  readonly id: string;
  readonly login: string;
  readonly email?: string;
  /** @default 'ACTIVE' */
  readonly status?: 'ACTIVE' | 'DEPROVISIONED';
}

export interface FakeOkta extends FakeServer {
  /** User ids whose sessions were cleared, with whether OAuth tokens were revoked too. */
  readonly cleared: { userId: string; oauthTokens: boolean }[];
  /** User ids holding sessions now: a clear removes the user from it. */
  readonly withSessions: Set<string>;
  readonly throttle: Throttle;
  /** Every request's method and path (with query), as received. */
  readonly requests: string[];
  /** The API token the org accepts: a test sets another, as an admin rotating it in Okta would. */
  token: string;
}

const error = (status: number, errorCode: string, errorSummary: string): FakeAnswer => ({
  status,
  json: { errorCode, errorSummary, errorLink: errorCode, errorId: 'fake', errorCauses: [] },
});

const userJson = (user: FakeOktaUser) => ({
  id: user.id,
  status: user.status ?? 'ACTIVE',
  profile: { login: user.login, email: user.email ?? user.login },
});

/**
 * The one search the fake serves, `profile.email eq "<value>"`: the property name compared
 * case-sensitively, the operator and the value not, as Okta documents for List Users' `search`
 * (https://developer.okta.com/docs/reference/user-query/). Okta documents no escape inside the
 * quotes, so a value holding a quote or backslash is no search here (400). Deprovisioned users are
 * answered too, as Okta's search does.
 */
const EMAIL_SEARCH = /^profile\.email [eE][qQ] "([^"\\]*)"$/;

export async function startFakeOkta(options: {
  token: string;
  users: readonly FakeOktaUser[];
  /** @default 0: an ephemeral port */
  port?: number;
}): Promise<FakeOkta> {
  const cleared: FakeOkta['cleared'] = [];
  const withSessions = new Set(options.users.map((u) => u.id));
  const throttle = new Throttle();
  const requests: string[] = [];
  const state = { token: options.token };
  const byKey = (key: string) =>
    options.users.find(
      (u) => u.id === key || u.login.toLowerCase() === key.toLowerCase() || u.login.split('@')[0] === key,
    );
  const server = await serveFake((req) => {
    requests.push(`${req.method} ${req.url.pathname}${req.url.search}`);
    if (req.headers.authorization !== `SSWS ${state.token}`)
      return error(401, 'E0000011', 'Invalid token provided');
    const limited = throttle.take();
    if (limited)
      return {
        ...error(429, 'E0000047', 'API call exceeded rate limit due to too many requests.'),
        headers: limited,
      };
    const parts = req.url.pathname.split('/').slice(1).map(decodeURIComponent);
    // GET /api/v1/users?search=profile.email eq "..." (the only list of users the fake serves)
    if (req.method === 'GET' && parts.length === 3 && parts[0] === 'api' && parts[2] === 'users') {
      const email = EMAIL_SEARCH.exec(req.url.searchParams.get('search') ?? '')?.[1]?.toLowerCase();
      if (email === undefined) return error(400, 'E0000031', 'Bad request. Invalid search parameter.');
      return {
        status: 200,
        json: options.users.filter((u) => (u.email ?? u.login).toLowerCase() === email).map(userJson),
      };
    }
    // GET /api/v1/users/{id|login|shortname}
    if (req.method === 'GET' && parts.length === 4 && parts[0] === 'api' && parts[2] === 'users') {
      const user = byKey(parts[3] ?? '');
      if (!user) return error(404, 'E0000007', `Not found: Resource not found: ${parts[3]} (User)`);
      return { status: 200, json: userJson(user) };
    }
    // DELETE /api/v1/users/{userId}/sessions?oauthTokens=true
    if (req.method === 'DELETE' && parts.length === 5 && parts[2] === 'users' && parts[4] === 'sessions') {
      const user = options.users.find((u) => u.id === parts[3]);
      if (!user) return error(404, 'E0000007', `Not found: Resource not found: ${parts[3]} (User)`);
      cleared.push({ userId: user.id, oauthTokens: req.url.searchParams.get('oauthTokens') === 'true' });
      withSessions.delete(user.id);
      return { status: 204 };
    }
    return error(404, 'E0000022', 'The endpoint does not support the provided HTTP method');
  }, options.port);
  return {
    ...server,
    cleared,
    withSessions,
    throttle,
    requests,
    get token() {
      return state.token;
    },
    set token(value: string) {
      state.token = value;
    },
  };
}

/** The demo's Okta session targets: provider okta on plain http to this machine. */
export function demoOktaTargetsOf(targets: readonly { kind: string }[]): SessionTargetConfig[] {
  return targets.filter(
    (t): t is SessionTargetConfig =>
      t.kind === 'session' &&
      (t as SessionTargetConfig).provider === 'okta' &&
      /^http:\/\/(localhost|127\.0\.0\.1)[:/]/.test((t as SessionTargetConfig).baseUrl ?? ''),
  );
}

/** A fake Okta org for the demo: every demo person a user (login = their first email), each signed in. */
export function startDemoOkta(
  target: SessionTargetConfig,
  token: string,
  people: readonly DemoPerson[],
  ephemeral: boolean,
): Promise<FakeOkta> {
  const port = ephemeral ? 0 : Number(new URL(target.baseUrl ?? 'http://localhost').port || 80);
  return startFakeOkta({
    token,
    port,
    users: people.map((p) => ({
      id: `00u${p.employeeId}`,
      login: p.emails[0] ?? p.userName,
      email: p.emails[0],
    })),
  });
}
