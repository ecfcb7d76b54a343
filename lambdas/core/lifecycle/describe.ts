// A person's pending termination in one line, for `status` and the timeline's header.
import type { PendingTermination } from './ports.ts';

export function describePending(pending: PendingTermination | undefined): string {
  if (!pending) return 'no termination pending';
  switch (pending.status) {
    case 'scheduled':
      return `scheduled for ${pending.startAt} (event ${pending.eventId}, effective ${pending.effectiveAt})`;
    case 'started':
      return `revocation started at ${pending.startedAt} (event ${pending.eventId})`;
    case 'cancelled':
      return `cancelled at ${pending.cancelledAt} by a ${pending.cancelledBy?.kind ?? 'rescind'} (event ${pending.cancelledBy?.eventId ?? '?'})${pending.startedAt ? `, after its revocation started at ${pending.startedAt}` : ', before it started: nothing revoked'}`;
  }
}
