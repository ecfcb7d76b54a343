// The Workday poll against a fake tenant (RaaS on loopback) and a real DynamoDB API for its cursor:
// windows are contiguous (each starts before the last one ended), nothing in the overlap is handed
// to ingest twice, nothing moves when a read fails, and the rows become events through the same
// ingest core as pushed deliveries (RECEIVED, the lifecycle: schedule, reschedule, rescind).
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { DynamoPollCursors } from '../../../lambdas/aws/adapters/dynamo-poll-cursors.ts';
import { SignatureError } from '../../../lambdas/core/ingest/errors.ts';
import { Ingestor } from '../../../lambdas/core/ingest/ingest.ts';
import { parseConfig, type WorkdaySourceConfig } from '../../../lambdas/core/model/config.ts';
import { HrisReader, PullError } from '../../../lambdas/core/pull/hris-request.ts';
import { TerminationPoll } from '../../../lambdas/core/pull/termination-poll.ts';
import { type FakeWorkday, startFakeWorkday } from '../../../local/fakes/workday.ts';
import { type LocalDynamo, startDynalite } from '../../support/dynalite.ts';
import { lifecycleWorld } from '../../support/lifecycle.ts';
import { FixedClock } from '../../support/recorders.ts';

const USER = { username: 'ISU_Scimitar@acme', password: 'wd-secret-password-1' };
const T0 = new Date('2026-12-02T12:00:00Z');

let dynamo: LocalDynamo;
let workday: FakeWorkday;
beforeAll(async () => {
  dynamo = await startDynalite();
});
afterAll(async () => dynamo.close());
beforeEach(async () => {
  workday = await startFakeWorkday({
    tenant: 'acme',
    ...USER,
    terminationsReport: 'ISU_Scimitar/Terminations',
    workersReport: 'ISU_Scimitar/Workers',
  });
});
afterEach(async () => workday.close());

function world(sourceId: string, credential = USER) {
  const config = parseConfig({
    sources: [
      {
        id: sourceId,
        kind: 'workday',
        host: workday.host,
        tenant: 'acme',
        terminations: { report: 'ISU_Scimitar/Terminations', overlapMinutes: 30, firstLookbackDays: 1 },
      },
    ],
    targets: [
      {
        id: 'app',
        kind: 'scim',
        displayName: 'App',
        owner: 'it@example.com',
        baseUrl: 'https://app.example.com/scim/v2',
      },
    ],
  });
  const w = lifecycleWorld(config, JSON.stringify(credential));
  const ingestor = new Ingestor({
    sources: config.sources,
    secrets: w.secrets,
    auditLog: w.audit,
    workflows: w.workflows,
    lifecycle: w.lifecycle,
  });
  const clock = new FixedClock(T0);
  const cursors = new DynamoPollCursors({ tableName: dynamo.stateTable, client: dynamo.client });
  const poll = new TerminationPoll({
    sources: config.sources,
    cursors,
    ingestor,
    secrets: w.secrets,
    reader: new HrisReader({ sleep: async () => {} }),
    clock,
  });
  return { ...w, poll, clock, cursors, source: config.sources[0] as WorkdaySourceConfig };
}

const row = (over: Record<string, string>) => ({
  Employee_ID: '21001',
  Email: 'ada@example.com',
  Event_ID: 'TERM-1',
  Entry_Moment: '2026-12-02T11:50:00Z',
  Termination_Date: '2026-12-02',
  Involuntary: '1',
  ...over,
});

