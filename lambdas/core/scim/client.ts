// The SCIM 2.0 client scimitar revokes accounts with: find exactly one account, deactivate or delete
// it, read it back, and return evidence. It never writes on a doubt and never reports an unverified
// success. Transport, credentials and clock are injected; no AWS SDK here.
import pkg from '../../../package.json' with { type: 'json' };
import { type CredentialSource, CredentialUnavailableError } from './credentials.ts';
import {
  parseRetryAfter,
  redactSecrets,
  ScimAccountMismatchError,
  ScimAmbiguousMatchError,
  ScimCredentialError,
  ScimError,
  ScimMalformedResponseError,
  ScimNotFoundError,
  ScimPagingError,
  ScimPermanentError,
  ScimRetryableError,
  ScimVerificationError,
} from './errors.ts';
import { type AccountMatch, buildFilter, isFilterSafe, matchesExactly } from './filter.ts';
import { type ListedPage, type ListPosition, listPages, type PagingStyle, pages } from './paging.ts';
import { deactivateRequest, type PatchStyle, removeMemberRequest } from './patch.ts';
import {
  describeIssues,
  errorBodySchema,
  groupSchema,
  listResponseSchema,
  type ScimAccount,
  serviceProviderConfigSchema,
  toAccount,
  userSchema,
} from './responses.ts';

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
}

export type FindResult =
  | { readonly status: 'none' }
  | { readonly status: 'found'; readonly account: ScimAccount };

export type Verified = { readonly active: false } | { readonly deleted: true };

export interface RevokeRequest {
  readonly match: AccountMatch;
  readonly action: 'deactivate' | 'delete';
  /** Remove the account from every group first. @default false */
  readonly removeFromGroups?: boolean;
  /** Write only if the match finds the account of this SCIM id. @default - any one exact match */
  readonly accountId?: string;
  /**
   * Called after the find (and any group removal), just before the PATCH or DELETE is sent: the
   * caller records the write first, so a write whose answer is lost is still known to be its own.
   * When it throws, nothing is written.
   * @default - nothing is called
   */
  readonly beforeWrite?: (write: PendingWrite) => Promise<void>;
}

/** The account write {@link ScimClient.revoke} is about to send. */
export interface PendingWrite {
  readonly method: 'PATCH' | 'DELETE';
  /** Below the base URL. */
  readonly path: string;
  /** The account as found, before the write. */
  readonly account: NonNullable<RevokeEvidence['account']>;
  readonly groups?: GroupRemoval;
}

export interface RevokeEvidence {
  readonly outcome: 'revoked' | 'no-account' | 'already-revoked';
  /** The account as found, before any write. */
  readonly account?: { readonly id: string; readonly userName: string; readonly active?: boolean };
  readonly requests: readonly RequestRecord[];
  /** What the read-back showed; absent only for no-account. */
  readonly verified?: Verified;
  /** The DELETE (or PATCH) answered 404: someone removed the account before we did. */
  readonly alreadyGone?: boolean;
  readonly groups?: GroupRemoval;
}

export interface GroupRemoval {
  /** Groups the member was removed from. */
  readonly removed: readonly string[];
  /** Groups that answered noTarget or 404: the member was already gone. */
  readonly alreadyAbsent: readonly string[];
  /** The server refused `GET /Groups?filter=members.value eq ...`; only the user's `groups` attribute was used. */
  readonly groupSearchRefused?: true;
}

export interface ProbeReport {
  /** The server answered at all (any HTTP status). */
  readonly reachable: boolean;
  /** GET /Users?count=1 succeeded with the configured credentials. */
  readonly authenticated: boolean;
  readonly serviceProviderConfig?: {
    readonly patch: boolean;
    readonly filter: boolean;
    readonly bulk: boolean;
    readonly etag: boolean;
    readonly sort: boolean;
    readonly maxResults?: number;
    readonly authenticationSchemes: readonly string[];
  };
  /** One line per thing that will stop or hamper revocation on this target. */
  readonly problems: readonly string[];
  readonly requests: readonly RequestRecord[];
}

type Expect = 'json' | 'json-or-empty' | 'empty';

