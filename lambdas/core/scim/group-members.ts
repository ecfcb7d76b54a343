// The members of the groups scimitar manages at a target, for the reconciler's entitlement drift
// check: each managed group is found by displayName (memberships.ts: `displayName eq "…"`, the value
// as a JSON string, confirmed by name) and its members read from the group resource.
// RFC 7644 pages resources, not the values of one attribute: a group's members come whole in one
// answer. Servers that never return members (AWS IAM Identity Center: "GetGroup and ListGroups
// return an empty member list", https://docs.aws.amazon.com/singlesignon/latest/developerguide/getgroup.html)
// read as empty groups here; docs/reconciliation.md says so.
import * as z from 'zod';
import { GROUPS, type ScimConnection } from './connection.ts';
import { ScimMalformedResponseError } from './errors.ts';
import { findManagedGroups, type ManagedGroup } from './memberships.ts';
import type { RequestRecord } from './options.ts';
import { describeIssues } from './responses.ts';

/** A managed group found at the target, with the SCIM ids of its user members. */
export interface GroupWithMembers extends ManagedGroup {
  /** The configured managed group name it was found by. */
  readonly name: string;
  /** SCIM ids of the members that are users (members of type Group are left out: never nested). */
  readonly members: readonly string[];
}

export interface ManagedGroupMembers {
  readonly groups: readonly GroupWithMembers[];
  /** Configured managed groups the target has no group for. */
  readonly missing: readonly string[];
}

const groupMembersSchema = z.object({
  id: z.string().min(1),
  members: z.array(z.object({ value: z.string().min(1), type: z.string().optional() })).optional(),
});

/**
 * Reads the user members of one group (`GET /Groups/{id}?attributes=members`). A group gone since
 * it was found has no members.
 */
export async function readGroupMembers(
  conn: ScimConnection,
  groupId: string,
  trace?: RequestRecord[],
): Promise<string[]> {
  const path = `${GROUPS}/${encodeURIComponent(groupId)}?${new URLSearchParams({ attributes: 'members' })}`;
  const sent = await conn.send('GET', path, { expect: 'json', allowNotFound: true, trace });
  if (sent.status === 404) return [];
  const parsed = groupMembersSchema.safeParse(sent.json);
  if (!parsed.success) {
    throw new ScimMalformedResponseError(`group ${groupId} is invalid: ${describeIssues(parsed.error)}`, {
      method: 'GET',
      path,
      status: sent.status,
    });
  }
  const members = (parsed.data.members ?? []).filter((m) => m.type === undefined || m.type === 'User');
  return [...new Set(members.map((m) => m.value))];
}

/**
 * Finds each managed group by displayName and reads its members.
 * @throws ScimAmbiguousMatchError when two groups carry a managed name (never guess which one)
 */
export async function managedGroupMembers(
  conn: ScimConnection,
  names: readonly string[],
  trace?: RequestRecord[],
): Promise<ManagedGroupMembers> {
  const managed = await findManagedGroups(conn, names, trace);
  const groups: GroupWithMembers[] = [];
  for (const [name, group] of managed.byName) {
    groups.push({ ...group, name, members: await readGroupMembers(conn, group.id, trace) });
  }
  return { groups, missing: managed.missing };
}