describe('workday poll: windows and cursor', () => {
  it('reads the first window back firstLookbackDays, then from the last end less the overlap', async () => {
    const { poll, clock } = world('wd-windows');

    const first = await poll.poll('wd-windows');
    clock.advance(15 * 60_000);
    const second = await poll.poll('wd-windows');

    expect(first.window).toEqual({ from: '2026-12-01T12:00:00.000Z', to: '2026-12-02T12:00:00.000Z' });
    // Contiguous with overlap: starts 30 minutes before the first one ended.
    expect(second.window).toEqual({ from: '2026-12-02T11:30:00.000Z', to: '2026-12-02T12:15:00.000Z' });
    expect(workday.windows).toEqual([first.window, second.window]);
  });

  it('starts a termination once, and does not hand a row read in the overlap to ingest again', async () => {
    const { poll, clock, workflows, audit } = world('wd-once');
    workday.terminations.push(row({}));

    const first = await poll.poll('wd-once');
    clock.advance(5 * 60_000);
    const second = await poll.poll('wd-once');

    expect(first.ingest.started).toHaveLength(1);
    expect(first.ingest.started[0]).toMatchObject({ personId: '21001', lifecycle: { action: 'started' } });
    expect(second.rows).toBe(1);
    expect(second.alreadyRead).toBe(1);
    expect(second.ingest.started).toHaveLength(0);
    expect(workflows.executions).toHaveLength(1);
    const received = audit.entries.filter((e) => e.step === 'RECEIVED');
    expect(received).toHaveLength(1);
    expect(received[0]?.detail).toMatchObject({
      source: 'wd-once',
      sourceKind: 'workday',
      signature: 'pulled',
    });
  });

  it('reads an event committed late (entry moment before the last end) in the next window', async () => {
    const { poll, clock, workflows } = world('wd-late');
    await poll.poll('wd-late');
    // Committed after the first read, with an entry moment 10 minutes before that read's end.
    workday.terminations.push(row({ Event_ID: 'TERM-LATE', Entry_Moment: '2026-12-02T11:50:00Z' }));
    clock.advance(15 * 60_000);

    const second = await poll.poll('wd-late');

    expect(second.ingest.started.map((s) => s.personId)).toEqual(['21001']);
    expect(workflows.executions).toHaveLength(1);
  });

  it('schedules a future termination, reschedules it on a corrected date, and cancels it on a rescind', async () => {
    const { poll, clock, scheduler, terminations } = world('wd-life');
    workday.terminations.push(row({ Event_ID: 'TERM-9', Termination_Date: '2026-12-20', Involuntary: '0' }));
    await poll.poll('wd-life');
    expect(scheduler.schedules.get('21001')?.startAt.toISOString()).toBe('2026-12-20T00:00:00.000Z');

    workday.terminations.push(
      row({
        Event_ID: 'TERM-9',
        Termination_Date: '2026-12-22',
        Involuntary: '0',
        Entry_Moment: '2026-12-02T12:05:00Z',
      }),
    );
    clock.advance(10 * 60_000);
    const moved = await poll.poll('wd-life');
    expect(moved.ingest.started[0]?.lifecycle?.action).toBe('rescheduled');
    expect(scheduler.schedules.get('21001')?.startAt.toISOString()).toBe('2026-12-22T00:00:00.000Z');

    workday.terminations.push(
      row({
        Event_ID: 'TERM-9',
        Termination_Date: '2026-12-22',
        Rescinded: '1',
        Entry_Moment: '2026-12-02T12:15:00Z',
      }),
    );
    clock.advance(10 * 60_000);
    await poll.poll('wd-life');
    expect(scheduler.schedules.has('21001')).toBe(false);
    expect((await terminations.get('21001'))?.status).toBe('cancelled');
  });

  it('rejects a row without its event reference or with a bad date, and still takes the good ones', async () => {
    const { poll } = world('wd-bad');
    workday.terminations.push(
      row({ Event_ID: '', Employee_ID: '1' }),
      row({ Event_ID: 'TERM-X', Employee_ID: '2', Termination_Date: '2026-02-30' }),
      row({ Event_ID: 'TERM-OK', Employee_ID: '3' }),
    );

    const outcome = await poll.poll('wd-bad');

    expect(outcome.ingest.started.map((s) => s.personId)).toEqual(['3']);
    expect(outcome.ingest.rejected).toEqual([
      {
        reference: 'Report_Entry[0]',
        problems: ['column "Event_ID" (the termination event\'s reference) is missing'],
      },
      {
        reference: 'TERM-X',
        problems: ['column "Termination_Date": must be a date as YYYY-MM-DD; got "2026-02-30"'],
      },
    ]);
  });
});

