// The revocation's side of the race with a rescind: the plan claims the person's pending
// termination (scheduled → started) before it plans, and a lane checks before each write that its
// termination was not cancelled since. Both read the one record a rescind writes, so every race
// has one winner, named in the audit log.
import type { PendingTermination, PendingTerminations } from './ports.ts';

export type Claim =
  /** The termination is this event's and was scheduled (or already claimed by this plan's earlier try): revoke. */
  | { readonly kind: 'claimed'; readonly pending: PendingTermination }
  /** No pending termination names this person: an event ingested without the lifecycle. Revoke as before. */
  | { readonly kind: 'untracked' }
  /** Rescinded (or cancelled by a hire or rehire) before the revocation started: the rescind won. */
  | { readonly kind: 'cancelled'; readonly pending: PendingTermination }
  /** A later termination of the person replaced this event's: that one runs instead. */
  | { readonly kind: 'superseded'; readonly pending: PendingTermination };

const MAX_ROUNDS = 5;

/** Claims the person's pending termination for `eventId` at `now`; idempotent for a retried plan. */
export async function claimTermination(
  terminations: PendingTerminations,
  personId: string,
  eventId: string,
  now: Date,
): Promise<Claim> {
  for (let round = 0; round < MAX_ROUNDS; round++) {
    const pending = await terminations.get(personId);
    if (!pending) return { kind: 'untracked' };
    if (pending.eventId !== eventId) return { kind: 'superseded', pending };
    if (pending.status === 'cancelled') return { kind: 'cancelled', pending };
    if (pending.status === 'started') return { kind: 'claimed', pending };
    const started: PendingTermination = {
      ...pending,
      status: 'started',
      startedAt: now.toISOString(),
      version: pending.version + 1,
    };
    if (await terminations.replace(started, pending.version)) return { kind: 'claimed', pending: started };
  }
  throw new Error(`the pending termination of ${personId} kept changing while the plan claimed it`);
}

/** Why a claim that is not `claimed` revokes nothing, for PLANNED and the owners. */
export function unclaimedReason(claim: Exclude<Claim, { kind: 'claimed' | 'untracked' }>): string {
  const { pending } = claim;
  if (claim.kind === 'superseded') {
    return `superseded: the person's pending termination is now event ${pending.eventId} (effective ${pending.effectiveAt}); nothing revoked for this event`;
  }
  const by = pending.cancelledBy
    ? `a ${pending.cancelledBy.kind} (event ${pending.cancelledBy.eventId})`
    : 'a rescind';
  return `the rescind won: the termination was cancelled by ${by} at ${pending.cancelledAt}, before its revocation started; nothing revoked`;
}

/** The person's termination for `eventId` if it was cancelled (a lane must then not write); else undefined. */
export async function cancelledTermination(
  terminations: PendingTerminations,
  personId: string,
  eventId: string,
): Promise<PendingTermination | undefined> {
  const pending = await terminations.get(personId);
  return pending?.eventId === eventId && pending.status === 'cancelled' ? pending : undefined;
}