interface SendOptions {
  readonly body?: unknown;
  readonly expect: Expect;
  /** Return 404 to the caller instead of throwing. */
  readonly allowNotFound?: boolean;
  readonly trace?: RequestRecord[];
}

/** A response whose body has been read in full. */
interface Answer {
  readonly status: number;
  readonly headers: Headers;
  readonly text: string;
}

interface Sent {
  readonly status: number;
  readonly json?: unknown;
}

const USERS = '/Users';
const GROUPS = '/Groups';

export class ScimClient {
  readonly quirks: ScimQuirks;
  private readonly baseUrl: string;
  private readonly timeoutMs: number;
  private readonly userAgent: string;
  private readonly fetchFn: typeof fetch;
  private readonly clock: () => number;

  constructor(private readonly options: ScimClientOptions) {
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
    this.baseUrl = url.href.replace(/\/+$/, '');
    this.quirks = { ...DEFAULT_QUIRKS, ...options.quirks };
    const { maxPageSize } = this.quirks;
    if (!Number.isInteger(maxPageSize) || maxPageSize < 1) {
      throw new Error(`ScimClient: quirks.maxPageSize must be a positive integer, got ${maxPageSize}`);
    }
    this.timeoutMs = options.timeoutMs ?? 10_000;
    if (!(this.timeoutMs > 0))
      throw new Error(`ScimClient: timeoutMs must be positive, got ${this.timeoutMs}`);
    this.userAgent = options.userAgent ?? `scimitar/${pkg.version}`;
    this.fetchFn = options.fetch ?? globalThis.fetch;
    this.clock = options.clock ?? Date.now;
  }

  /**
   * Finds the one account the match names. The server's filter only proposes candidates; each is
   * compared exactly (filter.ts) and the rest ignored. For values many filter parsers mishandle
   * (quotes, backslashes, control characters) the whole list is read instead.
   * @throws ScimAmbiguousMatchError when more than one account matches exactly
   */
  async findAccount(match: AccountMatch, trace?: RequestRecord[]): Promise<FindResult> {
    const filter = isFilterSafe(match.value) ? buildFilter(match) : undefined;
    const exact: ScimAccount[] = [];
    for await (const account of this.listUsers({ filter, trace })) {
      if (matchesExactly(account, match)) exact.push(account);
    }
    if (exact.length > 1) {
      throw new ScimAmbiguousMatchError(
        `${exact.length} accounts match ${match.attribute} exactly; refusing to choose one`,
        { method: 'GET', path: USERS, accountIds: exact.map((a) => a.id) },
      );
    }
    const [account] = exact;
    return account ? { status: 'found', account } : { status: 'none' };
  }

  /** Reads one account; undefined when the server answers 404. */
  async getAccount(id: string, trace?: RequestRecord[]): Promise<ScimAccount | undefined> {
    const sent = await this.send('GET', this.userPath(id), { expect: 'json', allowNotFound: true, trace });
    if (sent.status === 404) return undefined;
    return this.parseUser(sent.json, 'GET', this.userPath(id));
  }

  /**
   * Sets `active` to false with a PATCH in the target's shape (never a PUT).
   * @throws ScimNotFoundError when the account does not exist
   */
  async deactivate(id: string, trace?: RequestRecord[]): Promise<void> {
    await this.send('PATCH', this.userPath(id), {
      body: deactivateRequest(this.quirks.patchStyle),
      expect: 'json-or-empty',
      trace,
    });
  }

  /** Deletes the account. A 404 means someone else already did: success, flagged. */
  async delete(id: string, trace?: RequestRecord[]): Promise<{ alreadyGone: boolean }> {
    const sent = await this.send('DELETE', this.userPath(id), {
      expect: 'empty',
      allowNotFound: true,
      trace,
    });
    return { alreadyGone: sent.status === 404 };
  }

