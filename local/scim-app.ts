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

export interface ScimEmail {
  value: string;
  type?: string;
  primary?: boolean;
}

/** A user as the application stores it. */
export interface StoredUser {
  id: string;
  userName: string;
  active: boolean;
  externalId?: string;
  displayName?: string;
  name?: { givenName?: string; familyName?: string; formatted?: string };
  emails?: ScimEmail[];
  meta: { created: string; lastModified: string };
}

export interface StoredGroup {
  id: string;
  displayName: string;
  members: { value: string; display?: string }[];
  meta: { created: string; lastModified: string };
}

export interface SeedUser {
  userName: string;
  /** @default true */
  active?: boolean;
  externalId?: string;
  displayName?: string;
  emails?: ScimEmail[];
}

export interface SeedGroup {
  displayName: string;
  /** userNames of the members (seeded in the same call or earlier). */
  members?: string[];
}

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
}

export interface ScimApp {
  /** SCIM base URL, e.g. http://127.0.0.1:40123/scim/v2 */
  readonly url: string;
  /** Users by id, read directly for assertions. */
  readonly users: ReadonlyMap<string, StoredUser>;
  readonly groups: ReadonlyMap<string, StoredGroup>;
  /** Every SCIM request received, in order (bodies as sent). */
  readonly requests: ReceivedRequest[];
  seed(input: { users?: SeedUser[]; groups?: SeedGroup[] }): { users: StoredUser[]; groups: StoredGroup[] };
  userByName(userName: string): StoredUser | undefined;
  /** Replaces the accepted bearer tokens (a credential rotation). */
  acceptTokens(tokens: readonly string[]): void;
  close(): Promise<void>;
}

const BASE_PATH = '/scim/v2';

/** Users by id, indexed by lowercased userName too: seeding 100,000 users must not be quadratic. */
class UserMap extends Map<string, StoredUser> {
  private readonly byName = new Map<string, string>();

  override set(id: string, user: StoredUser): this {
    const previous = super.get(id);
    if (previous) this.byName.delete(previous.userName.toLowerCase());
    // Map's constructor calls set before fields exist; this app never passes entries to it.
    this.byName?.set(user.userName.toLowerCase(), id);
    return super.set(id, user);
  }

  override delete(id: string): boolean {
    const previous = super.get(id);
    if (previous) this.byName.delete(previous.userName.toLowerCase());
    return super.delete(id);
  }

  override clear(): void {
    this.byName.clear();
    super.clear();
  }

  byUserName(lowercased: string): StoredUser | undefined {
    // Stored users are replaced on every change, never renamed in place, so the index stays true.
    const id = this.byName.get(lowercased);
    return id === undefined ? undefined : super.get(id);
  }
}

/** The in-memory state of one application; SCIMMY's handlers are global, so each request names its store. */
class Directory {
  readonly users = new UserMap();
  readonly groups = new Map<string, StoredGroup>();

  constructor(readonly maxResults: number) {}

  userByName(userName: string): StoredUser | undefined {
    return this.users.byUserName(userName.toLowerCase());
  }

  groupsOf(userId: string): { value: string; display: string; type: string }[] {
    return [...this.groups.values()]
      .filter((g) => g.members.some((m) => m.value === userId))
      .map((g) => ({ value: g.id, display: g.displayName, type: 'direct' }));
  }
}

function now(): string {
  return new Date().toISOString();
}

function scimError(status: number, scimType: string | null, detail: string): Error {
  return new SCIMMY.Types.Error(status, scimType as never, detail);
}

type ScimResourceLike = {
  id?: string;
  filter?: InstanceType<typeof SCIMMY.Types.Filter>;
  constraints?: { startIndex?: number; count?: number; totalResults?: number };
};

// Lowercases the expected values of caseExact=false attributes so SCIMMY's case-sensitive `eq`
// behaves as RFC 7643 asks for userName and emails.
function foldFilter(expression: unknown, parentInsensitive = false): unknown {
  if (Array.isArray(expression)) {
    if (expression.every((e) => Array.isArray(e) || (e && typeof e === 'object'))) {
      return expression.map((e) => foldFilter(e, parentInsensitive));
    }
    if (!parentInsensitive) return expression;
    return expression.map((part, i) => (i > 0 && typeof part === 'string' ? part.toLowerCase() : part));
  }
  if (expression && typeof expression === 'object') {
    return Object.fromEntries(
      Object.entries(expression).map(([key, value]) => {
        const lower = key.toLowerCase();
        const insensitive =
          lower === 'username' || lower === 'emails' || (parentInsensitive && lower === 'value');
        return [key, foldFilter(value, insensitive)];
      }),
    );
  }
  return expression;
}

function foldUser(user: Record<string, unknown>): Record<string, unknown> {
  const emails = Array.isArray(user.emails)
    ? user.emails.map((e: ScimEmail) => ({ ...e, value: e.value.toLowerCase() }))
    : [];
  return { ...user, userName: String(user.userName).toLowerCase(), emails };
}

function page<T>(resource: ScimResourceLike, matched: T[], maxResults: number): T[] {
  const requested = resource.constraints?.count;
  const count = Math.min(requested ?? maxResults, maxResults);
  const startIndex = resource.constraints?.startIndex ?? 1;
  const total = matched.length;
  resource.constraints = { ...resource.constraints, count, startIndex, totalResults: total };
  // SCIMMY's ListResponse slices by startIndex itself, except past the end, where it would return
  // the first page again: answer an empty page there.
  if (startIndex > total) return [];
  // SCIMMY turns every resource it is given into a User before slicing: with 100,000 users that is
  // seconds per page. Hand it little. Past the first `count` items the page alone does (it slices
  // only when it holds at least startIndex items); before, a prefix that holds the page, one item
  // longer when the prefix length would trip its "already sliced" test (total = length + start - 1).
  if (startIndex > count) return matched.slice(startIndex - 1, startIndex - 1 + count);
  let end = Math.min(total, startIndex - 1 + count);
  if (startIndex > 1 && total === end + startIndex - 1 && end < total) end += 1;
  return matched.slice(0, end);
}

