// Okta event hooks: `{eventType: "com.okta.event_hook", eventId, eventTime, data: {events: [...]}}`,
// each event a System Log event (`uuid`, `eventType`, `published`, `outcome`, `target[]` with the
// user's `id`, `alternateId` (login) and `displayName`). A delivery may batch several events.
// https://developer.okta.com/docs/concepts/event-hooks/, https://developer.okta.com/docs/reference/api/system-log/
import * as z from 'zod';
import { emailSchema } from '../model/event.ts';
import { isRecord, type ParsedDelivery, type PayloadParser } from './delivery.ts';
import { ignoredOnly, instant, oneEvent, parseEnvelope } from './push-events.ts';

/** Most System Log events one delivery may carry. */
export const MAX_OKTA_EVENTS = 100;

const oktaDeliverySchema = z.looseObject({
  eventType: z.literal('com.okta.event_hook', { message: 'must be "com.okta.event_hook"' }),
  eventTime: z.string().max(64).optional(),
  data: z.looseObject({
    events: z.array(z.unknown()).min(1, 'must hold at least one event').max(MAX_OKTA_EVENTS),
  }),
});

const targetSchema = z.looseObject({
  id: z.string().trim().min(1).max(200),
  type: z.string(),
  alternateId: z.string().max(512).optional(),
  displayName: z.string().max(512).optional(),
});

const systemLogEventSchema = z.looseObject({
  uuid: z.string().trim().min(1).max(100),
  eventType: z.string().trim().min(1).max(200),
  published: z.string().max(64).optional(),
  outcome: z.looseObject({ result: z.string().optional() }).optional(),
  target: z.array(z.unknown()).max(50).optional(),
});

const RETURN_TYPES = new Set([
  'user.lifecycle.activate',
  'user.lifecycle.reactivate',
  'user.lifecycle.unsuspend',
]);

export const parseOktaEventHookPayload: PayloadParser = (payload, { source, receivedAt }) => {
  const delivery = parseEnvelope(oktaDeliverySchema, payload, 'Okta event hook');
  const revokeOnSuspend = source.kind === 'okta-event-hook' ? source.revokeOnSuspend : true;
  const parsed: ParsedDelivery = { events: [], ignored: [], rejected: [] };
  delivery.data.events.forEach((item, i) => {
    const one = parseOne(item, i);
    parsed.events.push(...one.events);
    parsed.ignored.push(...one.ignored);
    parsed.rejected.push(...one.rejected);
  });
  return parsed;

  function parseOne(item: unknown, i: number): ParsedDelivery {
    const result = systemLogEventSchema.safeParse(item);
    const reference =
      isRecord(item) && typeof item.uuid === 'string' ? item.uuid.slice(0, 100) : `data.events[${i}]`;
    if (!result.success) {
      return {
        events: [],
        ignored: [],
        rejected: [
          { reference, problems: [`data.events[${i}] is not an Okta System Log event (uuid, eventType)`] },
        ],
      };
    }
    const event = result.data;
    const leaver =
      event.eventType === 'user.lifecycle.deactivate' ||
      (revokeOnSuspend && event.eventType === 'user.lifecycle.suspend');
    const comesBack = RETURN_TYPES.has(event.eventType);
    if (!leaver && !comesBack) {
      return ignoredOnly(reference, `Okta event "${event.eventType}" does not end or restore access`);
    }
    if (event.outcome?.result !== undefined && event.outcome.result !== 'SUCCESS') {
      return ignoredOnly(
        reference,
        `Okta event "${event.eventType}" did not succeed (outcome ${event.outcome.result})`,
      );
    }
    const user = (event.target ?? [])
      .map((t) => targetSchema.safeParse(t))
      .find((t) => t.success && t.data.type === 'User');
    if (!user?.success) {
      return {
        events: [],
        ignored: [],
        rejected: [{ reference, problems: [`data.events[${i}].target names no User`] }],
      };
    }
    const login = user.data.alternateId?.trim();
    const person = {
      employeeId: user.data.id,
      ...(login && { userName: login }),
      // The login is usually the e-mail address; only then is it offered as one.
      ...(login && emailSchema.safeParse(login).success && { emails: [login] }),
      ...(user.data.displayName?.trim() && { displayName: user.data.displayName.trim() }),
    };
    const occurredAt = instant(event.published) ?? instant(delivery.eventTime) ?? receivedAt.toISOString();
    // The System Log uuid is unique per event: Okta's retry of a delivery dedupes on it.
    const eventId = `${source.id}:${event.uuid}`;
    if (leaver) {
      return oneEvent(reference, {
        eventId,
        source: source.id,
        occurredAt,
        kind: 'termination',
        // Deactivated or suspended by an admin or a policy: revoked at once.
        terminationType: 'involuntary',
        person,
        raw: item,
      });
    }
    return oneEvent(reference, {
      eventId,
      source: source.id,
      occurredAt,
      kind: 'rescind',
      person,
      raw: item,
    });
  }
};

/** The header of Okta's one-time verification request. */
export const OKTA_VERIFICATION_HEADER = 'X-Okta-Verification-Challenge';
/** Longest challenge echoed back: Okta sends a short random string. */
const MAX_CHALLENGE_CHARS = 256;
const CHALLENGE = /^[\x21-\x7e]+$/;

/**
 * The answer to Okta's one-time verification GET: `{"verification": <the header's value>}`. Null
 * when the challenge is missing or not a short printable token (never echo arbitrary input).
 */
export function oktaVerificationAnswer(challenge: string | undefined): { verification: string } | null {
  if (challenge === undefined || challenge.length > MAX_CHALLENGE_CHARS || !CHALLENGE.test(challenge))
    return null;
  return { verification: challenge };
}
