import { beforeEach, describe, expect, it } from 'vitest';
import { executionName } from '../../../lambdas/core/ingest/execution-name.ts';
import { Ingestor } from '../../../lambdas/core/ingest/ingest.ts';
import { signGeneric } from '../../../lambdas/core/ingest/signature.ts';
import { parseConfig, type ScimitarConfig } from '../../../lambdas/core/model/config.ts';
import type { LifecycleEventInput } from '../../../lambdas/core/model/event.ts';
import sample from '../../../scimitar.config.ts';
import type { InMemoryAuditLog, InMemoryWorkflowStarter } from '../../support/fakes.ts';
import { lifecycleWorld } from '../../support/lifecycle.ts';
import type { RecordingNotifier } from '../../support/recorders.ts';

const KEY = 'generic-signing-key-7a1f';
const NOW = new Date('2026-11-28T09:00:00Z');
const DAY = 86_400_000;
const inDays = (days: number, from = NOW) => new Date(from.getTime() + days * DAY).toISOString();

let audit: InMemoryAuditLog;
let workflows: InMemoryWorkflowStarter;
let terminations: ReturnType<typeof lifecycleWorld>['terminations'];
let scheduler: ReturnType<typeof lifecycleWorld>['scheduler'];
let owners: RecordingNotifier;
let ingestor: Ingestor;

function setUp(overrides: Partial<Pick<ScimitarConfig, 'involuntary' | 'scheduleHorizonDays'>> = {}) {
  const config = { ...parseConfig(sample), ...overrides };
  const world = lifecycleWorld(config, KEY);
  ({ audit, workflows, terminations, scheduler, owners } = world);
  ingestor = new Ingestor({
    sources: config.sources,
    secrets: world.secrets,
    auditLog: audit,
    workflows,
    lifecycle: world.lifecycle,
  });
  return config;
}

let seq = 0;
function event(extra: Partial<LifecycleEventInput> = {}): LifecycleEventInput {
  seq += 1;
  return {
    eventId: `evt-${seq}`,
    source: 'generic',
    occurredAt: NOW.toISOString(),
    kind: 'termination',
    terminationType: 'voluntary',
    person: { employeeId: 'E1', userName: 'eve@example.com' },
    ...extra,
  };
}
const cancel = (kind: 'rescind' | 'hire' | 'rehire'): LifecycleEventInput => {
  const { terminationType: _, ...rest } = event({ kind });
  return rest;
};

async function send(body: LifecycleEventInput, now = NOW) {
  const text = JSON.stringify(body);
  const outcome = await ingestor.ingest({
    sourceId: 'generic',
    body: text,
    headers: { 'x-scimitar-signature': signGeneric(text, KEY, now) },
    now,
  });
  return outcome;
}
const steps = (personId = 'E1') =>
  audit.entries.filter((e) => e.personId === personId && e.step !== 'RECEIVED').map((e) => e.step);

beforeEach(() => {
  setUp();
});

/** As the plan does when the execution starts: E1's pending termination is claimed (started). */
function claimNow(): void {
  const pending = terminations.records.get('E1');
  if (!pending) throw new Error('no pending termination');
  terminations.records.set('E1', { ...pending, status: 'started', startedAt: NOW.toISOString(), version: 9 });
}

