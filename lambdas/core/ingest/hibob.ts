// HiBob (Bob) webhooks v2: one event per delivery, `{companyId, type, triggeredBy, triggeredAt,
// version, data}`, `data` holding the employee's id (and, for employee.deleted, the work email).
// https://apidocs.hibob.com/reference/getting-started-webhooks (payload structure v2),
// https://apidocs.hibob.com/docs/employee-data-webhooks (the employee and lifecycle events).
import * as z from 'zod';
import type { TerminationType } from '../model/event.ts';
import { isRecord, type PayloadParser } from './delivery.ts';
import { contentEventId, ignoredOnly, instant, oneEvent, parseEnvelope } from './push-events.ts';

const hibobDeliverySchema = z.looseObject({
  type: z.string().trim().min(1).max(100),
  triggeredAt: z.string().max(64).optional(),
  companyId: z.union([z.number(), z.string()]).optional(),
  data: z.looseObject({
    employeeId: z.union([z.string().trim().min(1).max(200), z.number().int().nonnegative()]),
  }),
});

/** The lifecycle events that end access: terminated (or on garden leave), and deleted. */
const LEAVER_TYPES = new Set(['employee.left', 'employee.deleted']);
/** The lifecycle events that give access back: they cancel a pending termination. */
const RETURN_TYPES = new Set(['employee.joined', 'employee.activated']);

function text(value: unknown): string | undefined {
  return typeof value === 'string' && value.trim().length > 0 ? value.trim() : undefined;
}

/** The work e-mail, where a v2 payload carries one (employee.deleted does; lifecycle events may not). */
function workEmail(data: Record<string, unknown>): string | undefined {
  const work = isRecord(data.work) ? data.work : {};
  return text(data.email) ?? text(data.workEmail) ?? text(work.email);
}

function terminationType(data: Record<string, unknown>): TerminationType {
  const reason = text(data.terminationType) ?? text(data.reasonType) ?? '';
  return /^(voluntary|resignation|resigned)$/i.test(reason) ? 'voluntary' : 'involuntary';
}

export const parseHiBobPayload: PayloadParser = (payload, { source, receivedAt }) => {
  // Bob checks a new webhook with a ping, posted as JSON `{"text":"Ping test"}` when the plain one fails.
  if (isRecord(payload) && payload.text === 'Ping test' && !('type' in payload)) {
    return ignoredOnly('ping', "HiBob's connection test: answered so that Bob establishes the webhook");
  }
  const delivery = parseEnvelope(hibobDeliverySchema, payload, 'HiBob');
  const data = delivery.data as Record<string, unknown>;
  const employeeId = String(delivery.data.employeeId);
  const occurredAt = instant(delivery.triggeredAt) ?? receivedAt.toISOString();
  const eventId = contentEventId(source.id, employeeId, [delivery.type, occurredAt]);
  const email = workEmail(data);
  const person = {
    employeeId,
    ...(email && { userName: email, emails: [email] }),
    ...(text(data.displayName) && { displayName: text(data.displayName) }),
  };
  if (LEAVER_TYPES.has(delivery.type)) {
    // Bob sends employee.left at midnight of the lifecycle entry's effective date (site time zone):
    // the termination is due now.
    return oneEvent(eventId, {
      eventId,
      source: source.id,
      occurredAt,
      kind: 'termination',
      terminationType: terminationType(data),
      person,
      raw: payload,
    });
  }
  if (RETURN_TYPES.has(delivery.type)) {
    return oneEvent(eventId, {
      eventId,
      source: source.id,
      occurredAt,
      kind: 'rehire',
      person,
      raw: payload,
    });
  }
  const reason =
    delivery.type === 'employee.inactivated'
      ? 'employee.inactivated also fires for a leave of absence; scimitar acts on employee.left (terminated) and employee.deleted'
      : `HiBob event "${delivery.type.slice(0, 100)}" is not a termination or a return: subscribe to employee.left, employee.deleted, employee.joined and employee.activated`;
  return ignoredOnly(eventId, reason);
};