function userOut(dir: Directory, user: StoredUser): Record<string, unknown> {
  return { ...user, groups: dir.groupsOf(user.id) };
}

let declared = false;
function declareResources(): void {
  if (declared) return;
  declared = true;

  SCIMMY.Resources.declare(SCIMMY.Resources.User, {
    egress: (resource: ScimResourceLike, dir: Directory) => {
      if (resource.id) {
        const user = dir.users.get(resource.id);
        if (!user) throw scimError(404, null, `Resource ${resource.id} not found`);
        return userOut(dir, user);
      }
      let all = [...dir.users.values()];
      if (resource.filter) {
        const folded = new SCIMMY.Types.Filter(foldFilter([...resource.filter]) as never);
        all = all.filter((u) => {
          // SCIMMY's match throws on a complex attribute the user lacks (name.givenName on a user
          // without name): that user does not match.
          try {
            return folded.match([foldUser(userOut(dir, u))]).length > 0;
          } catch {
            return false;
          }
        });
      }
      return page(resource, all, dir.maxResults).map((u) => userOut(dir, u));
    },
    ingress: (resource: ScimResourceLike, instance: Record<string, unknown>, dir: Directory) => {
      const body = JSON.parse(JSON.stringify(instance)) as Record<string, unknown>;
      const userName = String(body.userName);
      const clash = dir.userByName(userName);
      if (clash && clash.id !== resource.id) {
        throw scimError(409, 'uniqueness', `userName ${JSON.stringify(userName)} is already taken`);
      }
      const previous = resource.id ? dir.users.get(resource.id) : undefined;
      if (resource.id && !previous) throw scimError(404, null, `Resource ${resource.id} not found`);
      const stamp = now();
      const user: StoredUser = {
        id: previous?.id ?? randomUUID(),
        userName,
        active: body.active === undefined ? (previous?.active ?? true) : body.active === true,
        ...(body.externalId !== undefined && { externalId: String(body.externalId) }),
        ...(body.displayName !== undefined && { displayName: String(body.displayName) }),
        ...(body.name !== undefined && { name: body.name as StoredUser['name'] }),
        ...(body.emails !== undefined && { emails: body.emails as ScimEmail[] }),
        meta: { created: previous?.meta.created ?? stamp, lastModified: stamp },
      };
      dir.users.set(user.id, user);
      return userOut(dir, user);
    },
    degress: (resource: ScimResourceLike, dir: Directory) => {
      if (!resource.id || !dir.users.delete(resource.id)) {
        throw scimError(404, null, `Resource ${resource.id} not found`);
      }
      for (const group of dir.groups.values()) {
        group.members = group.members.filter((m) => m.value !== resource.id);
      }
    },
  } as never);

  SCIMMY.Resources.declare(SCIMMY.Resources.Group, {
    egress: (resource: ScimResourceLike, dir: Directory) => {
      if (resource.id) {
        const group = dir.groups.get(resource.id);
        if (!group) throw scimError(404, null, `Resource ${resource.id} not found`);
        return group;
      }
      const all = [...dir.groups.values()];
      const matched = resource.filter ? resource.filter.match(all) : all;
      return page(resource, matched, dir.maxResults);
    },
    ingress: (resource: ScimResourceLike, instance: Record<string, unknown>, dir: Directory) => {
      const body = JSON.parse(JSON.stringify(instance)) as Record<string, unknown>;
      const previous = resource.id ? dir.groups.get(resource.id) : undefined;
      if (resource.id && !previous) throw scimError(404, null, `Resource ${resource.id} not found`);
      const stamp = now();
      const group: StoredGroup = {
        id: previous?.id ?? randomUUID(),
        displayName: String(body.displayName),
        members: ((body.members as StoredGroup['members'] | undefined) ?? []).map((m) => ({
          value: m.value,
          ...(m.display !== undefined && { display: m.display }),
        })),
        meta: { created: previous?.meta.created ?? stamp, lastModified: stamp },
      };
      dir.groups.set(group.id, group);
      return group;
    },
    degress: (resource: ScimResourceLike, dir: Directory) => {
      if (!resource.id || !dir.groups.delete(resource.id)) {
        throw scimError(404, null, `Resource ${resource.id} not found`);
      }
    },
  } as never);
}

// Entra sends `{"op":"Replace","path":"active","value":"False"}`; SCIMMY only takes booleans there.
function acceptEntraBooleans(body: unknown): unknown {
  if (!body || typeof body !== 'object' || !Array.isArray((body as { Operations?: unknown }).Operations)) {
    return body;
  }
  const message = body as { Operations: Record<string, unknown>[] };
  const toBool = (v: unknown) =>
    typeof v === 'string' && /^(true|false)$/i.test(v) ? v.toLowerCase() === 'true' : v;
  return {
    ...message,
    Operations: message.Operations.map((op) => {
      if (typeof op.path === 'string' && op.path.toLowerCase() === 'active') {
        return { ...op, value: toBool(op.value) };
      }
      if (!op.path && op.value && typeof op.value === 'object' && 'active' in op.value) {
        const value = op.value as Record<string, unknown>;
        return { ...op, value: { ...value, active: toBool(value.active) } };
      }
      return op;
    }),
  };
}

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
  app.use(BASE_PATH, (req: Request, _res: Response, next: NextFunction) => {
    requests.push({ method: req.method, path: req.originalUrl.slice(BASE_PATH.length), body: req.body });
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