  /**
   * Reads the account back and proves the revocation took effect: `active` false, or gone (404).
   * @throws ScimVerificationError while the account still reads as active (or as present, after a delete)
   */
  async verify(id: string, after: 'deactivate' | 'delete', trace?: RequestRecord[]): Promise<Verified> {
    const account = await this.getAccount(id, trace);
    // Gone is revoked either way; some servers (Atlassian) answer 404 for deactivated users.
    if (account === undefined) return { deleted: true };
    if (account.active === false) return { active: false };
    const state = account.active === undefined ? 'does not state `active`' : 'is still active';
    throw new ScimVerificationError(
      after === 'delete'
        ? `account ${id} still exists and ${state} after DELETE`
        : `account ${id} ${state} after the deactivating PATCH`,
      { method: 'GET', path: this.userPath(id), status: 200 },
    );
  }

  /**
   * Find → (group removal) → deactivate | delete → read back → verify. Returns evidence of every
   * request; throws rather than reporting anything it could not verify.
   */
  async revoke(request: RevokeRequest): Promise<RevokeEvidence> {
    const requests: RequestRecord[] = [];
    const found = await this.findAccount(request.match, requests);
    if (found.status === 'none') return { outcome: 'no-account', requests };
    const { account } = found;
    if (request.accountId !== undefined && account.id !== request.accountId) {
      throw new ScimAccountMismatchError(
        `${request.match.attribute} now matches account ${account.id}, not account ${request.accountId} the request named; refusing to write`,
        { method: 'GET', path: USERS },
      );
    }
    const summary = {
      id: account.id,
      userName: account.userName,
      ...(account.active !== undefined && { active: account.active }),
    };

    // Before the deactivation: some servers refuse any call about a deactivated user.
    const groups = request.removeFromGroups ? await this.removeFromGroups(account.id, requests) : undefined;

    await request.beforeWrite?.({
      method: request.action === 'delete' ? 'DELETE' : 'PATCH',
      path: this.userPath(account.id),
      account: summary,
      ...(groups && { groups }),
    });
    let alreadyGone = false;
    if (request.action === 'delete') {
      alreadyGone = (await this.delete(account.id, requests)).alreadyGone;
    } else {
      try {
        await this.deactivate(account.id, requests);
      } catch (err) {
        // Gone between find and PATCH: the read-back below decides.
        if (!(err instanceof ScimNotFoundError)) throw err;
        alreadyGone = true;
      }
    }
    const verified = await this.verify(account.id, request.action, requests);
    const outcome = alreadyGone || account.active === false ? 'already-revoked' : 'revoked';
    return {
      outcome,
      account: summary,
      requests,
      verified,
      ...(alreadyGone && { alreadyGone }),
      ...(groups && { groups }),
    };
  }

  /**
   * Removes the user from every group that lists them: groups named by the user's `groups`
   * attribute, plus (filter 'full') those a `members.value eq` search finds.
   */
  async removeFromGroups(userId: string, trace?: RequestRecord[]): Promise<GroupRemoval> {
    const groupIds = new Set<string>();
    let searchRefused = false;
    const user = await this.getAccount(userId, trace);
    if (user === undefined) {
      throw new ScimNotFoundError(`account ${userId} not found`, {
        method: 'GET',
        path: this.userPath(userId),
        status: 404,
      });
    }
    for (const id of user.groupIds) groupIds.add(id);
    if (this.quirks.filter === 'full') {
      try {
        for await (const group of this.listGroupsWithMember(userId, trace)) groupIds.add(group);
      } catch (err) {
        // Servers without /Groups search (404, 501) or without this filter (400, 403): the user's
        // own `groups` attribute is then all we know, and the evidence says so.
        const refused = err instanceof ScimPermanentError && !(err instanceof ScimPagingError);
        if (!refused) throw err;
        searchRefused = true;
      }
    }
    const removed: string[] = [];
    const alreadyAbsent: string[] = [];
    for (const groupId of groupIds) {
      const path = `${GROUPS}/${encodeURIComponent(groupId)}`;
      try {
        const sent = await this.send('PATCH', path, {
          body: removeMemberRequest(this.quirks.patchStyle, userId),
          expect: 'json-or-empty',
          allowNotFound: true,
          trace,
        });
        (sent.status === 404 ? alreadyAbsent : removed).push(groupId);
      } catch (err) {
        if (err instanceof ScimPermanentError && err.status === 400 && err.scimType === 'noTarget') {
          alreadyAbsent.push(groupId);
        } else {
          throw err;
        }
      }
    }
    return { removed, alreadyAbsent, ...(searchRefused && { groupSearchRefused: true }) };
  }

