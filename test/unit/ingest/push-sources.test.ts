// HiBob, Rippling, Personio and Okta event hooks: deliveries modelled on each vendor's documentation
// (local/fakes/hr-webhooks.ts) through the ingest core, and each parser's reading of the lifecycle.
import { beforeEach, describe, expect, it } from 'vitest';
import { MalformedPayloadError, SignatureError } from '../../../lambdas/core/ingest/errors.ts';
import { parseHiBobPayload } from '../../../lambdas/core/ingest/hibob.ts';
import { Ingestor } from '../../../lambdas/core/ingest/ingest.ts';
import {
  oktaVerificationAnswer,
  parseOktaEventHookPayload,
} from '../../../lambdas/core/ingest/okta-event-hook.ts';
import { parsePersonioPayload } from '../../../lambdas/core/ingest/personio.ts';
import { parseRipplingPayload } from '../../../lambdas/core/ingest/rippling.ts';
import { parseGenericPayload } from '../../../lambdas/core/ingest/sources.ts';
import { parseConfig, type SourceConfig } from '../../../lambdas/core/model/config.ts';
import { ValidationError } from '../../../lambdas/core/model/errors.ts';
import {
  hibobDelivery,
  oktaEventHookDelivery,
  personioDelivery,
  ripplingDelivery,
} from '../../../local/fakes/hr-webhooks.ts';
import { InMemoryAuditLog, InMemorySecretSource, InMemoryWorkflowStarter } from '../../support/fakes.ts';

const NOW = new Date('2026-11-28T09:00:00Z');
const KEYS = {
  hibob: 'bob-webhook-secret-81c2',
  rippling: 'rippling-token-5b1e',
  personio: 'personio-token-0d3a',
  okta: 'okta-hook-secret-77f0',
};
const config = parseConfig({
  stackName: 'scimitar',
  sources: [
    { id: 'hibob', kind: 'hibob' },
    { id: 'rippling', kind: 'rippling' },
    { id: 'personio', kind: 'personio' },
    { id: 'okta', kind: 'okta-event-hook', authHeader: 'X-Hook-Secret' },
  ],
  targets: [
    {
      id: 'wiki',
      kind: 'scim',
      displayName: 'Wiki',
      owner: 'it@example.com',
      baseUrl: 'https://wiki.example.com/scim/v2',
      auth: { type: 'bearer' },
    },
  ],
});
const source = (id: string) => config.sources.find((s) => s.id === id) as SourceConfig;
const context = (id: string) => ({ source: source(id), receivedAt: NOW });

let audit: InMemoryAuditLog;
let workflows: InMemoryWorkflowStarter;
let ingestor: Ingestor;

beforeEach(() => {
  audit = new InMemoryAuditLog();
  workflows = new InMemoryWorkflowStarter();
  const secrets = new InMemorySecretSource({
    'scimitar/sources/hibob': KEYS.hibob,
    'scimitar/sources/rippling': KEYS.rippling,
    'scimitar/sources/personio': KEYS.personio,
    'scimitar/sources/okta': KEYS.okta,
  });
  ingestor = new Ingestor({ sources: config.sources, secrets, auditLog: audit, workflows });
});

const deliver = (sourceId: string, d: { body: string; headers: Record<string, string> }) =>
  ingestor.ingest({ sourceId, body: d.body, headers: d.headers, now: NOW });

async function refusal(work: Promise<unknown>): Promise<SignatureError> {
  const err = await work.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(SignatureError);
  expect((err as Error).message).not.toMatch(/secret-81c2|token-5b1e|token-0d3a|secret-77f0/);
  return err as SignatureError;
}

