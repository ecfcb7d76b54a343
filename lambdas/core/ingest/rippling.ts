// Rippling app webhooks: Rippling POSTs `event_name`, `company_id`, `company_primary_email` and the
// resource `id` (form-encoded; JSON with the same fields is read too), authenticated by a bearer
// token the app configures, about five minutes after the change
// (https://developer.rippling.com/documentation/developer-portal/v2-guides/webhooks).
import * as z from 'zod';
import type { PayloadParser } from './delivery.ts';
import { contentEventId, ignoredOnly, oneEvent, parseEnvelope } from './push-events.ts';

const ripplingDeliverySchema = z.looseObject({
  event_name: z.string().trim().min(1).max(100),
  id: z.union([z.string().trim().min(1).max(200), z.number().int().nonnegative()]),
  company_id: z.union([z.string(), z.number()]).optional(),
});

const normalise = (name: string) => name.toLowerCase().replace(/[^a-z0-9]/g, '');
/** Access to the app removed (termination, access rule, admin) or the employee terminated. */
const LEAVER_EVENTS = new Set(['employeedeleted', 'employeeterminated']);
const RETURN_EVENTS = new Set(['employeehired', 'employeerehired']);

export const parseRipplingPayload: PayloadParser = (payload, { source, receivedAt }) => {
  const delivery = parseEnvelope(ripplingDeliverySchema, payload, 'Rippling');
  const employeeId = String(delivery.id);
  const name = normalise(delivery.event_name);
  // The delivery carries no event id or time: the id is the change and the day it arrived, so
  // Rippling's retries the same day dedupe while a termination after a rehire is a new event.
  const day = receivedAt.toISOString().slice(0, 10);
  const eventId = contentEventId(source.id, employeeId, [name, day]);
  const occurredAt = receivedAt.toISOString();
  // Rippling's employee id is also what its own SCIM provisioning writes as externalId.
  const person = { employeeId, externalId: employeeId };
  if (LEAVER_EVENTS.has(name)) {
    return oneEvent(eventId, {
      eventId,
      source: source.id,
      occurredAt,
      kind: 'termination',
      // The payload does not say why: treated as involuntary (revoked at once).
      terminationType: 'involuntary',
      person,
      raw: payload,
    });
  }
  if (RETURN_EVENTS.has(name)) {
    return oneEvent(eventId, {
      eventId,
      source: source.id,
      occurredAt,
      kind: 'rehire',
      person,
      raw: payload,
    });
  }
  return ignoredOnly(
    eventId,
    `Rippling event "${delivery.event_name.slice(0, 100)}" is not a termination or a return: scimitar acts on employee.deleted, employee.terminated and employee.hired`,
  );
};