  /** Every account of the target, one page in memory at a time. */
  listAccounts(options: { pageSize?: number } = {}): AsyncGenerator<ScimAccount, void, undefined> {
    return this.listUsers({ pageSize: options.pageSize });
  }

  /**
   * Every account of the target a page at a time, with the position of the next page, so a long
   * walk (reconciliation) can stop between pages and continue from `from` in a later process.
   */
  listAccountPages(
    options: { pageSize?: number; from?: ListPosition } = {},
  ): AsyncGenerator<ListedPage<ScimAccount>, void, undefined> {
    const pageSize = Math.min(options.pageSize ?? this.quirks.maxPageSize, this.quirks.maxPageSize);
    return listPages<ScimAccount>({
      style: this.quirks.paging,
      pageSize,
      idOf: (a) => a.id,
      describe: { method: 'GET', path: USERS },
      fetchPage: (request) => this.fetchUserPage(undefined, request.query, undefined),
      ...(options.from && { from: options.from }),
    });
  }

  /** Read-only check of a target: what it says it supports, whether our credentials work. Never writes. */
  async probe(): Promise<ProbeReport> {
    const requests: RequestRecord[] = [];
    const problems: string[] = [];
    let reachable = false;
    let serviceProviderConfig: ProbeReport['serviceProviderConfig'];

    try {
      const sent = await this.send('GET', '/ServiceProviderConfig', { expect: 'json', trace: requests });
      reachable = true;
      const parsed = serviceProviderConfigSchema.safeParse(sent.json);
      if (!parsed.success) {
        problems.push(`ServiceProviderConfig is not readable: ${describeIssues(parsed.error)}`);
      } else {
        const c = parsed.data;
        serviceProviderConfig = {
          patch: c.patch?.supported ?? false,
          filter: c.filter?.supported ?? false,
          bulk: c.bulk?.supported ?? false,
          etag: c.etag?.supported ?? false,
          sort: c.sort?.supported ?? false,
          ...(c.filter?.maxResults !== undefined && { maxResults: c.filter.maxResults }),
          authenticationSchemes: (c.authenticationSchemes ?? []).flatMap((s) => (s.type ? [s.type] : [])),
        };
        if (!serviceProviderConfig.patch)
          problems.push('PATCH not supported: scimitar cannot deactivate here');
        if (!serviceProviderConfig.filter) {
          problems.push('filtering not supported: every find will read the whole user list');
        }
        const max = serviceProviderConfig.maxResults;
        if (max !== undefined && max < this.quirks.maxPageSize) {
          problems.push(`filter.maxResults is ${max}, below quirks.maxPageSize ${this.quirks.maxPageSize}`);
        }
      }
    } catch (err) {
      if (!(err instanceof ScimError)) throw err;
      reachable ||= err.status !== undefined;
      problems.push(`GET /ServiceProviderConfig failed: ${err.message}`);
    }

    let authenticated = false;
    try {
      const path = `${USERS}?${new URLSearchParams({ count: '1' })}`;
      const sent = await this.send('GET', path, { expect: 'json', trace: requests });
      reachable = true;
      this.parseList(sent.json, 'GET', path);
      authenticated = true;
    } catch (err) {
      if (!(err instanceof ScimError)) throw err;
      reachable ||= err.status !== undefined;
      problems.push(`GET /Users?count=1 failed: ${err.message}`);
    }
    return {
      reachable,
      authenticated,
      ...(serviceProviderConfig && { serviceProviderConfig }),
      problems,
      requests,
    };
  }

  private listUsers(opts: {
    filter?: string | undefined;
    pageSize?: number | undefined;
    trace?: RequestRecord[] | undefined;
  }): AsyncGenerator<ScimAccount, void, undefined> {
    const pageSize = Math.min(opts.pageSize ?? this.quirks.maxPageSize, this.quirks.maxPageSize);
    const describe = { method: 'GET', path: USERS };
    return pages<ScimAccount>({
      style: this.quirks.paging,
      pageSize,
      idOf: (a) => a.id,
      describe,
      fetchPage: ({ query }) => this.fetchUserPage(opts.filter, query, opts.trace),
    });
  }

