// A small SCIM 2.0 application (users and groups in memory, bearer-token auth) built on SCIMMY, for
// integration tests and as the demo target of the local runtime. It behaves like a well-kept SCIM
// server; test/support/faulty-scim.ts makes it misbehave.
//
// What SCIMMY does and does not do, checked against scimmy 1.3.5 / scimmy-routers 1.3.2:
// - Filters: SCIMMY parses RFC 7644 filters, but its string token does not understand JSON escapes:
//   `userName eq "a\"b"` ends the string at `\"` and answers 400 invalidFilter, and `\\` is compared
//   literally (two backslashes). Its `eq` is case-sensitive for every attribute; this app lowercases
//   userName and emails[].value on both sides so userName matches case-insensitively as RFC 7643 says
//   (caseExact=false), while externalId stays case-sensitive.
// - Paging: the routers cast startIndex/count by writing to req.query, which Express 5 exposes as a
//   fresh getter value on every read; without the writable copy below both are silently ignored.
//   SCIMMY's ListResponse also returns page one again for a startIndex past the end, and reports
//   itemsPerPage as the requested count; this app answers an empty page past the end instead and caps
//   count at maxResults.
// - PATCH: SCIMMY accepts op names in any case and applies `replace` with or without a path; a
//   `remove` whose filter matches nothing is accepted silently (no noTarget). It rejects the Entra
//   form `value: "False"` for the boolean `active`; like servers that serve Entra, this app turns
//   the strings "True"/"False" into booleans for `active` before SCIMMY sees the operation.
// - Answers 204 to DELETE and 200 with the resource to PATCH; unknown ids give 404 with a SCIM error.

import { randomUUID } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import express, { type NextFunction, type Request, type Response } from 'express';
import SCIMMY from 'scimmy';
import SCIMMYRouters from 'scimmy-routers';
import {
  Directory,
  now,
  type SeedGroup,
  type SeedUser,
  type StoredGroup,
  type StoredUser,
} from './scim-app/directory.ts';
import { type RateLimitCounts, type RateLimitOptions, rateLimiter } from './scim-app/rate-limit.ts';
import { acceptEntraBooleans, declareResources } from './scim-app/resources.ts';

export type { ScimEmail, SeedGroup, SeedUser, StoredGroup, StoredUser } from './scim-app/directory.ts';
export type { RateLimitCounts, RateLimitOptions } from './scim-app/rate-limit.ts';

/** One request as the application received it, before SCIMMY interpreted it. */
export interface ReceivedRequest {
  method: string;
  /** Path below the SCIM base URL, with the query string. */
  path: string;
  body: unknown;
}

export interface ScimAppOptions {
  /** Bearer tokens the application accepts. Change them later through `acceptTokens`. */
  readonly tokens: readonly string[];
  /**
   * Largest page the application returns, whatever `count` asks for (also ServiceProviderConfig
   * filter.maxResults).
   * @default 100
   */
  readonly maxResults?: number;
  /**
   * Interface to listen on. Loopback only unless you mean to expose the demo.
   * @default '127.0.0.1'
   */
  readonly host?: string;
  /** @default 0 (any free port) */
  readonly port?: number;
  /**
   * Answer at most this many requests per one-second window, 429 with Retry-After past it, as
   * vendors' SCIM APIs do (local/scim-app/rate-limit.ts).
   * @default - no limit
   */
  readonly rateLimit?: RateLimitOptions;
}

export interface ScimApp {
  /** SCIM base URL, e.g. http://127.0.0.1:40123/scim/v2 */
  readonly url: string;
  /** Users by id, read directly for assertions. */
  readonly users: ReadonlyMap<string, StoredUser>;
  readonly groups: ReadonlyMap<string, StoredGroup>;
  /** Every SCIM request answered, in order (bodies as sent); not those the rate limit refused. */
  readonly requests: ReceivedRequest[];
  /** Every request the rate limit answered 429, in order (empty without `rateLimit`). */
  readonly throttled: ReceivedRequest[];
  /** The rate limit's counts, when the application has one. */
  readonly rateLimit?: RateLimitCounts;
  seed(input: { users?: SeedUser[]; groups?: SeedGroup[] }): { users: StoredUser[]; groups: StoredGroup[] };
  userByName(userName: string): StoredUser | undefined;
  /** Replaces the accepted bearer tokens (a credential rotation). */
  acceptTokens(tokens: readonly string[]): void;
  close(): Promise<void>;
}

