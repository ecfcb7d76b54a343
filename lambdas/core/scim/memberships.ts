// A mover's managed group memberships: find the groups scimitar manages by displayName, read which
// of them list the user, remove and add the user as asked, and read the memberships back. Groups
// not named as managed are never read for writing, and never written.
import * as z from 'zod';
import { parseList } from './answers.ts';
import { GROUPS, type ScimConnection } from './connection.ts';
import {
  ScimAmbiguousMatchError,
  ScimMalformedResponseError,
  ScimPagingError,
  ScimPermanentError,
  ScimVerificationError,
} from './errors.ts';
import { isFilterSafe } from './filter.ts';
import type { RequestRecord } from './options.ts';
import { pages } from './paging.ts';
import { addMemberRequest, removeMemberRequest } from './patch.ts';
import { getAccount, listGroupsWithMember } from './resources.ts';
import { describeIssues } from './responses.ts';

/** A managed group as the target holds it. */
export interface ManagedGroup {
  readonly id: string;
  readonly displayName: string;
}

/** The managed groups that exist at the target, by configured displayName, and those it lacks. */
export interface ManagedGroups {
  readonly byName: ReadonlyMap<string, ManagedGroup>;
  /** Configured managed groups the target has no group for: nothing is read or written for them. */
  readonly missing: readonly string[];
}

/**
 * How the memberships were read: the member search; each managed group asked with an `id … and
 * members …` filter (eq-only servers); or each managed group read (the server refused the search).
 */
export type MembershipSource = 'member-search' | 'group-filter' | 'group-read';

const groupWithMembersSchema = z.object({
  id: z.string().min(1),
  displayName: z.string().optional(),
  members: z.array(z.object({ value: z.string().optional() })).optional(),
});

function parseGroup(json: unknown, method: string, path: string, status: number) {
  const parsed = groupWithMembersSchema.safeParse(json);
  if (!parsed.success) {
    throw new ScimMalformedResponseError(`group is invalid: ${describeIssues(parsed.error)}`, {
      method,
      path,
      status,
    });
  }
  return parsed.data;
}

/** RFC 7643 §4.2 (schema §8.7.1): a group's displayName is not case-exact. */
const sameName = (a: string, b: string) => a.toLowerCase() === b.toLowerCase();

/**
 * The one group named `displayName`, found with `displayName eq "…"` (the value as a JSON string,
 * RFC 7644 §3.4.2.2) and confirmed by comparing the name; for names many filter parsers mishandle,
 * every group is listed instead. undefined when the target has none.
 * @throws ScimAmbiguousMatchError when two groups carry the name
 */
export async function findGroupByName(
  conn: ScimConnection,
  displayName: string,
  trace?: RequestRecord[],
): Promise<ManagedGroup | undefined> {
  const filter = isFilterSafe(displayName) ? `displayName eq ${JSON.stringify(displayName)}` : undefined;
  const found: ManagedGroup[] = [];
  const listing = pages<ManagedGroup>({
    style: conn.quirks.paging,
    pageSize: conn.quirks.maxPageSize,
    idOf: (g) => g.id,
    describe: { method: 'GET', path: GROUPS },
    fetchPage: async ({ query }) => {
      // eq-only servers (AWS IAM Identity Center) document no `attributes` parameter: not sent there.
      const params = new URLSearchParams({
        ...(filter !== undefined && { filter }),
        ...(conn.quirks.filter === 'full' && { attributes: 'displayName' }),
        ...query,
      });
      const path = `${GROUPS}?${params}`;
      const sent = await conn.send('GET', path, { expect: 'json', trace });
      const list = parseList(sent.json, 'GET', path, conn.quirks.paging);
      return {
        resources: (list.Resources ?? []).map((r) => {
          const group = parseGroup(r, 'GET', path, sent.status);
          return { id: group.id, displayName: group.displayName ?? '' };
        }),
        totalResults: list.totalResults ?? 0,
        ...(list.nextCursor !== undefined && { nextCursor: list.nextCursor }),
      };
    },
  });
  for await (const group of listing) if (sameName(group.displayName, displayName)) found.push(group);
  if (found.length > 1) {
    throw new ScimAmbiguousMatchError(
      `${found.length} groups are named ${JSON.stringify(displayName)}; refusing to choose one`,
      { method: 'GET', path: GROUPS, accountIds: found.map((g) => g.id) },
    );
  }
  return found[0];
}

/** Finds each managed group at the target by its displayName. */
export async function findManagedGroups(
  conn: ScimConnection,
  names: readonly string[],
  trace?: RequestRecord[],
): Promise<ManagedGroups> {
  const byName = new Map<string, ManagedGroup>();
  const missing: string[] = [];
  for (const name of names) {
    const group = await findGroupByName(conn, name, trace);
    if (group) byName.set(name, group);
    else missing.push(name);
  }
  return { byName, missing };
}

/** Whether the group `groupId` lists `userId`, read from the group itself; a gone group lists nobody. */
async function groupListsMember(
  conn: ScimConnection,
  groupId: string,
  userId: string,
  trace?: RequestRecord[],
): Promise<boolean> {
  const path = `${GROUPS}/${encodeURIComponent(groupId)}`;
  const sent = await conn.send('GET', path, { expect: 'json', allowNotFound: true, trace });
  if (sent.status === 404) return false;
  const group = parseGroup(sent.json, 'GET', path, sent.status);
  return (group.members ?? []).some((m) => m.value === userId);
}

/**
 * Whether the group lists the user, asked as AWS IAM Identity Center documents it (its GetGroup
 * and ListGroups return an empty member list; the supported filters include `id` and `members`:
 * https://docs.aws.amazon.com/singlesignon/latest/developerguide/listgroups.html).
 */
