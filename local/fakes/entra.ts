// A fake Microsoft Entra ID: the client-credentials token endpoint of the Microsoft identity
// platform (`POST /<tenant>/oauth2/v2.0/token`, client_id and client_secret in the form) and the
// Microsoft Graph v1.0 calls a session target makes: get a user, `revokeSignInSessions` (200
// `{ value: true }`, resetting signInSessionsValidFromDateTime), with Graph's error body and its
// throttling answer (429 with Retry-After) (https://learn.microsoft.com/en-us/graph/api/user-revokesigninsessions,
// https://learn.microsoft.com/en-us/graph/throttling).
import { randomUUID } from 'node:crypto';
import { type FakeAnswer, type FakeServer, serveFake, Throttle } from './session-hook.ts';

export interface FakeEntraUser {
  readonly id: string;
  readonly userPrincipalName: string;
  readonly mail?: string;
}

export interface FakeEntra extends FakeServer {
  /** Token URL for the tenant; Graph's base is `${url}/v1.0`. */
  readonly tokenUrl: string;
  readonly graphUrl: string;
  /** signInSessionsValidFromDateTime per user id. */
  readonly validFrom: Map<string, string>;
  readonly revoked: string[];
  readonly throttle: Throttle;
  /** When true, revokeSignInSessions answers 200 but leaves validFrom as it was (a lagging write). */
  lagging: boolean;
  /**
   * Tests only: a lookup of a key listed here (as asked, any case) answers the user with the given
   * id, as a directory that resolved the key loosely would; scimitar must refuse the inexact match.
   */
  readonly inexact: Map<string, string>;
}

const graphError = (status: number, code: string, message: string): FakeAnswer => ({
  status,
  json: { error: { code, message, innerError: { 'request-id': 'fake' } } },
});

export async function startFakeEntra(options: {
  tenantId: string;
  clientId: string;
  clientSecret: string;
  users: readonly FakeEntraUser[];
}): Promise<FakeEntra> {
  const tokens = new Set<string>();
  const validFrom = new Map(options.users.map((u) => [u.id, '2020-01-01T00:00:00Z']));
  const revoked: string[] = [];
  const throttle = new Throttle();
  const state = { lagging: false };
  const inexact = new Map<string, string>();
  const server = await serveFake((req) => {
    if (req.method === 'POST' && req.url.pathname === `/${options.tenantId}/oauth2/v2.0/token`) {
      const form = new URLSearchParams(req.body);
      if (form.get('grant_type') !== 'client_credentials')
        return { status: 400, json: { error: 'unsupported_grant_type' } };
      if (form.get('client_id') !== options.clientId || form.get('client_secret') !== options.clientSecret)
        return { status: 401, json: { error: 'invalid_client' } };
      if (form.get('scope') !== 'https://graph.microsoft.com/.default')
        return { status: 400, json: { error: 'invalid_scope' } };
      const token = randomUUID();
      tokens.add(token);
      return { status: 200, json: { token_type: 'Bearer', expires_in: 3599, access_token: token } };
    }
    const bearer = /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1];
    if (!bearer || !tokens.has(bearer))
      return graphError(401, 'InvalidAuthenticationToken', 'Access token is empty or invalid.');
    const limited = throttle.take();
    if (limited) return { ...graphError(429, 'TooManyRequests', 'Too many requests.'), headers: limited };
    const parts = req.url.pathname.split('/').slice(1).map(decodeURIComponent);
    if (parts[0] !== 'v1.0' || parts[1] !== 'users')
      return graphError(400, 'BadRequest', 'Unsupported request');
    const key = parts[2] ?? '';
    const loose = inexact.get(key.toLowerCase());
    const user = options.users.find(
      (u) => u.id === key || u.userPrincipalName.toLowerCase() === key.toLowerCase() || u.id === loose,
    );
    if (!user) return graphError(404, 'Request_ResourceNotFound', `Resource '${key}' does not exist.`);
    if (req.method === 'GET' && parts.length === 3) {
      const all = {
        ...user,
        mail: user.mail ?? null,
        signInSessionsValidFromDateTime: validFrom.get(user.id),
      };
      const select = req.url.searchParams.get('$select')?.split(',');
      const json = select
        ? Object.fromEntries(select.map((f) => [f, (all as Record<string, unknown>)[f] ?? null]))
        : all;
      return { status: 200, json };
    }
    if (req.method === 'POST' && parts.length === 4 && parts[3] === 'revokeSignInSessions') {
      revoked.push(user.id);
      // Graph keeps whole seconds.
      if (!state.lagging) validFrom.set(user.id, `${new Date().toISOString().slice(0, 19)}Z`);
      return {
        status: 200,
        json: { '@odata.context': 'https://graph.microsoft.com/v1.0/$metadata#Edm.Boolean', value: true },
      };
    }
    return graphError(405, 'Request_BadRequest', 'Unsupported method');
  });
  return {
    ...server,
    tokenUrl: `${server.url}/${options.tenantId}/oauth2/v2.0/token`,
    graphUrl: `${server.url}/v1.0`,
    validFrom,
    revoked,
    throttle,
    inexact,
    get lagging() {
      return state.lagging;
    },
    set lagging(value: boolean) {
      state.lagging = value;
    },
  };
}
