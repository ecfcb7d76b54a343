// Payload parsers, one per source kind: a verified, JSON-decoded delivery in, lifecycle events out.
// A delivery may hold several people (BambooHR, in bamboohr.ts); each becomes an event, is ignored
// (not a termination) or is rejected with the problems found, so one bad record never hides the others.
import type { SourceConfig } from '../model/config.ts';
import { parseLifecycleEvent } from '../model/event.ts';
import { parseWorkdayTerminations } from '../pull/workday.ts';
import { parseBambooHRPayload } from './bamboohr.ts';
import { isRecord, type PayloadParser } from './delivery.ts';
import { MalformedPayloadError, SourceMismatchError } from './errors.ts';

// ---------------------------------------------------------------------------------------------
// generic: the body is one LifecycleEvent; the payload as received is kept as its `raw`. It may
// ask for revoke-now (`urgent: true` on a termination: lanes go to the priority queues); BambooHR
// has no such field, so its events never do.

export const parseGenericPayload: PayloadParser = (payload, { source }) => {
  const event = parseLifecycleEvent(isRecord(payload) ? { ...payload, raw: payload } : payload);
  if (event.source !== source.id) throw new SourceMismatchError(source.id, event.source);
  // Terminations, and what cancels one (rescind, hire, rehire): the ingest lifecycle acts on those.
  if (event.kind === 'change') {
    return {
      events: [],
      ignored: [
        {
          reference: event.eventId,
          reason: `kind "${event.kind}" is recorded by the sender only: scimitar acts on terminations and on what cancels them (rescind, hire, rehire)`,
        },
      ],
      rejected: [],
    };
  }
  return { events: [event], ignored: [], rejected: [] };
};

/** The payload parser of each source kind. */
export const payloadParsers: Readonly<Record<SourceConfig['kind'], PayloadParser>> = {
  generic: parseGenericPayload,
  bamboohr: parseBambooHRPayload,
  hibob: () => {
    throw new MalformedPayloadError('HiBob webhooks are not accepted by this build (docs/roster-pull.md)');
  },
  // The terminations report of a poll (lambdas/core/pull/termination-poll.ts).
  workday: parseWorkdayTerminations,
};