  private async fetchUserPage(
    filter: string | undefined,
    query: Record<string, string>,
    trace: RequestRecord[] | undefined,
  ) {
    const params = new URLSearchParams(filter === undefined ? {} : { filter });
    for (const [k, v] of Object.entries(query)) params.set(k, v);
    const path = `${USERS}?${params}`;
    const sent = await this.send('GET', path, { expect: 'json', trace });
    const list = this.parseList(sent.json, 'GET', path);
    return {
      resources: (list.Resources ?? []).map((r) => this.parseUser(r, 'GET', path)),
      totalResults: list.totalResults,
      ...(list.nextCursor !== undefined && { nextCursor: list.nextCursor }),
    };
  }

  private async *listGroupsWithMember(userId: string, trace?: RequestRecord[]): AsyncGenerator<string> {
    const filter = `members.value eq ${JSON.stringify(userId)}`;
    const pager = pages<string>({
      style: this.quirks.paging,
      pageSize: this.quirks.maxPageSize,
      idOf: (id) => id,
      describe: { method: 'GET', path: GROUPS },
      fetchPage: async ({ query }) => {
        const params = new URLSearchParams({ filter, attributes: 'displayName', ...query });
        const path = `${GROUPS}?${params}`;
        const sent = await this.send('GET', path, { expect: 'json', trace });
        const list = this.parseList(sent.json, 'GET', path);
        return {
          resources: (list.Resources ?? []).map((r) => {
            const parsed = groupSchema.safeParse(r);
            if (!parsed.success) {
              throw new ScimMalformedResponseError(
                `group in list is invalid: ${describeIssues(parsed.error)}`,
                {
                  method: 'GET',
                  path,
                  status: sent.status,
                },
              );
            }
            return parsed.data.id;
          }),
          totalResults: list.totalResults,
          ...(list.nextCursor !== undefined && { nextCursor: list.nextCursor }),
        };
      },
    });
    yield* pager;
  }

  private userPath(id: string): string {
    if (!id) throw new Error('ScimClient: account id is empty');
    return `${USERS}/${encodeURIComponent(id)}`;
  }

  private parseUser(json: unknown, method: string, path: string): ScimAccount {
    const parsed = userSchema.safeParse(json);
    if (!parsed.success) {
      throw new ScimMalformedResponseError(
        `server answered an invalid User: ${describeIssues(parsed.error)}`,
        {
          method,
          path,
          status: 200,
        },
      );
    }
    return toAccount(parsed.data);
  }

  private parseList(json: unknown, method: string, path: string) {
    const parsed = listResponseSchema.safeParse(json);
    if (!parsed.success) {
      throw new ScimMalformedResponseError(
        `server answered an invalid ListResponse: ${describeIssues(parsed.error)}`,
        { method, path, status: 200 },
      );
    }
    return parsed.data;
  }

  /** One request, with a single credential refresh on 401; every failure mapped to a ScimError. */
  private async send(method: string, path: string, opts: SendOptions): Promise<Sent> {
    let authorization = await this.readCredential(method, path, false);
    let response = await this.exchange(method, path, authorization, opts);
    if (response.status === 401) {
      authorization = await this.readCredential(method, path, true);
      response = await this.exchange(method, path, authorization, opts);
      if (response.status === 401) {
        throw new ScimCredentialError('server answered 401 twice; the credential was re-read in between', {
          method,
          path,
          status: 401,
        });
      }
    }
    return this.interpret(method, path, response, authorization, opts);
  }

  private async readCredential(method: string, path: string, refresh: boolean): Promise<string> {
    try {
      return await this.options.credentials.authorization(refresh ? { refresh } : undefined);
    } catch (err) {
      if (err instanceof ScimError) throw err;
      if (err instanceof CredentialUnavailableError) {
        throw new ScimCredentialError(`could not read the credential: ${err.message}`, { method, path });
      }
      // The provider's own error may quote what it read; keep only its kind.
      const kind = err instanceof Error ? err.name : typeof err;
      throw new ScimCredentialError(`could not read the credential (${kind})`, { method, path });
    }
  }

