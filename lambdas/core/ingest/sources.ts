// Payload parsers, one per source kind: a verified, JSON-decoded delivery in, lifecycle events out.
// A delivery may hold several people (BambooHR, in bamboohr.ts); each becomes an event, is ignored
// (not a termination) or is rejected with the problems found, so one bad record never hides the others.
import type { SourceConfig } from '../model/config.ts';
import { ValidationError } from '../model/errors.ts';
import { parseLifecycleEvent } from '../model/event.ts';
import { parseWorkdayTerminations } from '../pull/workday.ts';
import { parseBambooHRPayload } from './bamboohr.ts';
import { isRecord, type PayloadParser } from './delivery.ts';
import { parseEntraLcwPayload } from './entra-lcw.ts';
import { SourceMismatchError } from './errors.ts';
import { parseHiBobPayload } from './hibob.ts';
import { parseOktaEventHookPayload } from './okta-event-hook.ts';
import { parsePersonioPayload } from './personio.ts';
import { parseRipplingPayload } from './rippling.ts';

// ---------------------------------------------------------------------------------------------
// generic: the body is one LifecycleEvent; the payload as received is kept as its `raw`. It may
// ask for revoke-now (`urgent: true` on a termination: lanes go to the priority queues); BambooHR
// has no such field, so its events never do.

export const parseGenericPayload: PayloadParser = (payload, { source }) => {
  if (isRecord(payload) && 'resume' in payload) {
    throw new ValidationError('invalid lifecycle event', [
      'field "resume": is set by an entra-lcw source, never by a generic sender; remove it',
    ]);
  }
  const event = parseLifecycleEvent(isRecord(payload) ? { ...payload, raw: payload } : payload);
  if (event.source !== source.id) throw new SourceMismatchError(source.id, event.source);
  // Terminations, what cancels one (rescind, hire, rehire), and changes (a mover's new attributes:
  // their managed groups are updated, lambdas/core/movers): the ingest lifecycle acts on each.
  // A change without attributes would grant nothing and so strip every managed group: refused.
  if (event.kind === 'change' && event.person.attributes === undefined) {
    throw new ValidationError('invalid lifecycle event', [
      'field "person.attributes": is required for a change: send every attribute the source knows after the change (department, title, ...); entitlement rules match on them',
    ]);
  }
  return { events: [event], ignored: [], rejected: [] };
};

/** The payload parser of each source kind. */
export const payloadParsers: Readonly<Record<SourceConfig['kind'], PayloadParser>> = {
  generic: parseGenericPayload,
  bamboohr: parseBambooHRPayload,
  hibob: parseHiBobPayload,
  rippling: parseRipplingPayload,
  personio: parsePersonioPayload,
  'okta-event-hook': parseOktaEventHookPayload,
  'entra-lcw': parseEntraLcwPayload,
  // The terminations report of a poll (lambdas/core/pull/termination-poll.ts).
  workday: parseWorkdayTerminations,
};
