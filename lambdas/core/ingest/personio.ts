// Personio webhooks (API v2): `{company_id, event_name, occurred_at, payload, meta}`, dataless:
// the payload names the employment and person, not their attributes. `employment.terminated` fires
// on the day the termination takes effect, `employment.started` on the day an employment starts
// (https://developer.personio.de/v2.0/reference/webhooks,
// https://developer.personio.de/changelog/webhooks-effective-date-notification-webhooks-employmentstarted-and-employmentterminated).
import * as z from 'zod';
import { isRecord, type PayloadParser } from './delivery.ts';
import { contentEventId, ignoredOnly, instant, oneEvent, parseEnvelope } from './push-events.ts';

const idSchema = z.union([z.string().trim().min(1).max(200), z.number().int().nonnegative()]);

const personioDeliverySchema = z.looseObject({
  company_id: z.union([z.string(), z.number()]),
  event_name: z.string().trim().min(1).max(100),
  occurred_at: z.string().max(64),
  payload: z.record(z.string(), z.unknown()),
});

/** The person the employment belongs to: `person_id`, `person.id`, or the id of a person event. */
function personId(eventName: string, payload: Record<string, unknown>): string | undefined {
  const candidates = [
    payload.person_id,
    isRecord(payload.person) ? payload.person.id : undefined,
    eventName.startsWith('person.') ? payload.id : undefined,
  ];
  for (const c of candidates) if (idSchema.safeParse(c).success) return String(c).trim();
  return undefined;
}

export const parsePersonioPayload: PayloadParser = (payload, { source, receivedAt }) => {
  const delivery = parseEnvelope(personioDeliverySchema, payload, 'Personio');
  const name = delivery.event_name.toLowerCase();
  const occurredAt = instant(delivery.occurred_at) ?? receivedAt.toISOString();
  const id = personId(name, delivery.payload);
  const acts = name === 'employment.terminated' || name === 'employment.started';
  if (!acts) {
    return ignoredOnly(
      `${source.id}:${name.slice(0, 100)}`,
      `Personio event "${delivery.event_name.slice(0, 100)}" is not a termination or a start: subscribe to employment.terminated and employment.started`,
    );
  }
  if (id === undefined) {
    return {
      events: [],
      ignored: [],
      rejected: [
        {
          reference: `${source.id}:${name}`,
          problems: [
            'field "payload.person_id": the employment event names no person; scimitar keys a leaver by the Personio person id',
          ],
        },
      ],
    };
  }
  const eventId = contentEventId(source.id, id, [name, occurredAt]);
  // Dataless: the person id is all there is; targets are matched by it as externalId.
  const person = { employeeId: id, externalId: id };
  if (name === 'employment.terminated') {
    return oneEvent(eventId, {
      eventId,
      source: source.id,
      occurredAt,
      kind: 'termination',
      // Dataless: the reason is not in the payload; treated as involuntary (revoked at once, it is due today).
      terminationType: 'involuntary',
      person,
      raw: payload,
    });
  }
  return oneEvent(eventId, { eventId, source: source.id, occurredAt, kind: 'hire', person, raw: payload });
};