const BASE_PATH = '/scim/v2';

/** Starts a SCIM 2.0 application on loopback. */
export async function start(options: ScimAppOptions): Promise<ScimApp> {
  if (options.tokens.length === 0)
    throw new Error('scim-app: options.tokens is empty; give at least one token');
  const maxResults = options.maxResults ?? 100;
  if (!Number.isInteger(maxResults) || maxResults < 1) {
    throw new Error(`scim-app: options.maxResults must be a positive integer, got ${maxResults}`);
  }
  declareResources();

  const dir = new Directory(maxResults);
  let accepted = new Set(options.tokens);
  const requests: ReceivedRequest[] = [];
  const throttled: ReceivedRequest[] = [];
  const received = (req: Request): ReceivedRequest => ({
    method: req.method,
    path: req.originalUrl.slice(BASE_PATH.length),
    body: req.body,
  });
  const limiter = options.rateLimit && rateLimiter(options.rateLimit, (req) => throttled.push(received(req)));

  // SCIMMY's configuration is global; every app in the process advertises the same facts.
  SCIMMY.Config.set({ authenticationSchemes: [] });
  const routers = new SCIMMYRouters({
    type: 'bearer',
    handler: (req: Request) => {
      const header = req.header('authorization') ?? '';
      const token = header.startsWith('Bearer ') ? header.slice('Bearer '.length) : '';
      if (!accepted.has(token)) throw new Error('Bearer token missing or not accepted');
      return 'scimitar-demo';
    },
    context: () => dir,
  });
  SCIMMY.Config.set({
    patch: true,
    filter: { supported: true, maxResults },
    bulk: false,
    sort: false,
    etag: false,
    changePassword: false,
  });

  const app = express();
  app.disable('x-powered-by');
  // Express 5 recomputes req.query on every read, so the routers' casting of startIndex/count would
  // be lost: give the request a plain, writable copy.
  app.use((req: Request, _res: Response, next: NextFunction) => {
    Object.defineProperty(req, 'query', { value: { ...req.query }, writable: true, configurable: true });
    next();
  });
  app.use(BASE_PATH, express.json({ type: ['application/scim+json', 'application/json'] }));
  if (limiter) app.use(BASE_PATH, limiter.middleware);
  app.use(BASE_PATH, (req: Request, _res: Response, next: NextFunction) => {
    requests.push(received(req));
    if (req.method === 'PATCH') req.body = acceptEntraBooleans(req.body);
    next();
  });
  app.use(BASE_PATH, routers);

  const server = app.listen(options.port ?? 0, options.host ?? '127.0.0.1');
  await new Promise<void>((resolve, reject) => {
    server.once('listening', resolve);
    server.once('error', reject);
  });
  const { address, port } = server.address() as AddressInfo;

  function seed(input: { users?: SeedUser[]; groups?: SeedGroup[] }) {
    const stamp = now();
    const users = (input.users ?? []).map((u) => {
      if (dir.userByName(u.userName)) throw new Error(`scim-app: seed userName ${u.userName} exists already`);
      const user: StoredUser = {
        id: randomUUID(),
        userName: u.userName,
        active: u.active ?? true,
        ...(u.externalId !== undefined && { externalId: u.externalId }),
        ...(u.displayName !== undefined && { displayName: u.displayName }),
        ...(u.emails !== undefined && { emails: u.emails }),
        meta: { created: stamp, lastModified: stamp },
      };
      dir.users.set(user.id, user);
      return user;
    });
    const groups = (input.groups ?? []).map((g) => {
      const members = (g.members ?? []).map((userName) => {
        const user = dir.userByName(userName);
        if (!user) throw new Error(`scim-app: seed group ${g.displayName} names unknown user ${userName}`);
        return { value: user.id, display: user.userName };
      });
      const group: StoredGroup = {
        id: randomUUID(),
        displayName: g.displayName,
        members,
        meta: { created: stamp, lastModified: stamp },
      };
      dir.groups.set(group.id, group);
      return group;
    });
    return { users, groups };
  }

  return {
    url: `http://${address}:${port}${BASE_PATH}`,
    users: dir.users,
    groups: dir.groups,
    requests,
    throttled,
    ...(limiter && { rateLimit: limiter.counts }),
    seed,
    userByName: (userName) => dir.userByName(userName),
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