describe('workday poll: failures move nothing', () => {
  it('fails on a refused credential without moving the cursor or echoing the password', async () => {
    const { poll, cursors } = world('wd-401', { ...USER, password: 'wrong-password-22' });

    const failure = await poll.poll('wd-401').catch((err: unknown) => err);

    expect(failure).toBeInstanceOf(PullError);
    expect((failure as PullError).status).toBe(401);
    expect((failure as Error).message).toMatch(
      /401 Unauthorized: the integration system user in secret Scimitar\/sources\/wd-401 was refused/,
    );
    expect((failure as Error).message).not.toContain('wrong-password-22');
    expect(await cursors.read('wd-401')).toBeUndefined();
  });

  it('reads the same window again after a failed read, so nothing is missed', async () => {
    const { poll, clock, workflows } = world('wd-retry');
    await poll.poll('wd-retry');
    workday.terminations.push(row({ Entry_Moment: '2026-12-02T12:10:00Z' }));
    clock.advance(15 * 60_000);
    workday.script({ status: 500, body: '{"error":"internal"}' });

    await expect(poll.poll('wd-retry')).rejects.toThrow(/answered 500/);
    clock.advance(15 * 60_000);
    const retried = await poll.poll('wd-retry');

    expect(retried.window.from).toBe('2026-12-02T11:30:00.000Z');
    expect(workflows.executions).toHaveLength(1);
  });

  it('keeps the cursor when an event could not be recorded or started, and the next poll starts it', async () => {
    const { poll, clock, workflows, cursors } = world('wd-start');
    workday.terminations.push(row({}));
    workflows.failNext();

    await expect(poll.poll('wd-start')).rejects.toThrow('1 of 1 events could not be recorded or started');
    expect(await cursors.read('wd-start')).toBeUndefined();
    clock.advance(15 * 60_000);
    const retried = await poll.poll('wd-start');

    expect(retried.ingest.started).toHaveLength(1);
    expect(workflows.executions).toHaveLength(1);
  });

  it('lets only one of two racing polls move the cursor', async () => {
    const { poll, cursors } = world('wd-race');
    const [a, b] = await Promise.all([poll.poll('wd-race'), poll.poll('wd-race')]);

    expect([a.cursorMoved, b.cursorMoved].sort()).toEqual([false, true]);
    expect((await cursors.read('wd-race'))?.version).toBe(1);
  });

  it('waits out a throttle (429, Retry-After) and then reads', async () => {
    const { poll } = world('wd-429');
    workday.script({ status: 429, headers: { 'retry-after': '2' } });

    const outcome = await poll.poll('wd-429');

    expect(outcome.rows).toBe(0);
    expect(workday.requests).toHaveLength(2);
  });

  it('refuses a delivery pushed to a Workday source: it is polled, never pushed', async () => {
    const { secrets, audit, workflows, source } = world('wd-push');
    const ingestor = new Ingestor({ sources: [source], secrets, auditLog: audit, workflows });
    const body = JSON.stringify({ Report_Entry: [row({})] });

    const refused = await ingestor
      .ingest({ sourceId: 'wd-push', body, headers: {}, now: T0 })
      .catch((err: unknown) => err);

    expect(refused).toBeInstanceOf(SignatureError);
    expect((refused as Error).message).toBe(
      'Workday has no webhook: its terminations are polled (docs/roster-pull.md)',
    );
    expect(workflows.executions).toHaveLength(0);
  });

  it('refuses a source that is not a Workday source with terminations', async () => {
    const { poll } = world('wd-known');
    await expect(poll.poll('nope')).rejects.toThrow('no source "nope" is configured');
  });
});