describe('HiBob webhooks v2 (Bob-Signature)', () => {
  const left = (key = KEYS.hibob) =>
    hibobDelivery(key, {
      type: 'employee.left',
      employeeId: '3332883884017713238',
      email: 'ada@example.com',
      at: NOW,
    });

  it('starts a termination for employee.left, keyed by the Bob employee id, with the work e-mail', async () => {
    const outcome = await deliver('hibob', left());
    expect(outcome.started).toHaveLength(1);
    const [start] = workflows.executions;
    expect(start?.input).toMatchObject({
      event: {
        kind: 'termination',
        terminationType: 'involuntary',
        effectiveAt: NOW.toISOString(),
        person: { employeeId: '3332883884017713238', emails: ['ada@example.com'] },
      },
    });
  });

  it('dedupes the same delivery sent again (the signature has no timestamp: a replay starts nothing new)', async () => {
    await deliver('hibob', left());
    const again = await deliver('hibob', left());
    expect(again.started[0]?.duplicate).toBe(true);
    expect(workflows.executions).toHaveLength(1);
  });

  it('refuses a delivery signed with another key, or with no Bob-Signature, or a malformed one', async () => {
    expect((await refusal(deliver('hibob', left('another-key')))).reason).toBe('mismatch');
    const unsigned = { ...left(), headers: { 'content-type': 'application/json' } };
    expect((await refusal(deliver('hibob', unsigned))).reason).toBe('missing');
    const garbled = { ...left(), headers: { 'Bob-Signature': 'not base64!' } };
    expect((await refusal(deliver('hibob', garbled))).reason).toBe('malformed');
  });

  it('reads employee.joined and employee.activated as a rehire, and answers the JSON ping', () => {
    for (const type of ['employee.joined', 'employee.activated']) {
      const body = JSON.parse(hibobDelivery(KEYS.hibob, { type, employeeId: '42', at: NOW }).body);
      expect(parseHiBobPayload(body, context('hibob')).events[0]?.kind).toBe('rehire');
    }
    expect(parseHiBobPayload({ text: 'Ping test' }, context('hibob')).ignored[0]?.reference).toBe('ping');
  });

  it('ignores employee.inactivated (a leave of absence fires it too) and field updates, saying why', () => {
    const inactivated = JSON.parse(
      hibobDelivery(KEYS.hibob, { type: 'employee.inactivated', employeeId: '42', at: NOW }).body,
    );
    expect(parseHiBobPayload(inactivated, context('hibob')).ignored[0]?.reason).toMatch(/leave of absence/);
    const updated = JSON.parse(
      hibobDelivery(KEYS.hibob, { type: 'employee.updated', employeeId: '42', at: NOW }).body,
    );
    expect(parseHiBobPayload(updated, context('hibob')).events).toEqual([]);
  });

  it('refuses a payload without data.employeeId, naming the field', () => {
    const err = (() => {
      try {
        parseHiBobPayload({ type: 'employee.left', data: {} }, context('hibob'));
      } catch (e) {
        return e;
      }
    })();
    expect(err).toBeInstanceOf(ValidationError);
    expect((err as ValidationError).problems.join()).toMatch(/data\.employeeId/);
  });
});

describe('Rippling app webhooks (form-encoded, bearer token)', () => {
  it('starts a termination for employee.deleted, the Rippling id as employee id and externalId', async () => {
    await deliver(
      'rippling',
      ripplingDelivery(KEYS.rippling, {
        eventName: 'employee.deleted',
        employeeId: '6092e8f3c1f6e5001a4d2b1c',
      }),
    );
    expect(workflows.executions[0]?.input).toMatchObject({
      event: {
        kind: 'termination',
        person: { employeeId: '6092e8f3c1f6e5001a4d2b1c', externalId: '6092e8f3c1f6e5001a4d2b1c' },
      },
    });
  });

  it('refuses a wrong or missing bearer token', async () => {
    const wrong = ripplingDelivery('not-the-token', { eventName: 'employee.deleted', employeeId: '1' });
    expect((await refusal(deliver('rippling', wrong))).reason).toBe('mismatch');
    const basic = { ...wrong, headers: { ...wrong.headers, authorization: 'Basic dXNlcjpwYXNz' } };
    expect((await refusal(deliver('rippling', basic))).reason).toBe('malformed');
  });

  it('refuses hostile form bodies: __proto__ fields and repeated fields', async () => {
    const base = ripplingDelivery(KEYS.rippling, { eventName: 'employee.deleted', employeeId: '1' });
    for (const body of [`${base.body}&__proto__=x`, `${base.body}&id=2`]) {
      await expect(deliver('rippling', { ...base, body })).rejects.toBeInstanceOf(MalformedPayloadError);
    }
  });

  it('reads employee.hired as a rehire and ignores other events; the same change the same day dedupes', () => {
    const hired = parseRipplingPayload({ event_name: 'employee.hired', id: '7' }, context('rippling'));
    expect(hired.events[0]?.kind).toBe('rehire');
    expect(
      parseRipplingPayload({ event_name: 'employee.updated', id: '7' }, context('rippling')).ignored,
    ).toHaveLength(1);
    const a = parseRipplingPayload({ event_name: 'employee.deleted', id: '7' }, context('rippling'));
    const b = parseRipplingPayload(
      { event_name: 'employee.deleted', id: '7' },
      { ...context('rippling'), receivedAt: new Date(NOW.getTime() + 3600_000) },
    );
    expect(a.events[0]?.eventId).toBe(b.events[0]?.eventId);
  });
});

describe('Personio webhooks v2 (dataless, bearer token)', () => {
  it('starts a termination for employment.terminated, keyed by the person id', async () => {
    await deliver(
      'personio',
      personioDelivery(KEYS.personio, { eventName: 'employment.terminated', personId: '1723450', at: NOW }),
    );
    expect(workflows.executions[0]?.input).toMatchObject({
      event: { kind: 'termination', person: { employeeId: '1723450' } },
    });
  });

  it('reads employment.started as a hire, ignores employment.updated, and rejects an event naming no person', () => {
    const at = NOW.toISOString();
    const started = parsePersonioPayload(
      { company_id: '1', event_name: 'employment.started', occurred_at: at, payload: { person_id: 9 } },
      context('personio'),
    );
    expect(started.events[0]?.kind).toBe('hire');
    const updated = parsePersonioPayload(
      { company_id: '1', event_name: 'employment.updated', occurred_at: at, payload: { id: 3 } },
      context('personio'),
    );
    expect(updated.ignored[0]?.reason).toMatch(/employment\.terminated/);
    const anonymous = parsePersonioPayload(
      { company_id: '1', event_name: 'employment.terminated', occurred_at: at, payload: { id: 3 } },
      context('personio'),
    );
    expect(anonymous.rejected[0]?.problems[0]).toMatch(/person_id/);
  });

  it('refuses a delivery without the bearer token', async () => {
    const d = personioDelivery(KEYS.personio, { eventName: 'employment.terminated', personId: '1', at: NOW });
    expect(
      (await refusal(deliver('personio', { ...d, headers: { 'content-type': 'application/json' } }))).reason,
    ).toBe('missing');
  });
});