describe('termination lifecycle at ingest: scheduling', () => {
  it('schedules a future termination for its effective time and starts nothing', async () => {
    const termination = event({ effectiveAt: inDays(30) });
    const outcome = await send(termination);
    expect(outcome.started[0]?.lifecycle).toEqual({ action: 'scheduled', startAt: inDays(30) });
    expect(outcome.started[0]?.executionArn).toBeUndefined();
    expect(workflows.executions).toEqual([]);
    expect(scheduler.schedules.get('E1')).toMatchObject({
      executionName: executionName('generic', termination.eventId),
      startAt: new Date(inDays(30)),
    });
    expect(terminations.records.get('E1')).toMatchObject({
      eventId: termination.eventId,
      status: 'scheduled',
    });
    expect(steps()).toEqual(['SCHEDULED']);
  });

  it('accepts a date 400 days ahead, and one at the two-year horizon', async () => {
    await send(event({ effectiveAt: inDays(400) }));
    await send(event({ effectiveAt: inDays(730), person: { employeeId: 'E2' } }));
    expect(scheduler.schedules.get('E1')?.startAt).toEqual(new Date(inDays(400)));
    expect(scheduler.schedules.get('E2')?.startAt).toEqual(new Date(inDays(730)));
  });

  it('refuses a date past the horizon, naming the horizon, and records nothing', async () => {
    const outcome = await send(event({ effectiveAt: inDays(731) }));
    expect(outcome.started).toEqual([]);
    expect(outcome.rejected[0]?.problems[0]).toMatch(
      /past the scheduling horizon of 730 days .*scheduleHorizonDays/,
    );
    expect(scheduler.schedules.size).toBe(0);
    expect(audit.entries).toEqual([]);
  });

  it('honours a longer configured horizon', async () => {
    setUp({ scheduleHorizonDays: 1000 });
    const outcome = await send(event({ effectiveAt: inDays(900) }));
    expect(outcome.started[0]?.lifecycle?.action).toBe('scheduled');
  });

  it('starts a termination that is already effective at once, through the pending record', async () => {
    const outcome = await send(event({ effectiveAt: inDays(-1) }));
    expect(outcome.started[0]?.lifecycle?.action).toBe('started');
    expect(workflows.executions).toHaveLength(1);
    expect(scheduler.schedules.size).toBe(0);
    expect(terminations.records.get('E1')?.status).toBe('scheduled');
  });

  it('starts an involuntary termination at once even when it is dated later (involuntary: immediate)', async () => {
    const outcome = await send(event({ terminationType: 'involuntary', effectiveAt: inDays(14) }));
    expect(outcome.started[0]?.lifecycle?.action).toBe('started');
    expect(terminations.records.get('E1')).toMatchObject({
      effectiveAt: inDays(14),
      startAt: NOW.toISOString(),
    });
  });

  it('waits for the effective time of an involuntary termination when configured at-effective-time', async () => {
    setUp({ involuntary: 'at-effective-time' });
    const outcome = await send(event({ terminationType: 'involuntary', effectiveAt: inDays(14) }));
    expect(outcome.started[0]?.lifecycle).toEqual({ action: 'scheduled', startAt: inDays(14) });
  });

  it('re-creates the schedule of a repeated delivery without a second SCHEDULED entry', async () => {
    const termination = event({ effectiveAt: inDays(30) });
    await send(termination);
    scheduler.schedules.clear(); // as if the first delivery failed after recording
    await send(termination);
    expect(scheduler.schedules.get('E1')?.startAt).toEqual(new Date(inDays(30)));
    expect(steps()).toEqual(['SCHEDULED']);
  });
});

describe('termination lifecycle at ingest: reschedule', () => {
  it('moves the pending termination to a later date: one schedule, for the new event, both dates audited', async () => {
    await send(event({ effectiveAt: inDays(10) }));
    const later = event({ effectiveAt: inDays(40) });
    const outcome = await send(later);
    expect(outcome.started[0]?.lifecycle).toEqual({
      action: 'rescheduled',
      startAt: inDays(40),
      previous: inDays(10),
    });
    expect([...scheduler.schedules.values()]).toEqual([
      expect.objectContaining({ executionName: executionName('generic', later.eventId) }),
    ]);
    const rescheduled = audit.entries.find((e) => e.step === 'RESCHEDULED');
    expect(rescheduled?.detail).toMatchObject({
      from: { effectiveAt: inDays(10) },
      to: { effectiveAt: inDays(40) },
    });
    // At the old date nothing fires; at the new one the later event starts, once.
    expect(await scheduler.fireDue(new Date(inDays(11)), workflows)).toEqual([]);
    expect(await scheduler.fireDue(new Date(inDays(41)), workflows)).toEqual([
      executionName('generic', later.eventId),
    ]);
  });

  it('brings it forward to a date already past: starts now and deletes the schedule', async () => {
    await send(event({ effectiveAt: inDays(10) }));
    const outcome = await send(event({ effectiveAt: inDays(-1) }));
    expect(outcome.started[0]?.lifecycle?.action).toBe('started');
    expect(scheduler.schedules.size).toBe(0);
    expect(workflows.executions).toHaveLength(1);
    expect(steps()).toEqual(['SCHEDULED', 'RESCHEDULED']);
  });

  it('keeps the pending termination when another event gives the same dates', async () => {
    const first = event({ effectiveAt: inDays(10) });
    await send(first);
    const outcome = await send(event({ effectiveAt: inDays(10) }));
    expect(outcome.started[0]?.lifecycle?.action).toBe('unchanged');
    expect(terminations.records.get('E1')?.eventId).toBe(first.eventId);
  });
});

