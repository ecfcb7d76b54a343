// Group removal before a revocation: the user leaves every group that lists them, whether the
// user's own `groups` attribute or a `members.value eq` search names it.
import { GROUPS, type ScimConnection } from './connection.ts';
import { ScimNotFoundError, ScimPagingError, ScimPermanentError } from './errors.ts';
import type { RequestRecord } from './options.ts';
import { removeMemberRequest } from './patch.ts';
import { getAccount, listGroupsWithMember } from './resources.ts';

export interface GroupRemoval {
  /** Groups the member was removed from. */
  readonly removed: readonly string[];
  /** Groups that answered noTarget or 404: the member was already gone. */
  readonly alreadyAbsent: readonly string[];
  /** The server refused `GET /Groups?filter=members.value eq ...`; only the user's `groups` attribute was used. */
  readonly groupSearchRefused?: true;
}

/**
 * Removes the user from every group that lists them: groups named by the user's `groups`
 * attribute, plus (filter 'full') those a `members.value eq` search finds.
 */
export async function removeFromGroups(
  conn: ScimConnection,
  userId: string,
  trace?: RequestRecord[],
): Promise<GroupRemoval> {
  const groupIds = new Set<string>();
  let searchRefused = false;
  const user = await getAccount(conn, userId, trace);
  if (user === undefined) {
    throw new ScimNotFoundError(`account ${userId} not found`, {
      method: 'GET',
      path: conn.userPath(userId),
      status: 404,
    });
  }
  for (const id of user.groupIds) groupIds.add(id);
  if (conn.quirks.filter === 'full') {
    try {
      for await (const group of listGroupsWithMember(conn, userId, trace)) groupIds.add(group);
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
      const sent = await conn.send('PATCH', path, {
        body: removeMemberRequest(conn.quirks.patchStyle, userId),
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