  /** Sends the request and reads the whole body under one timeout. */
  private async exchange(
    method: string,
    path: string,
    authorization: string,
    opts: SendOptions,
  ): Promise<Answer> {
    const headers: Record<string, string> = {
      authorization,
      accept: 'application/scim+json, application/json',
      'user-agent': this.userAgent,
    };
    if (opts.body !== undefined) headers['content-type'] = 'application/scim+json';
    const waitStartedAt = this.clock();
    await this.options.pace?.();
    const startedAt = this.clock();
    const waitMs = Math.max(0, startedAt - waitStartedAt);
    let response: Response;
    let text: string;
    try {
      response = await this.fetchFn(`${this.baseUrl}${path}`, {
        method,
        headers,
        ...(opts.body !== undefined && { body: JSON.stringify(opts.body) }),
        // A redirect could carry the Authorization header elsewhere; SCIM servers do not redirect.
        redirect: 'manual',
        signal: AbortSignal.timeout(this.timeoutMs),
      });
      text = await response.text();
    } catch (err) {
      throw this.transportError(method, path, err);
    }
    const durationMs = Math.max(0, this.clock() - startedAt);
    opts.trace?.push({ method, path, status: response.status, durationMs, waitMs });
    return { status: response.status, headers: response.headers, text };
  }

  private transportError(method: string, path: string, err: unknown): ScimRetryableError {
    const name = err instanceof Error ? err.name : '';
    if (name === 'TimeoutError' || name === 'AbortError') {
      return new ScimRetryableError(`no complete answer within ${this.timeoutMs} ms`, { method, path });
    }
    // undici wraps the socket error (ECONNRESET, ECONNREFUSED...) as the cause of "fetch failed".
    const code = (err as { cause?: { code?: unknown } } | undefined)?.cause?.code;
    const reason = typeof code === 'string' ? code : 'network error';
    return new ScimRetryableError(`connection failed (${reason})`, { method, path });
  }

  private interpret(
    method: string,
    path: string,
    response: Answer,
    authorization: string,
    opts: SendOptions,
  ): Sent {
    const { status, text } = response;
    const secrets = [authorization, authorization.replace(/^\S+\s+/, '')];
    if (status >= 200 && status < 300) {
      if (opts.expect === 'empty' || (opts.expect === 'json-or-empty' && text.trim() === ''))
        return { status };
      try {
        return { status, json: JSON.parse(text) };
      } catch {
        throw new ScimMalformedResponseError(`server answered ${status} with a body that is not JSON`, {
          method,
          path,
          status,
        });
      }
    }

    const body = this.parseErrorBody(text);
    const detail = body?.detail === undefined ? undefined : redactSecrets(body.detail, secrets).slice(0, 500);
    const scimType = body?.scimType;
    const details = {
      method,
      path,
      status,
      ...(scimType !== undefined && { scimType }),
      ...(detail !== undefined && { detail }),
    };
    const said = `${status}${scimType ? ` ${scimType}` : ''}${detail ? `: ${detail}` : ''}`;

    if (status === 404 && opts.allowNotFound) return { status };
    // 501 Not Implemented will not change by waiting.
    if (status === 429 || (status >= 500 && status !== 501)) {
      const retryAfterMs = parseRetryAfter(response.headers.get('retry-after'), this.clock());
      return this.fail(
        new ScimRetryableError(`server answered ${said}`, {
          ...details,
          ...(retryAfterMs !== undefined && { retryAfterMs }),
        }),
      );
    }
    if (status === 404) return this.fail(new ScimNotFoundError(`not found: ${said}`, details));
    if (status >= 300 && status < 400) {
      return this.fail(
        new ScimPermanentError(`server answered a redirect (${status}); not followed`, details),
      );
    }
    return this.fail(new ScimPermanentError(`server refused the request: ${said}`, details));
  }

  private fail(err: ScimError): never {
    throw err;
  }

  /** A SCIM error body, when there is one; bare 404s and HTML pages give undefined. */
  private parseErrorBody(text: string) {
    if (!text.trim()) return undefined;
    try {
      const parsed = errorBodySchema.safeParse(JSON.parse(text));
      return parsed.success ? parsed.data : undefined;
    } catch {
      return undefined;
    }
  }
}
