import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { beforeEach, describe, expect, it } from 'vitest';
import {
  MalformedPayloadError,
  PayloadTooLargeError,
  SignatureError,
  SourceMismatchError,
  UnknownSourceError,
} from '../../../lambdas/core/ingest/errors.ts';
import { executionName } from '../../../lambdas/core/ingest/execution-name.ts';
import { EventStartError, Ingestor } from '../../../lambdas/core/ingest/ingest.ts';
import { signBambooHR, signGeneric } from '../../../lambdas/core/ingest/signature.ts';
import type { SourceConfig } from '../../../lambdas/core/model/config.ts';
import { ValidationError } from '../../../lambdas/core/model/errors.ts';
import type { LifecycleEventInput } from '../../../lambdas/core/model/event.ts';
import { InMemoryAuditLog, InMemorySecretSource, InMemoryWorkflowStarter } from '../../support/fakes.ts';

const GENERIC_KEY = 'generic-signing-key-7a1f';
const BAMBOO_KEY = 'bamboohr-private-key-55e0';
const NOW = new Date('2026-11-28T09:00:00Z');
const later = (seconds: number) => new Date(NOW.getTime() + seconds * 1000);

const sources: SourceConfig[] = [
  {
    id: 'generic',
    kind: 'generic',
    toleranceSeconds: 300,
    secretName: 'scimitar/sources/generic',
    existingSecret: false,
  },
  {
    id: 'bamboohr',
    kind: 'bamboohr',
    toleranceSeconds: 300,
    secretName: 'scimitar/sources/bamboohr',
    existingSecret: false,
  },
];

const termination: LifecycleEventInput = {
  eventId: 'evt-1',
  source: 'generic',
  occurredAt: '2026-11-28T08:59:00Z',
  kind: 'termination',
  terminationType: 'involuntary',
  person: { employeeId: 'E1', userName: 'eve@example.com' },
};
const bambooBody = readFileSync(new URL('../../fixtures/bamboohr/several.json', import.meta.url), 'utf8');

let audit: InMemoryAuditLog;
let workflows: InMemoryWorkflowStarter;
let secrets: InMemorySecretSource;
let ingestor: Ingestor;

beforeEach(() => {
  audit = new InMemoryAuditLog();
  workflows = new InMemoryWorkflowStarter();
  secrets = new InMemorySecretSource({
    'scimitar/sources/generic': GENERIC_KEY,
    'scimitar/sources/bamboohr': BAMBOO_KEY,
  });
  ingestor = new Ingestor({ sources, secrets, auditLog: audit, workflows });
});

function genericDelivery(body: string = JSON.stringify(termination), now = NOW, key = GENERIC_KEY) {
  return {
    sourceId: 'generic',
    body,
    headers: { 'x-scimitar-signature': signGeneric(body, key, now) },
    now,
  };
}

function bambooDelivery(body = bambooBody, signedAt = NOW, now = signedAt) {
  return { sourceId: 'bamboohr', body, headers: signBambooHR(body, BAMBOO_KEY, signedAt), now };
}