describe('termination lifecycle at ingest: rescind, hire, rehire', () => {
  it('a rescind before the date cancels: no schedule, nothing starts, RESCINDED in the timeline', async () => {
    const termination = event({ effectiveAt: inDays(10) });
    await send(termination);
    const outcome = await send(cancel('rescind'));
    expect(outcome.started[0]?.lifecycle).toEqual({
      action: 'rescinded',
      eventId: termination.eventId,
      afterStart: false,
    });
    expect(scheduler.schedules.size).toBe(0);
    expect(await scheduler.fireDue(new Date(inDays(11)), workflows)).toEqual([]);
    expect(terminations.records.get('E1')).toMatchObject({
      status: 'cancelled',
      cancelledBy: { kind: 'rescind' },
    });
    expect(steps()).toEqual(['SCHEDULED', 'RESCINDED']);
    expect(owners.sent).toEqual([]);
  });

  it.each(['hire', 'rehire'] as const)(
    'a %s for a person with a pending termination cancels it',
    async (kind) => {
      await send(event({ effectiveAt: inDays(10) }));
      const outcome = await send(cancel(kind));
      expect(outcome.started[0]?.lifecycle?.action).toBe('rescinded');
      expect(terminations.records.get('E1')?.cancelledBy?.kind).toBe(kind);
    },
  );

  it('a rescind after the revocation started is audited as late, stops later writes and tells every owner', async () => {
    const termination = event({ effectiveAt: inDays(-1) });
    await send(termination);
    claimNow();
    const outcome = await send(cancel('rescind'));
    expect(outcome.started[0]?.lifecycle).toMatchObject({ action: 'rescinded', afterStart: true });
    expect(terminations.records.get('E1')?.status).toBe('cancelled');
    const rescinded = audit.entries.find((e) => e.step === 'RESCINDED');
    expect(rescinded?.detail?.reason).toMatch(/revocation already started at 2026-11-28T09:00:00.000Z/);
    expect(owners.sent.length).toBe(parseConfig(sample).targets.length);
  });

  it('a rehire of a revoked person tells the owners (no reactivation) and is REHIRED in the timeline', async () => {
    await send(event({ effectiveAt: inDays(-1) }));
    claimNow();
    await send(cancel('rehire'));
    expect(steps()).toEqual(['RESCINDED', 'REHIRED']);
    expect(owners.sent[0]?.message).toMatch(/does not reactivate/);
  });

  it('a rescind with nothing pending changes nothing', async () => {
    const outcome = await send(cancel('rescind'));
    expect(outcome.started[0]?.lifecycle).toMatchObject({ action: 'nothing-pending' });
    expect(terminations.records.size).toBe(0);
  });

  it('a rescind racing another writer reads the record again and still cancels', async () => {
    await send(event({ effectiveAt: inDays(10) }));
    terminations.beforeNextReplace = () => {
      const current = terminations.records.get('E1');
      if (current) terminations.records.set('E1', { ...current, version: current.version + 1 });
    };
    const outcome = await send(cancel('rescind'));
    expect(outcome.started[0]?.lifecycle?.action).toBe('rescinded');
  });
});

describe('termination lifecycle at ingest: a mover’s change', () => {
  const change = (): LifecycleEventInput => {
    const { terminationType: _, ...rest } = event({ kind: 'change' });
    return { ...rest, person: { ...rest.person, attributes: { department: 'Sales' } } };
  };

  it('starts its execution at once and leaves a pending termination as it was', async () => {
    await send(event({ effectiveAt: inDays(10) }));
    const before = terminations.records.get('E1');
    const body = change();
    const outcome = await send(body);
    expect(outcome.started[0]?.lifecycle).toMatchObject({ action: 'started', duplicate: false });
    expect(workflows.executions.map((e) => e.name)).toEqual([executionName('generic', body.eventId)]);
    expect(terminations.records.get('E1')).toEqual(before);
    expect(steps()).toEqual(['SCHEDULED']);
  });

  it('starts a change dated up to 30 days ahead (its execution waits), and refuses one dated later, saying so', async () => {
    const soon = await send({ ...change(), effectiveAt: inDays(30) });
    expect(soon.started[0]?.lifecycle).toMatchObject({ action: 'started' });
    const late = await send({ ...change(), effectiveAt: inDays(31) });
    expect(late.started).toEqual([]);
    expect(late.rejected[0]?.problems[0]).toMatch(/more than 30 days ahead .*send a change within 30 days/);
    expect(workflows.executions).toHaveLength(1);
  });

  it('a repeated change delivery starts nothing new', async () => {
    const body = change();
    await send(body);
    const again = await send(body);
    expect(again.started[0]?.lifecycle).toMatchObject({ action: 'started', duplicate: true });
    expect(workflows.executions).toHaveLength(1);
  });
});
