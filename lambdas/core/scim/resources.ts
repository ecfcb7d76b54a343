// Reading users and groups: find the one account a match names, read one by id, and list them a
// page at a time in the target's paging style (paging.ts).
import { parseList, parseUser } from './answers.ts';
import { GROUPS, type ScimConnection, USERS } from './connection.ts';
import { ScimAmbiguousMatchError, ScimMalformedResponseError } from './errors.ts';
import { type AccountMatch, buildFilter, isFilterSafe, matchesExactly } from './filter.ts';
import type { RequestRecord } from './options.ts';
import { type ListedPage, type ListPosition, listPages, pages } from './paging.ts';
import { describeIssues, groupSchema, type ScimAccount } from './responses.ts';

export type FindResult =
  | { readonly status: 'none' }
  | { readonly status: 'found'; readonly account: ScimAccount };

/**
 * Finds the one account the match names. The server's filter only proposes candidates; each is
 * compared exactly (filter.ts) and the rest ignored. For values many filter parsers mishandle
 * (quotes, backslashes, control characters) the whole list is read instead.
 * @throws ScimAmbiguousMatchError when more than one account matches exactly
 */
export async function findAccount(
  conn: ScimConnection,
  match: AccountMatch,
  trace?: RequestRecord[],
): Promise<FindResult> {
  const filter = isFilterSafe(match.value) ? buildFilter(match) : undefined;
  const exact: ScimAccount[] = [];
  for await (const account of listUsers(conn, { filter, trace })) {
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
export async function getAccount(
  conn: ScimConnection,
  id: string,
  trace?: RequestRecord[],
): Promise<ScimAccount | undefined> {
  const path = conn.userPath(id);
  const sent = await conn.send('GET', path, { expect: 'json', allowNotFound: true, trace });
  if (sent.status === 404) return undefined;
  return parseUser(sent.json, 'GET', path);
}

export function listUsers(
  conn: ScimConnection,
  opts: { filter?: string | undefined; pageSize?: number | undefined; trace?: RequestRecord[] | undefined },
): AsyncGenerator<ScimAccount, void, undefined> {
  return pages<ScimAccount>({
    style: conn.quirks.paging,
    pageSize: pageSizeOf(conn, opts.pageSize),
    idOf: (a) => a.id,
    describe: { method: 'GET', path: USERS },
    fetchPage: ({ query }) => fetchUserPage(conn, opts.filter, query, opts.trace),
  });
}

/**
 * Every account of the target a page at a time, with the position of the next page, so a long
 * walk (reconciliation) can stop between pages and continue from `from` in a later process.
 */
export function listAccountPages(
  conn: ScimConnection,
  options: { pageSize?: number; from?: ListPosition } = {},
): AsyncGenerator<ListedPage<ScimAccount>, void, undefined> {
  return listPages<ScimAccount>({
    style: conn.quirks.paging,
    pageSize: pageSizeOf(conn, options.pageSize),
    idOf: (a) => a.id,
    describe: { method: 'GET', path: USERS },
    fetchPage: (request) => fetchUserPage(conn, undefined, request.query, undefined),
    ...(options.from && { from: options.from }),
  });
}

/** Ids of the groups a `members.value eq` search finds for the user. */
export async function* listGroupsWithMember(
  conn: ScimConnection,
  userId: string,
  trace?: RequestRecord[],
): AsyncGenerator<string> {
  const filter = `members.value eq ${JSON.stringify(userId)}`;
  yield* pages<string>({
    style: conn.quirks.paging,
    pageSize: conn.quirks.maxPageSize,
    idOf: (id) => id,
    describe: { method: 'GET', path: GROUPS },
    fetchPage: async ({ query }) => {
      const params = new URLSearchParams({ filter, attributes: 'displayName', ...query });
      const path = `${GROUPS}?${params}`;
      const sent = await conn.send('GET', path, { expect: 'json', trace });
      const list = parseList(sent.json, 'GET', path, conn.quirks.paging);
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
        totalResults: list.totalResults ?? 0,
        ...(list.nextCursor !== undefined && { nextCursor: list.nextCursor }),
      };
    },
  });
}

function pageSizeOf(conn: ScimConnection, asked: number | undefined): number {
  return Math.min(asked ?? conn.quirks.maxPageSize, conn.quirks.maxPageSize);
}

async function fetchUserPage(
  conn: ScimConnection,
  filter: string | undefined,
  query: Record<string, string>,
  trace: RequestRecord[] | undefined,
) {
  const params = new URLSearchParams(filter === undefined ? {} : { filter });
  for (const [k, v] of Object.entries(query)) params.set(k, v);
  const path = `${USERS}?${params}`;
  const sent = await conn.send('GET', path, { expect: 'json', trace });
  const list = parseList(sent.json, 'GET', path, conn.quirks.paging);
  return {
    resources: (list.Resources ?? []).map((r) => parseUser(r, 'GET', path)),
    totalResults: list.totalResults ?? 0,
    ...(list.nextCursor !== undefined && { nextCursor: list.nextCursor }),
  };
}
