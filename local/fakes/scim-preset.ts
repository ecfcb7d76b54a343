// A fake SCIM application on loopback that behaves as one preset's vendor documents
// (local/fakes/scim-preset-profiles.ts holds each vendor's profile): its base path, bearer or
// OAuth2 client-credentials auth, filter and paging support, PATCH forms, what DELETE does, how a
// deactivated user reads, and its rate limit. Tests and the local runtime import it from here.
import { randomBytes, randomUUID, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { PresetFakeProfile } from './scim-preset-profiles.ts';
import { applyPatch, FakeScimRefusal, type FakeUser, parseFilter, toScim } from './scim-preset-users.ts';

export type { PresetFakeProfile } from './scim-preset-profiles.ts';
export { presetFakeProfiles } from './scim-preset-profiles.ts';

export interface PresetFakeOptions {
  readonly profile: PresetFakeProfile;
  /** Bearer tokens accepted (profiles with OAuth accept only the tokens their token endpoint minted). */
  readonly tokens?: readonly string[];
  /** The OAuth client the token endpoint accepts (profiles with `oauth`). */
  readonly client?: { readonly id: string; readonly secret: string };
  /** Clock of the rate limit windows. @default Date.now */
  readonly now?: () => number;
  /** @default 0 (a free port) */
  readonly port?: number;
}

export interface ReceivedPresetRequest {
  readonly method: string;
  /** Below the SCIM base path, with the query. */
  readonly path: string;
  readonly userAgent?: string;
  readonly body?: unknown;
}

export interface PresetFake {
  /** The SCIM base URL (what a target's baseUrl is set to). */
  readonly url: string;
  /** The OAuth token endpoint, for profiles with `oauth`. */
  readonly tokenUrl?: string;
  readonly users: ReadonlyMap<string, FakeUser>;
  readonly requests: ReceivedPresetRequest[];
  /** Requests answered 429 by the rate limit. */
  readonly throttled: ReceivedPresetRequest[];
  seed(users: readonly Omit<FakeUser, 'id' | 'active'>[]): FakeUser[];
  userByName(userName: string): FakeUser | undefined;
  acceptTokens(tokens: readonly string[]): void;
  close(): Promise<void>;
}

const MAX_BODY_BYTES = 64 * 1024;
const SCIM_ERROR = 'urn:ietf:params:scim:api:messages:2.0:Error';
const LIST = 'urn:ietf:params:scim:api:messages:2.0:ListResponse';

function sameSecret(given: string, expected: string): boolean {
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

async function readBody(req: IncomingMessage): Promise<string> {
  let size = 0;
  const chunks: Buffer[] = [];
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY_BYTES) throw new FakeScimRefusal(413, undefined, `body over ${MAX_BODY_BYTES} bytes`);
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

export async function startPresetFake(options: PresetFakeOptions): Promise<PresetFake> {
  const { profile } = options;
  const now = options.now ?? Date.now;
  const users = new Map<string, FakeUser>();
  const requests: ReceivedPresetRequest[] = [];
  const throttled: ReceivedPresetRequest[] = [];
  let accepted = new Set(options.tokens ?? []);
  let limitWindow = { start: Number.NEGATIVE_INFINITY, used: 0 };
  const base = profile.basePath.replace(/\/+$/, '');

  const visible = (u: FakeUser | undefined) =>
    u !== undefined && (u.active || profile.deactivated === 'visible') ? u : undefined;

  function rateLimit(received: ReceivedPresetRequest): void {
    const limit = profile.rateLimit;
    if (!limit) return;
    const at = now();
    if (at >= limitWindow.start + limit.windowMs)
      limitWindow = { start: at - (at % limit.windowMs), used: 0 };
    if (limitWindow.used < limit.requests) {
      limitWindow.used++;
      return;
    }
    throttled.push(received);
    const seconds = Math.max(1, Math.ceil((limitWindow.start + limit.windowMs - at) / 1000));
    throw new FakeScimRefusal(429, undefined, 'rate limited', { 'retry-after': String(seconds) });
  }

  function authenticate(req: IncomingMessage): void {
    const header = req.headers.authorization ?? '';
    const token = header.startsWith('Bearer ') ? header.slice(7) : '';
    if (![...accepted].some((t) => sameSecret(token, t))) {
      throw new FakeScimRefusal(401, undefined, 'Authorization header is invalid or missing');
    }
  }

  function tokenEndpoint(body: string, req: IncomingMessage): unknown {
    const oauth = profile.oauth;
    const client = options.client;
    const form = new URLSearchParams(body);
    let id = form.get('client_id') ?? '';
    let secret = form.get('client_secret') ?? '';
    const basic = req.headers.authorization?.match(/^Basic (.+)$/)?.[1];
    if (basic) [id = '', secret = ''] = Buffer.from(basic, 'base64').toString('utf8').split(':');
    const grant = oauth?.grant ?? 'client_credentials';
    if (form.get('grant_type') !== grant) throw new FakeScimRefusal(400, undefined, 'unsupported_grant_type');
    if (grant === 'account_credentials' && form.get('account_id') !== oauth?.accountId) {
      throw new FakeScimRefusal(400, undefined, 'invalid_request: account_id');
    }
    if (!client || id !== client.id || !sameSecret(secret, client.secret)) {
      throw new FakeScimRefusal(400, undefined, 'invalid_client');
    }
    const token = randomBytes(24).toString('hex');
    accepted.add(token);
    return grant === 'account_credentials'
      ? { access_token: token, token_type: 'bearer', expires_in: 3600, scope: 'scim2' }
      : { access_token: token, token_type: 'Bearer', issued_at: String(now()), scope: 'api' };
  }

  function listUsers(query: URLSearchParams): unknown {
    const filter = query.get('filter');
    const predicate = filter === null ? () => true : parseFilter(filter, profile);
    const matched = [...users.values()].filter((u) => visible(u) && predicate(u));
    const count = Math.min(
      Number(query.get('count') ?? profile.maxResults) || profile.maxResults,
      profile.maxResults,
    );
    if (profile.paging === 'cursor' && query.has('cursor')) {
      // RFC 9865 as AWS IAM Identity Center answers it: nextCursor, no totalResults.
      const offset = query.get('cursor')
        ? Number(Buffer.from(query.get('cursor') ?? '', 'base64url').toString())
        : 0;
      if (!Number.isInteger(offset) || offset < 0)
        throw new FakeScimRefusal(400, 'invalidCursor', 'cursor is not valid');
      const page = matched.slice(offset, offset + count);
      const next =
        offset + count < matched.length
          ? Buffer.from(String(offset + count)).toString('base64url')
          : undefined;
      return {
        schemas: [LIST],
        itemsPerPage: page.length,
        Resources: page.map(toScim),
        ...(next && { nextCursor: next }),
      };
    }
    const startIndex = Math.max(1, Number(query.get('startIndex') ?? 1) || 1);
    const page = matched.slice(startIndex - 1, startIndex - 1 + count);
    return {
      schemas: [LIST],
      totalResults: matched.length,
      startIndex,
      itemsPerPage: page.length,
      Resources: page.map(toScim),
    };
  }

  async function route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://fake');
    const text = await readBody(req);
    if (profile.oauth && req.method === 'POST' && url.pathname === profile.oauth.tokenPath) {
      return send(res, 200, tokenEndpoint(text, req), 'application/json');
    }
    if (!url.pathname.startsWith(`${base}/`)) throw new FakeScimRefusal(404, undefined, 'no such route');
    const path = url.pathname.slice(base.length);
    let body: unknown;
    if (text) {
      try {
        body = JSON.parse(text);
      } catch {
        throw new FakeScimRefusal(400, 'invalidSyntax', 'body is not JSON');
      }
    }
    const received: ReceivedPresetRequest = {
      method: req.method ?? 'GET',
      path: `${path}${url.search}`,
      ...(req.headers['user-agent'] && { userAgent: req.headers['user-agent'] }),
      ...(body !== undefined && { body }),
    };
    if (profile.requireUserAgent && !req.headers['user-agent']) {
      throw new FakeScimRefusal(
        403,
        undefined,
        'Request forbidden by administrative rules. Please make sure your request has a User-Agent header',
      );
    }
    rateLimit(received);
    authenticate(req);
    requests.push(received);
    const userMatch = path.match(/^\/Users\/([^/]+)$/);
    if (req.method === 'GET' && path === (profile.serviceProviderConfigPath ?? '/ServiceProviderConfig')) {
      return send(res, 200, {
        patch: { supported: true },
        bulk: { supported: false },
        filter: { supported: true, maxResults: profile.maxResults },
      });
    }
    if (req.method === 'GET' && path === '/Users') return send(res, 200, listUsers(url.searchParams));
    if (req.method === 'GET' && path === '/Groups')
      return send(res, 200, { schemas: [LIST], totalResults: 0, Resources: [] });
    if (!userMatch) throw new FakeScimRefusal(404, undefined, 'no such route');
    const user = visible(users.get(decodeURIComponent(userMatch[1] ?? '')));
    if (!user) throw new FakeScimRefusal(404, undefined, 'Resource not found');
    if (req.method === 'GET') return send(res, 200, toScim(user));
    if (req.method === 'PATCH') {
      applyPatch(user, body, profile);
      return profile.patchAnswer === 204 ? send(res, 204) : send(res, 200, toScim(user));
    }
    if (req.method === 'DELETE') {
      if (profile.onDelete === 'deactivate') user.active = false;
      else users.delete(user.id);
      return send(res, 204);
    }
    throw new FakeScimRefusal(405, undefined, `${req.method} is not supported here`);
  }

  const server = createServer((req, res) => {
    route(req, res).catch((err: unknown) => {
      if (!(err instanceof FakeScimRefusal))
        return send(res, 500, { schemas: [SCIM_ERROR], status: '500', detail: 'internal error' });
      for (const [k, v] of Object.entries(err.headers)) res.setHeader(k, v);
      send(res, err.status, {
        schemas: [SCIM_ERROR],
        status: String(err.status),
        ...(err.scimType && { scimType: err.scimType }),
        detail: err.message,
      });
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', resolve);
  });
  const { port } = server.address() as AddressInfo;
  const origin = `http://127.0.0.1:${port}`;

  return {
    url: `${origin}${base}`,
    ...(profile.oauth && { tokenUrl: `${origin}${profile.oauth.tokenPath}` }),
    users,
    requests,
    throttled,
    seed(input) {
      return input.map((u) => {
        const user: FakeUser = { ...u, id: randomUUID(), active: true };
        users.set(user.id, user);
        return user;
      });
    },
    userByName: (userName) =>
      [...users.values()].find((u) => u.userName.toLowerCase() === userName.toLowerCase()),
    acceptTokens(tokens) {
      accepted = new Set(tokens);
    },
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((err) => (err ? reject(err) : resolve()));
      }),
  };
}

function send(res: ServerResponse, status: number, body?: unknown, type = 'application/scim+json'): void {
  if (body === undefined) {
    res.writeHead(status).end();
    return;
  }
  res.writeHead(status, { 'content-type': type }).end(JSON.stringify(body));
}
