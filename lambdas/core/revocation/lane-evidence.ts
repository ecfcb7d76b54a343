// What a lane records once a revoking write is done: the account found, the write sent, the
// read-back that verified it, and the ledger's outcome; or, on a retry, scimitar's own earlier
// write whose answer was lost.
import type { AuditStep } from '../model/audit.ts';
import type { Lane, LaneResult } from '../model/messages.ts';
import type { LaneDeps, LaneLedger, LaneLog } from './lane.ts';
import type { LaneRevokeEvidence, SentWrite } from './ports.ts';

/** The audit step that names the write a lane sent. */
export function writeStep(action: Lane['action']): AuditStep {
  return action === 'delete' ? 'DELETED' : action === 'revoke-sessions' ? 'SESSIONS_REVOKED' : 'DEACTIVATED';
}

export async function recordEvidence(
  evidence: LaneRevokeEvidence,
  action: Lane['action'],
  log: LaneLog,
  ledger: LaneLedger,
  deps: LaneDeps,
  attempt: number,
  match: unknown,
  foundLogged: boolean,
): Promise<LaneResult> {
  const requests = evidence.requests;
  if (evidence.outcome === 'no-account' || !evidence.account) {
    await log('NO_ACCOUNT', { match, requests });
    await ledger('no-account');
    return { targetId: deps.targetId, status: 'no-account', attempts: attempt };
  }
  const { account } = evidence;
  const verifiedAt = deps.clock.now().toISOString();
  const status = evidence.outcome === 'already-revoked' ? 'already-revoked' : 'revoked';
  // Written at once (each entry made, in this order, when log is called). A crash part-way leaves
  // the message to come again; the retry finds its own write applied and records it whole.
  await Promise.all([
    ...(foundLogged
      ? []
      : [
          log('FOUND', { account }),
          ...(evidence.groups ? [log('GROUPS_REMOVED', { ...evidence.groups })] : []),
        ]),
    // The step names the write that was sent; VERIFIED carries what the read-back showed (a
    // server may answer 404 for a deactivated user, or keep a deleted one as inactive).
    log(writeStep(action), {
      accountId: account.id,
      alreadyGone: evidence.alreadyGone ?? false,
      alreadyInactive: evidence.outcome === 'already-revoked',
    }),
    log('VERIFIED', { accountId: account.id, verified: evidence.verified, requests, outcome: status }),
    ledger('revoked', account),
  ]);
  return { targetId: deps.targetId, status, accountId: account.id, verifiedAt, attempts: attempt };
}

/**
 * A retry found the account revoked or gone after scimitar's own write of an earlier attempt (sent,
 * applied, its answer lost): that write is the revocation. Read back by SCIM id, then recorded as
 * revoked with the earlier write's evidence, never as "no account" or "already revoked".
 */
export async function recordOwnEarlierWrite(
  write: SentWrite,
  evidence: LaneRevokeEvidence,
  log: LaneLog,
  ledger: LaneLedger,
  deps: LaneDeps,
  attempt: number,
): Promise<LaneResult> {
  const requests = [...evidence.requests];
  // The find no longer sees it (deleted, or a server that hides deactivated users): read it back by id.
  const verified = evidence.verified ?? (await deps.scim.verify(write.accountId, write.action, requests));
  const answerLost = { attempt: write.attempt, at: write.at, request: write.request };
  const verifiedAt = deps.clock.now().toISOString();
  await Promise.all([
    log(writeStep(write.action), {
      accountId: write.accountId,
      answerLost,
      reason: "the write's answer was lost; this attempt found the account revoked and read it back",
    }),
    log('VERIFIED', { accountId: write.accountId, verified, requests, outcome: 'revoked', answerLost }),
    ledger('revoked', { id: write.accountId, userName: write.userName }),
  ]);
  return {
    targetId: deps.targetId,
    status: 'revoked',
    accountId: write.accountId,
    verifiedAt,
    attempts: attempt,
  };
}
