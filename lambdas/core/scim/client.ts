// The SCIM 2.0 client scimitar revokes accounts with: one object per target behind which the work is
// split by concern (connection: transport and credentials; resources: find and list; revoke; groups;
// probe; answers: error mapping). Transport, credentials and clock are injected; no AWS SDK here.
import { ScimConnection } from './connection.ts';
import type { AccountMatch } from './filter.ts';
import { type ManagedGroupMembers, managedGroupMembers } from './group-members.ts';
import { type GroupRemoval, removeFromGroups } from './groups.ts';
import type { RequestRecord, ScimClientOptions, ScimQuirks } from './options.ts';
import type { ListedPage, ListPosition } from './paging.ts';
import { type ProbeReport, probe } from './probe.ts';
import { type FindResult, findAccount, getAccount, listAccountPages, listUsers } from './resources.ts';
import type { ScimAccount } from './responses.ts';
import {
  deactivate,
  deleteAccount,
  type RevokeEvidence,
  type RevokeRequest,
  revoke,
  type Verified,
  verify,
} from './revoke.ts';
import {
  type MembershipUpdateEvidence,
  type MembershipUpdateRequest,
  updateMemberships,
} from './update-memberships.ts';

export class ScimClient {
  readonly quirks: ScimQuirks;
  private readonly conn: ScimConnection;

  constructor(options: ScimClientOptions) {
    this.conn = new ScimConnection(options);
    this.quirks = this.conn.quirks;
  }

  /** @see findAccount in resources.ts */
  findAccount(match: AccountMatch, trace?: RequestRecord[]): Promise<FindResult> {
    return findAccount(this.conn, match, trace);
  }

  /** Reads one account; undefined when the server answers 404. */
  getAccount(id: string, trace?: RequestRecord[]): Promise<ScimAccount | undefined> {
    return getAccount(this.conn, id, trace);
  }

  /** @see deactivate in revoke.ts */
  deactivate(id: string, trace?: RequestRecord[]): Promise<void> {
    return deactivate(this.conn, id, trace);
  }

  /** Deletes the account. A 404 means someone else already did: success, flagged. */
  delete(id: string, trace?: RequestRecord[]): Promise<{ alreadyGone: boolean }> {
    return deleteAccount(this.conn, id, trace);
  }

  /** @see verify in revoke.ts */
  verify(id: string, after: 'deactivate' | 'delete', trace?: RequestRecord[]): Promise<Verified> {
    return verify(this.conn, id, after, trace);
  }

  /** Find → (group removal) → deactivate | delete → read back → verify; see revoke.ts. */
  revoke(request: RevokeRequest): Promise<RevokeEvidence> {
    return revoke(this.conn, request);
  }

  /** @see removeFromGroups in groups.ts */
  removeFromGroups(userId: string, trace?: RequestRecord[]): Promise<GroupRemoval> {
    return removeFromGroups(this.conn, userId, trace);
  }

  /** Find → managed memberships → remove / add → read back → verify; see update-memberships.ts. */
  updateMemberships(request: MembershipUpdateRequest): Promise<MembershipUpdateEvidence> {
    return updateMemberships(this.conn, request);
  }

  /** @see managedGroupMembers in group-members.ts */
  managedGroupMembers(names: readonly string[], trace?: RequestRecord[]): Promise<ManagedGroupMembers> {
    return managedGroupMembers(this.conn, names, trace);
  }

  /** Every account of the target, one page in memory at a time. */
  listAccounts(options: { pageSize?: number } = {}): AsyncGenerator<ScimAccount, void, undefined> {
    return listUsers(this.conn, { pageSize: options.pageSize });
  }

  /** @see listAccountPages in resources.ts */
  listAccountPages(
    options: { pageSize?: number; from?: ListPosition } = {},
  ): AsyncGenerator<ListedPage<ScimAccount>, void, undefined> {
    return listAccountPages(this.conn, options);
  }

  /** Read-only check of a target: what it says it supports, whether our credentials work. Never writes. */
  probe(): Promise<ProbeReport> {
    return probe(this.conn);
  }
}
