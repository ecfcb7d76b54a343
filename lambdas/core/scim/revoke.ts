// The revocation itself: find exactly one account, (leave its groups,) deactivate or delete it, read
// it back, and return evidence. Never writes on a doubt, never reports an unverified success.
import { type ScimConnection, USERS } from './connection.ts';
import { ScimAccountMismatchError, ScimNotFoundError, ScimVerificationError } from './errors.ts';
import type { AccountMatch } from './filter.ts';
import { type GroupRemoval, removeFromGroups } from './groups.ts';
import type { RequestRecord } from './options.ts';
import { deactivateRequest } from './patch.ts';
import { findAccount, getAccount } from './resources.ts';

export type Verified = { readonly active: false } | { readonly deleted: true };

export interface RevokeRequest {
  readonly match: AccountMatch;
  readonly action: 'deactivate' | 'delete';
  /** Remove the account from every group first. @default false */
  readonly removeFromGroups?: boolean;
  /** Write only if the match finds the account of this SCIM id. @default - any one exact match */
  readonly accountId?: string;
  /**
   * Called after the find, before anything at the target changes (group removals included): the
   * caller's last word on whether to write at all (a rescinded termination, a spent blast-radius
   * budget). When it throws, nothing is written, not even a group removal.
   * @default - nothing is called
   */
  readonly beforeChanges?: (account: NonNullable<RevokeEvidence['account']>) => Promise<void>;
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
  /** PATCH or DELETE here; a session target's revoker (lambdas/core/sessions) also sends POST. */
  readonly method: 'PATCH' | 'DELETE' | 'POST';
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

/**
 * Sets `active` to false with a PATCH in the target's shape (never a PUT).
 * @throws ScimNotFoundError when the account does not exist
 */
export async function deactivate(conn: ScimConnection, id: string, trace?: RequestRecord[]): Promise<void> {
  await conn.send('PATCH', conn.userPath(id), {
    body: deactivateRequest(conn.quirks.patchStyle),
    expect: 'json-or-empty',
    trace,
  });
}

/** Deletes the account. A 404 means someone else already did: success, flagged. */
export async function deleteAccount(
  conn: ScimConnection,
  id: string,
  trace?: RequestRecord[],
): Promise<{ alreadyGone: boolean }> {
  const sent = await conn.send('DELETE', conn.userPath(id), { expect: 'empty', allowNotFound: true, trace });
  return { alreadyGone: sent.status === 404 };
}

/**
 * Reads the account back and proves the revocation took effect: `active` false, or gone (404).
 * @throws ScimVerificationError while the account still reads as active (or as present, after a delete)
 */
export async function verify(
  conn: ScimConnection,
  id: string,
  after: 'deactivate' | 'delete',
  trace?: RequestRecord[],
): Promise<Verified> {
  const account = await getAccount(conn, id, trace);
  // Gone is revoked either way; some servers (Atlassian) answer 404 for deactivated users.
  if (account === undefined) return { deleted: true };
  if (account.active === false) return { active: false };
  const state = account.active === undefined ? 'does not state `active`' : 'is still active';
  throw new ScimVerificationError(
    after === 'delete'
      ? `account ${id} still exists and ${state} after DELETE`
      : `account ${id} ${state} after the deactivating PATCH`,
    { method: 'GET', path: conn.userPath(id), status: 200 },
  );
}

/**
 * Find → (group removal) → deactivate | delete → read back → verify. Returns evidence of every
 * request; throws rather than reporting anything it could not verify.
 */
export async function revoke(conn: ScimConnection, request: RevokeRequest): Promise<RevokeEvidence> {
  const requests: RequestRecord[] = [];
  const found = await findAccount(conn, request.match, requests);
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

  await request.beforeChanges?.(summary);
  // Before the deactivation: some servers refuse any call about a deactivated user.
  const groups = request.removeFromGroups ? await removeFromGroups(conn, account.id, requests) : undefined;

  await request.beforeWrite?.({
    method: request.action === 'delete' ? 'DELETE' : 'PATCH',
    path: conn.userPath(account.id),
    account: summary,
    ...(groups && { groups }),
  });
  let alreadyGone = false;
  if (request.action === 'delete') {
    alreadyGone = (await deleteAccount(conn, account.id, requests)).alreadyGone;
  } else {
    try {
      await deactivate(conn, account.id, requests);
    } catch (err) {
      // Gone between find and PATCH: the read-back below decides.
      if (!(err instanceof ScimNotFoundError)) throw err;
      alreadyGone = true;
    }
  }
  const verified = await verify(conn, account.id, request.action, requests);
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