describe('Okta event hooks (shared header secret)', () => {
  const deactivate = (secret = KEYS.okta, uuid = 'c9b5e7a2-1f2b-11ef-9e4d-0b5c7a1b2c3d') =>
    oktaEventHookDelivery(
      secret,
      {
        eventType: 'user.lifecycle.deactivate',
        userId: '00u1ab2cd3EF4gh5I6j7',
        login: 'ada@example.com',
        at: NOW,
        uuid,
      },
      'X-Hook-Secret',
    );

  it('starts a termination for user.lifecycle.deactivate, the Okta user id as employee id, the login as userName and e-mail', async () => {
    await deliver('okta', deactivate());
    expect(workflows.executions[0]?.input).toMatchObject({
      event: {
        eventId: 'okta:c9b5e7a2-1f2b-11ef-9e4d-0b5c7a1b2c3d',
        kind: 'termination',
        person: {
          employeeId: '00u1ab2cd3EF4gh5I6j7',
          userName: 'ada@example.com',
          emails: ['ada@example.com'],
        },
      },
    });
  });

  it('refuses a delivery whose configured header is absent or holds another secret', async () => {
    expect((await refusal(deliver('okta', deactivate('wrong')))).reason).toBe('mismatch');
    const d = deactivate();
    expect((await refusal(deliver('okta', { ...d, headers: { authorization: KEYS.okta } }))).reason).toBe(
      'missing',
    );
  });

  it('reads suspend as a termination (revokeOnSuspend), reactivate and unsuspend as rescinds, and skips failed outcomes', () => {
    const one = (eventType: string, result = 'SUCCESS') => ({
      eventType: 'com.okta.event_hook',
      data: {
        events: [
          {
            uuid: `u-${eventType}`,
            eventType,
            outcome: { result },
            target: [{ id: '00u1', type: 'User', alternateId: 'bob' }],
          },
        ],
      },
    });
    expect(parseOktaEventHookPayload(one('user.lifecycle.suspend'), context('okta')).events[0]?.kind).toBe(
      'termination',
    );
    expect(parseOktaEventHookPayload(one('user.lifecycle.reactivate'), context('okta')).events[0]?.kind).toBe(
      'rescind',
    );
    expect(parseOktaEventHookPayload(one('user.lifecycle.unsuspend'), context('okta')).events[0]?.kind).toBe(
      'rescind',
    );
    expect(
      parseOktaEventHookPayload(one('user.lifecycle.deactivate', 'FAILURE'), context('okta')).events,
    ).toEqual([]);
    const noSuspend = {
      ...context('okta'),
      source: { ...source('okta'), revokeOnSuspend: false } as SourceConfig,
    };
    expect(parseOktaEventHookPayload(one('user.lifecycle.suspend'), noSuspend).events).toEqual([]);
  });

  it('answers the one-time verification GET with the challenge, and refuses a bad one or a wrong secret', async () => {
    const challenge = 'X8d7XqKf0R5ZbBNd7ULlq1ZcPplyWjR4B2ZqO0pN';
    const answer = await ingestor.answerVerification({
      sourceId: 'okta',
      headers: { 'X-Okta-Verification-Challenge': challenge },
      now: NOW,
    });
    expect(answer).toEqual({ verification: challenge });
    expect(oktaVerificationAnswer('<script>alert(1)</script> x')).toBeNull();
    expect(oktaVerificationAnswer('a'.repeat(257))).toBeNull();
    await refusal(
      ingestor.answerVerification({
        sourceId: 'okta',
        headers: { 'X-Okta-Verification-Challenge': challenge, 'X-Hook-Secret': 'wrong' },
        now: NOW,
      }),
    );
    await expect(
      ingestor.answerVerification({
        sourceId: 'hibob',
        headers: { 'X-Okta-Verification-Challenge': challenge },
        now: NOW,
      }),
    ).rejects.toThrow(/POST deliveries only/);
  });
});

describe('generic events cannot ask for a Lifecycle Workflows resume', () => {
  it('refuses a generic event that sets resume (only an entra-lcw source may)', () => {
    const event = {
      eventId: 'e1',
      source: 'generic',
      occurredAt: NOW.toISOString(),
      kind: 'termination',
      terminationType: 'voluntary',
      person: { employeeId: 'E1' },
      resume: { path: '/x' },
    };
    const generic = { ...source('hibob'), id: 'generic', kind: 'generic' } as SourceConfig;
    expect(() => parseGenericPayload(event, { source: generic, receivedAt: NOW })).toThrow(
      /set by an entra-lcw source/,
    );
  });
});