async function groupFilterListsMember(
  conn: ScimConnection,
  groupId: string,
  userId: string,
  trace?: RequestRecord[],
): Promise<boolean> {
  const filter = `id eq ${JSON.stringify(groupId)} and members eq ${JSON.stringify(userId)}`;
  const path = `${GROUPS}?${new URLSearchParams({ filter })}`;
  const sent = await conn.send('GET', path, { expect: 'json', trace });
  const list = parseList(sent.json, 'GET', path);
  // The filter is a hint: only the group itself in the answer says yes.
  return (list.Resources ?? []).some((r) => parseGroup(r, 'GET', path, sent.status).id === groupId);
}

/**
 * The managed groups (configured names) that list the user: from the member search
 * (`members.value eq`) and the user's own `groups` attribute; on a server that understands only
 * `eq` (quirk `filter: 'eq-only'`), by asking each managed group with `id eq … and members eq …`;
 * where the server refuses the member search, by reading each managed group's `members`.
 */
export async function managedMemberships(
  conn: ScimConnection,
  userId: string,
  managed: ManagedGroups,
  trace?: RequestRecord[],
): Promise<{ memberOf: string[]; source: MembershipSource }> {
  const nameOf = new Map([...managed.byName].map(([name, group]) => [group.id, name]));
  if (nameOf.size === 0) return { memberOf: [], source: 'member-search' };
  if (conn.quirks.filter === 'full') {
    try {
      const ids = new Set<string>();
      for await (const id of listGroupsWithMember(conn, userId, trace)) ids.add(id);
      const user = await getAccount(conn, userId, trace);
      for (const id of user?.groupIds ?? []) ids.add(id);
      const memberOf = [...nameOf].flatMap(([id, name]) => (ids.has(id) ? [name] : []));
      return { memberOf, source: 'member-search' };
    } catch (err) {
      const refused = err instanceof ScimPermanentError && !(err instanceof ScimPagingError);
      if (!refused) throw err;
    }
  }
  const eqOnly = conn.quirks.filter === 'eq-only';
  const memberOf: string[] = [];
  for (const [name, group] of managed.byName) {
    const member = eqOnly
      ? await groupFilterListsMember(conn, group.id, userId, trace)
      : await groupListsMember(conn, group.id, userId, trace);
    if (member) memberOf.push(name);
  }
  return { memberOf, source: eqOnly ? 'group-filter' : 'group-read' };
}

/** What {@link changeMemberships} did, group by group (configured names). */
export interface MembershipChange {
  readonly removed: readonly string[];
  /** Answered noTarget or 404: the user was no longer a member. */
  readonly alreadyAbsent: readonly string[];
  readonly added: readonly string[];
}

/** Removes the user from `remove` and adds them to `add` (configured names of found managed groups). */
export async function changeMemberships(
  conn: ScimConnection,
  userId: string,
  managed: ManagedGroups,
  change: { readonly remove: readonly string[]; readonly add: readonly string[] },
  trace?: RequestRecord[],
): Promise<MembershipChange> {
  const groupOf = (name: string) => {
    const group = managed.byName.get(name);
    // The caller plans from managedMemberships: a name outside the managed groups found is a bug.
    if (!group) throw new Error(`group ${JSON.stringify(name)} is not a managed group found at the target`);
    return `${GROUPS}/${encodeURIComponent(group.id)}`;
  };
  const removed: string[] = [];
  const alreadyAbsent: string[] = [];
  for (const name of change.remove) {
    try {
      const sent = await conn.send('PATCH', groupOf(name), {
        body: removeMemberRequest(conn.quirks.patchStyle, userId),
        expect: 'json-or-empty',
        allowNotFound: true,
        trace,
      });
      (sent.status === 404 ? alreadyAbsent : removed).push(name);
    } catch (err) {
      if (!(err instanceof ScimPermanentError && err.status === 400 && err.scimType === 'noTarget'))
        throw err;
      alreadyAbsent.push(name);
    }
  }
  const added: string[] = [];
  for (const name of change.add) {
    await conn.send('PATCH', groupOf(name), {
      body: addMemberRequest(conn.quirks.patchStyle, userId),
      expect: 'json-or-empty',
      trace,
    });
    added.push(name);
  }
  return { removed, alreadyAbsent, added };
}

/**
 * Reads the memberships back and proves the change: no removed group lists the user, every added
 * one does. Returns the managed memberships read.
 * @throws ScimVerificationError when the read-back disagrees
 */
export async function verifyMemberships(
  conn: ScimConnection,
  userId: string,
  managed: ManagedGroups,
  change: { readonly remove: readonly string[]; readonly add: readonly string[] },
  trace?: RequestRecord[],
): Promise<{ memberOf: string[]; source: MembershipSource }> {
  const after = await managedMemberships(conn, userId, managed, trace);
  const held = new Set(after.memberOf);
  const stillThere = change.remove.filter((name) => held.has(name));
  const notAdded = change.add.filter((name) => !held.has(name));
  if (stillThere.length > 0 || notAdded.length > 0) {
    const problems = [
      ...(stillThere.length > 0 ? [`still a member of ${stillThere.join(', ')} after the removal`] : []),
      ...(notAdded.length > 0 ? [`not a member of ${notAdded.join(', ')} after the addition`] : []),
    ];
    throw new ScimVerificationError(`account ${userId} is ${problems.join('; ')}`, {
      method: 'GET',
      path: GROUPS,
      status: 200,
    });
  }
  return after;
}