describe('ingest: a generic event', () => {
  it('audits RECEIVED, then starts one execution named for the event', async () => {
    const outcome = await ingestor.ingest(genericDelivery());

    const name = executionName('generic', 'evt-1');
    expect(outcome.started).toEqual([
      {
        eventId: 'evt-1',
        personId: 'E1',
        executionName: name,
        executionArn: `arn:aws:states:eu-west-1:123456789012:execution:scimitar:${name}`,
        duplicate: false,
      },
    ]);
    expect(workflows.executions).toHaveLength(1);
    expect(workflows.executions[0]?.input).toEqual({
      // The raw payload is never part of the execution.
      event: { ...termination, effectiveAt: termination.occurredAt },
      receivedAt: NOW.toISOString(),
    });

    expect(audit.entries).toHaveLength(1);
    const [entry] = audit.entries;
    expect(entry).toMatchObject({
      eventId: 'evt-1',
      step: 'RECEIVED',
      actor: 'ingest',
      personId: 'E1',
      at: NOW.toISOString(),
      detail: { source: 'generic', sourceKind: 'generic', executionName: name, signedAt: NOW.toISOString() },
    });
    // The fields the pipeline uses, the signature's outcome and the body's hash: nothing more.
    expect(entry?.detail).toEqual({
      source: 'generic',
      sourceKind: 'generic',
      executionName: name,
      effectiveAt: termination.occurredAt,
      signature: 'verified',
      signedAt: NOW.toISOString(),
      deliverySha256: createHash('sha256').update(JSON.stringify(termination)).digest('hex'),
      event: { ...termination, effectiveAt: termination.occurredAt },
    });
    // Evidence, not secrets: neither the key nor the signature header lands in the audit log.
    const stored = JSON.stringify(audit.entries);
    expect(stored).not.toContain(GENERIC_KEY);
    expect(stored).not.toContain('v1=');
  });

  it('starts one execution for a replayed delivery and writes RECEIVED once', async () => {
    const delivery = genericDelivery();
    const first = await ingestor.ingest(delivery);
    const replay = await ingestor.ingest({ ...delivery, now: later(30) });

    expect(replay.started[0]).toMatchObject({
      executionArn: first.started[0]?.executionArn,
      duplicate: true,
    });
    expect(workflows.executions).toHaveLength(1);
    expect(audit.entries.filter((e) => e.step === 'RECEIVED')).toHaveLength(1);
  });

  it('refuses a replay once it is older than the source tolerance', async () => {
    const delivery = genericDelivery();
    await ingestor.ingest(delivery);
    await expect(ingestor.ingest({ ...delivery, now: later(301) })).rejects.toMatchObject({
      reason: 'stale',
    });
  });

  it('refuses an event that names another source', async () => {
    const body = JSON.stringify({ ...termination, source: 'bamboohr' });
    await expect(ingestor.ingest(genericDelivery(body))).rejects.toBeInstanceOf(SourceMismatchError);
    expect(workflows.startCalls).toBe(0);
  });

  it('ignores a valid event that is not a termination, starting nothing', async () => {
    const { terminationType: _, ...hire } = { ...termination, kind: 'hire' as const };
    const outcome = await ingestor.ingest(genericDelivery(JSON.stringify(hire)));
    expect(outcome.started).toEqual([]);
    expect(outcome.ignored).toHaveLength(1);
    expect(workflows.startCalls).toBe(0);
    expect(audit.entries).toEqual([]);
  });
});

describe('ingest: refusals before any work', () => {
  it('refuses an unknown source without reading any secret', async () => {
    await expect(ingestor.ingest({ ...genericDelivery(), sourceId: 'workday' })).rejects.toBeInstanceOf(
      UnknownSourceError,
    );
    expect(secrets.reads).toBe(0);
  });

  it('refuses an oversized body before verifying it', async () => {
    const body = JSON.stringify({ ...termination, raw: 'x'.repeat(300 * 1024) });
    await expect(ingestor.ingest(genericDelivery(body))).rejects.toBeInstanceOf(PayloadTooLargeError);
    expect(secrets.reads).toBe(0);
  });

  it('keeps a large raw payload out of the workflow input and out of the audit log', async () => {
    const raw = { note: 'x'.repeat(200 * 1024) };
    const body = JSON.stringify({ ...termination, raw });
    await ingestor.ingest(genericDelivery(body));
    const input = JSON.stringify(workflows.executions[0]?.input);
    expect(input).not.toContain('xxxx');
    expect(Buffer.byteLength(input)).toBeLessThan(4 * 1024);
    const stored = JSON.stringify(audit.entries);
    expect(stored).not.toContain('xxxx');
    expect(Buffer.byteLength(stored)).toBeLessThan(4 * 1024);
  });

  it('verifies the signature before reading the body', async () => {
    const delivery = { ...genericDelivery(), body: 'not json' };
    await expect(ingestor.ingest(delivery)).rejects.toBeInstanceOf(SignatureError);
    await expect(ingestor.ingest(genericDelivery('not json'))).rejects.toBeInstanceOf(MalformedPayloadError);
  });

  it('fails with the problems list on an invalid event', async () => {
    const body = JSON.stringify({ ...termination, kind: 'fired' });
    const error = await ingestor.ingest(genericDelivery(body)).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ValidationError);
    expect((error as ValidationError).problems.join()).toContain('field "kind"');
  });
});

