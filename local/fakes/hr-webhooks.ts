// Fake senders of the push sources: deliveries shaped as each vendor documents them (docs/ingest.md
// cites the pages), authenticated as each vendor does. Tests, the demo and `scimitar send` post them
// to the ingest endpoint; nothing here is a server, since these vendors call scimitar.
import { randomUUID } from 'node:crypto';
import { signHiBob } from '../../lambdas/core/ingest/push-auth.ts';

export interface FakeDelivery {
  /** The exact body to post. */
  readonly body: string;
  readonly headers: Record<string, string>;
}

/** HiBob webhooks v2: `{companyId, type, triggeredBy, triggeredAt, version, data}`, signed Bob-Signature. */
export function hibobDelivery(
  key: string,
  event: { type: string; employeeId: string; email?: string; at: Date; companyId?: number },
): FakeDelivery {
  const body = JSON.stringify({
    companyId: event.companyId ?? 636_113,
    type: event.type,
    triggeredBy: 'system',
    triggeredAt: event.at.toISOString(),
    version: 'v2',
    data: { employeeId: event.employeeId, ...(event.email && { email: event.email }) },
  });
  return { body, headers: { 'content-type': 'application/json', ...signHiBob(body, key) } };
}

/** Rippling app webhooks: form-encoded `event_name`, `company_id`, `company_primary_email`, `id`, bearer token. */
export function ripplingDelivery(
  token: string,
  event: { eventName: string; employeeId: string },
): FakeDelivery {
  const body = new URLSearchParams({
    event_name: event.eventName,
    company_id: '5d1c4c6a7bcd1f0012b7c2a1',
    company_primary_email: 'it@example.com',
    id: event.employeeId,
  }).toString();
  return {
    body,
    headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: `Bearer ${token}` },
  };
}

/** Personio v2 webhooks: `{company_id, event_name, occurred_at, payload, meta}`, dataless, bearer token. */
export function personioDelivery(
  token: string,
  event: { eventName: string; personId: string; employmentId?: string; at: Date },
): FakeDelivery {
  const body = JSON.stringify({
    company_id: '91234',
    event_name: event.eventName,
    occurred_at: event.at.toISOString(),
    payload: { id: event.employmentId ?? `emp-${event.personId}`, person_id: event.personId },
    meta: {},
  });
  return { body, headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` } };
}

/** An Okta event hook delivery: one System Log event about a user, with the hook's auth header. */
export function oktaEventHookDelivery(
  secret: string,
  event: { eventType: string; userId: string; login: string; displayName?: string; at: Date; uuid?: string },
  authHeader = 'Authorization',
): FakeDelivery {
  const body = JSON.stringify({
    eventType: 'com.okta.event_hook',
    eventTypeVersion: '1.0',
    cloudEventsVersion: '0.1',
    source: 'https://example.okta.com/api/v1/eventHooks/whoql0HfiLGPWc8Jx0g4',
    eventId: randomUUID(),
    data: {
      events: [
        {
          uuid: event.uuid ?? randomUUID(),
          published: event.at.toISOString(),
          eventType: event.eventType,
          version: '0',
          displayMessage: 'Deactivate Okta user',
          severity: 'INFO',
          actor: { id: '00u1admin', type: 'User', alternateId: 'admin@example.com', displayName: 'Admin' },
          outcome: { result: 'SUCCESS' },
          target: [
            {
              id: event.userId,
              type: 'User',
              alternateId: event.login,
              displayName: event.displayName ?? event.login,
            },
          ],
        },
      ],
    },
    eventTime: event.at.toISOString(),
    contentType: 'application/json',
  });
  return { body, headers: { 'content-type': 'application/json', [authHeader]: secret } };
}