describe('ingest: the signing key', () => {
  it('re-reads a rotated key once on a mismatch, then accepts', async () => {
    await ingestor.ingest(genericDelivery()); // caches the current key
    secrets.rotate('scimitar/sources/generic', 'rotated-key-b2');

    const body = JSON.stringify({ ...termination, eventId: 'evt-2' });
    const outcome = await ingestor.ingest(genericDelivery(body, later(1), 'rotated-key-b2'));
    expect(outcome.started).toHaveLength(1);
    expect(secrets.refreshes).toBe(1);
  });

  it('refuses a wrong key after one re-read, and re-reads at most once a minute per source', async () => {
    const forged = (now: Date) => genericDelivery(JSON.stringify(termination), now, 'guessed-key');
    await expect(ingestor.ingest(forged(NOW))).rejects.toMatchObject({ reason: 'mismatch' });
    await expect(ingestor.ingest(forged(later(10)))).rejects.toMatchObject({ reason: 'mismatch' });
    await expect(ingestor.ingest(forged(later(59)))).rejects.toMatchObject({ reason: 'mismatch' });
    expect(secrets.refreshes).toBe(1);
    await expect(ingestor.ingest(forged(later(61)))).rejects.toMatchObject({ reason: 'mismatch' });
    expect(secrets.refreshes).toBe(2);
  });

  it('does not re-read the key for a stale or missing signature', async () => {
    await expect(ingestor.ingest({ ...genericDelivery(), now: later(400) })).rejects.toMatchObject({
      reason: 'stale',
    });
    await expect(ingestor.ingest({ ...genericDelivery(), headers: {} })).rejects.toMatchObject({
      reason: 'missing',
    });
    expect(secrets.refreshes).toBe(0);
  });
});

describe('ingest: BambooHR deliveries', () => {
  it('starts one execution per terminated employee and reports the others as ignored', async () => {
    const outcome = await ingestor.ingest(bambooDelivery());
    expect(outcome.started.map((s) => s.personId)).toEqual(['200', '203']);
    // 201's status went back to active: a rescind, which an ingest without the lifecycle ignores.
    expect(outcome.ignored.map((i) => i.reference).sort()).toEqual([
      expect.stringMatching(/^bamboohr:201:/),
      'employees[2] (id 202)',
    ]);
    expect(workflows.executions).toHaveLength(2);
    expect(audit.entries.map((e) => e.personId).sort()).toEqual(['200', '203']);
    // Each entry holds that person's parsed event, not the other people in the delivery, and
    // not the HRIS fields the pipeline does not use.
    const entry200 = JSON.stringify(audit.entries.find((e) => e.personId === '200'));
    expect(entry200).toContain('alan.turing@example.com');
    expect(entry200).not.toContain('edsger.dijkstra@example.com');
    expect(entry200).not.toContain('Employment Status');
  });

  it('dedupes a redelivery that BambooHR signs again with a new timestamp', async () => {
    await ingestor.ingest(bambooDelivery());
    const retry = await ingestor.ingest(bambooDelivery(bambooBody, later(120)));
    expect(retry.started.every((s) => s.duplicate)).toBe(true);
    expect(workflows.executions).toHaveLength(2);
    expect(audit.entries).toHaveLength(2);
  });

  it('starts the valid terminations of a delivery and returns the rejected ones', async () => {
    const body = readFileSync(
      new URL('../../fixtures/bamboohr/missing-fields.json', import.meta.url),
      'utf8',
    );
    const outcome = await ingestor.ingest(bambooDelivery(body));
    expect(outcome.started.map((s) => s.personId)).toEqual(['300']);
    expect(outcome.rejected.map((r) => r.reference)).toEqual(['employees[1] (id 301)', 'employees[2]']);
  });

  it('treats the same change listed twice in one delivery as one event', async () => {
    const twice = JSON.parse(bambooBody) as { employees: unknown[] };
    const body = JSON.stringify({ employees: [twice.employees[0], twice.employees[0]] });
    const outcome = await ingestor.ingest(bambooDelivery(body));
    expect(outcome.started).toHaveLength(1);
    expect(audit.entries).toHaveLength(1);
  });
});

describe('ingest: when AWS fails midway', () => {
  it('fails when an execution cannot be started, and the retry starts it without a second RECEIVED', async () => {
    workflows.failNext();
    const error = await ingestor.ingest(genericDelivery()).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(EventStartError);
    expect((error as EventStartError).failedEventIds).toEqual(['evt-1']);
    expect(audit.entries).toHaveLength(1);
    expect(workflows.executions).toHaveLength(0);

    const retry = await ingestor.ingest(genericDelivery(undefined, later(5)));
    expect(retry.started[0]?.duplicate).toBe(false);
    expect(workflows.executions).toHaveLength(1);
    expect(audit.entries).toHaveLength(1);
  });

  it('still starts the other leavers of a delivery when one start fails', async () => {
    workflows.failNext();
    await expect(ingestor.ingest(bambooDelivery())).rejects.toBeInstanceOf(EventStartError);
    expect(workflows.executions).toHaveLength(1);
    const retry = await ingestor.ingest(bambooDelivery(bambooBody, later(60)));
    expect(retry.started.map((s) => s.duplicate).sort()).toEqual([false, true]);
    expect(workflows.executions).toHaveLength(2);
  });
});
