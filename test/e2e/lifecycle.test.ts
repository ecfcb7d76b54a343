// A termination as a process, end to end on the local runtime and its clock: scheduled for its
// effective time, rescinded, rescheduled later or earlier, raced by a rescind at the effective
// time, turned involuntary, cancelled by a hire; the blast-radius guard counting only writes that
// happen, and an operator's approve releasing a held revocation. No test waits on the wall clock:
// the runtime's clock is moved, and outcomes are awaited with `eventually`.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PendingTermination } from '../../lambdas/core/lifecycle/ports.ts';
import type { AuditEntry } from '../../lambdas/core/model/audit.ts';
import type { DemoPerson } from '../../local/demo-people.ts';
import { attemptsOf } from '../../local/retry.ts';
import type { LocalRuntime } from '../../local/runtime.ts';
import { endedExecution, eventView, steps } from '../support/events.ts';
import { eventually } from '../support/eventually.ts';
import { postSigned, startTestRuntime, testConfig } from '../support/local-runtime.ts';

const DAY_MS = 86_400_000;
const run = promisify(execFile);

/** The real CLI, as `npm run scimitar -- ...` runs it, against `runtime`. */
async function cli(runtime: Runtime, ...args: string[]): Promise<string> {
  const { stdout } = await run(
    process.execPath,
    ['--import', 'tsx', 'local/cli.ts', ...args, '--url', runtime.url, '--data-dir', runtime.dataDir],
    { env: { ...process.env, SCIMITAR_URL: '' } },
  );
  return stdout;
}
/** The demo applications that hold an account per person (chat leaves some out on purpose). */
const APPS = ['code', 'wiki'] as const;

type Runtime = LocalRuntime & { lines: string[] };

/** Sends one generic lifecycle event for `who`, dated by the runtime's clock. */
async function sendEvent(
  runtime: Runtime,
  who: Pick<DemoPerson, 'employeeId' | 'userName' | 'emails'>,
  fields: { kind?: string; effectiveAt?: string; terminationType?: string } = {},
) {
  const kind = fields.kind ?? 'termination';
  const eventId = `life-${who.employeeId}-${kind}-${Math.random().toString(36).slice(2, 10)}`;
  const body = JSON.stringify({
    eventId,
    source: 'generic',
    occurredAt: runtime.clock.now().toISOString(),
    kind,
    ...(kind === 'termination' && { terminationType: fields.terminationType ?? 'voluntary' }),
    ...(fields.effectiveAt && { effectiveAt: fields.effectiveAt }),
    person: { employeeId: who.employeeId, userName: who.userName, emails: who.emails },
  });
  const answer = await postSigned(runtime, body);
  const [execution] = (answer.body.executions ?? []) as { lifecycle?: { action: string } }[];
  return { eventId, status: answer.status, body: answer.body, action: execution?.lifecycle?.action };
}

const daysAhead = (runtime: Runtime, days: number) =>
  new Date(runtime.clock.nowMs() + days * DAY_MS).toISOString();

const activeIn = (runtime: Runtime, targetId: string, who: DemoPerson) =>
  runtime.lanes.get(targetId)?.app?.userByName(who.userName)?.active;

/** Demo people with an active account in every app, one per test. */
function leavers(runtime: Runtime): () => DemoPerson {
  const pool = runtime.people.filter((p) => APPS.every((t) => activeIn(runtime, t, p) === true));
  return () => {
    const next = pool.shift();
    if (!next) throw new Error('no demo person left with an account in every app');
    return next;
  };
}

/** The names of executions started for an event (none while it is only scheduled). */
const executionsOf = (runtime: Runtime, eventId: string) =>
  attemptsOf(runtime.workflow, eventId).map((e) => e.name);

const pendingOf = async (runtime: Runtime, who: DemoPerson): Promise<PendingTermination | undefined> =>
  runtime.pendingTermination(who.employeeId);

const writes = (entries: readonly AuditEntry[], targetId: string) =>
  entries.filter((e) => e.targetId === targetId && (e.step === 'DEACTIVATED' || e.step === 'DELETED'));

describe('termination lifecycle on the local runtime', () => {
  let runtime: Runtime;
  let next: () => DemoPerson;
  beforeAll(async () => {
    runtime = await startTestRuntime({ canary: false, reconcileOnSchedule: false });
    next = leavers(runtime);
  }, 120_000);
  afterAll(async () => runtime?.stop());

  // First, while the runtime's clock is still the wall clock the CLI signs with.
  it('the CLI: send --effective-at schedules, status says "scheduled for <date>", send --kind rescind cancels, status shows RESCINDED', async () => {
    const who = next();
    const effectiveAt = new Date(runtime.clock.nowMs() + 10 * DAY_MS).toISOString();
    const match = ['--employee', who.employeeId, '--email', who.userName];
    const sent = await cli(
      runtime,
      'send',
      ...match,
      '--termination-type',
      'voluntary',
      '--effective-at',
      effectiveAt,
    );
    expect(sent).toContain(`scheduled for ${effectiveAt}`);
    const eventId = JSON.parse(sent.slice(sent.indexOf('{'), sent.lastIndexOf('}') + 1)).eventId as string;
    expect(await cli(runtime, 'status', eventId)).toContain(`scheduled for ${effectiveAt}`);

    expect(await cli(runtime, 'send', '--kind', 'rescind', '--employee', who.employeeId)).toContain(
      `rescinded the termination ${eventId}: nothing revoked`,
    );
    const status = await cli(runtime, 'status', eventId);
    expect(status).toMatch(/cancelled at \S+ by a rescind .*before it started: nothing revoked/);
    expect(status).toMatch(/RESCINDED .* by rescind \(termination /);
    expect(await cli(runtime, 'audit', who.employeeId)).toMatch(
      /^termination: cancelled at \S+ by a rescind/m,
    );
    for (const t of APPS) expect(activeIn(runtime, t, who), t).toBe(true);
  }, 120_000);

  it('a rescind before the date: at and after the date every account is still active, the timeline says RESCINDED', async () => {
    const who = next();
    const effectiveAt = daysAhead(runtime, 10);
    const termination = await sendEvent(runtime, who, { effectiveAt });
    expect(termination.status).toBe(202);
    expect(termination.action).toBe('scheduled');
    expect((await pendingOf(runtime, who))?.status).toBe('scheduled');
    expect(runtime.clock.dueTimes().map((d) => d.toISOString())).toContain(effectiveAt);

    const rescind = await sendEvent(runtime, who, { kind: 'rescind' });
    expect(rescind.status).toBe(202);
    expect(rescind.action).toBe('rescinded');
    // The schedule is deleted: nothing waits for the old date any more.
    expect(runtime.schedules().some((s) => s.personId === who.employeeId)).toBe(false);
    expect(runtime.clock.dueTimes().map((d) => d.toISOString())).not.toContain(effectiveAt);

    await runtime.clock.advance('10d');
    await runtime.clock.advance('1d');
    for (const t of APPS) expect(activeIn(runtime, t, who), t).toBe(true);
    expect(executionsOf(runtime, termination.eventId)).toEqual([]);
    const view = await eventView(runtime, termination.eventId);
    expect(steps(view.audit)).toEqual(['RECEIVED', 'SCHEDULED', 'RESCINDED']);
    expect((view as unknown as { pending: PendingTermination }).pending.status).toBe('cancelled');
    expect(view.audit.find((e) => e.step === 'RESCINDED')?.detail?.reason).toContain('nothing was revoked');
  });

  it('a reschedule later: still active at the old date, revoked at the new one', async () => {
    const who = next();
    const first = await sendEvent(runtime, who, { effectiveAt: daysAhead(runtime, 5) });
    expect(first.action).toBe('scheduled');
    const later = daysAhead(runtime, 20);
    const second = await sendEvent(runtime, who, { effectiveAt: later });
    expect(second.action).toBe('rescheduled');

    await runtime.clock.advance('6d');
    for (const t of APPS) expect(activeIn(runtime, t, who), t).toBe(true);
    expect(executionsOf(runtime, first.eventId)).toEqual([]);
    expect(executionsOf(runtime, second.eventId)).toEqual([]);

    await runtime.clock.advance('14d');
    expect((await endedExecution(runtime, second.eventId)).status).toBe('SUCCEEDED');
    for (const t of APPS) expect(activeIn(runtime, t, who), t).toBe(false);
    expect(executionsOf(runtime, first.eventId)).toEqual([]);
    const entries = await runtime.audit.forEvent(second.eventId);
    for (const e of entries.filter((e) => e.step === 'VERIFIED'))
      expect(Date.parse(e.at)).toBeGreaterThanOrEqual(Date.parse(later));
    const rescheduled = entries.find((e) => e.step === 'RESCHEDULED');
    expect(rescheduled?.detail?.to).toMatchObject({ effectiveAt: later });
    expect(steps((await eventView(runtime, first.eventId)).audit)).toContain('RESCHEDULED');
  });

  it('a reschedule earlier: revoked at the new date, once', async () => {
    const who = next();
    const first = await sendEvent(runtime, who, { effectiveAt: daysAhead(runtime, 30) });
    const sooner = daysAhead(runtime, 2);
    const second = await sendEvent(runtime, who, { effectiveAt: sooner });
    expect(second.action).toBe('rescheduled');

    await runtime.clock.advance('2d');
    expect((await endedExecution(runtime, second.eventId)).status).toBe('SUCCEEDED');
    for (const t of APPS) expect(activeIn(runtime, t, who), t).toBe(false);

    // Past the old date: the old schedule was replaced, so nothing runs again.
    await runtime.clock.advance('29d');
    expect(executionsOf(runtime, first.eventId)).toEqual([]);
    expect(runtime.schedules().some((s) => s.personId === who.employeeId)).toBe(false);
    const entries = [
      ...(await runtime.audit.forEvent(first.eventId)),
      ...(await runtime.audit.forEvent(second.eventId)),
    ];
    for (const t of APPS) expect(writes(entries, t), t).toHaveLength(1);
  });

  it('a rescind racing the revocation at the effective time: one consistent outcome, audited', async () => {
    const who = next();
    const termination = await sendEvent(runtime, who, { effectiveAt: daysAhead(runtime, 3) });
    expect(termination.action).toBe('scheduled');
    // The schedule fires, and the rescind lands in the same moment.
    const [, rescind] = await Promise.all([
      runtime.clock.advance('3d'),
      sendEvent(runtime, who, { kind: 'rescind' }),
    ]);
    expect(rescind.status).toBe(202);
    expect(rescind.action).toBe('rescinded');

    const rescinded = (await runtime.audit.forEvent(rescind.eventId)).find((e) => e.step === 'RESCINDED');
    expect(rescinded?.detail?.reason).toBeTruthy();
    // Either the rescind came first (no execution, or one that plans nothing), or the plan did.
    await eventually('the revocation to settle', async () => {
      const started = executionsOf(runtime, termination.eventId);
      if (started.length === 0) return !rescinded?.detail?.afterStart;
      const ended = await endedExecution(runtime, termination.eventId);
      return ended.status !== 'RUNNING';
    });
    const entries = await runtime.audit.forEvent(termination.eventId);
    if (rescinded?.detail?.afterStart) {
      // The plan claimed first: each target was either written before the rescind or stopped by it.
      for (const t of APPS) {
        const verified = entries.some((e) => e.step === 'VERIFIED' && e.targetId === t);
        const cancelled = entries.some((e) => e.step === 'CANCELLED' && e.targetId === t);
        expect(verified !== cancelled, `${t}: ${steps(entries).join(' ')}`).toBe(true);
        expect(activeIn(runtime, t, who), t).toBe(!verified);
      }
    } else {
      // The rescind came first: nothing written anywhere, and the plan (if it ran) says why.
      for (const t of APPS) expect(activeIn(runtime, t, who), t).toBe(true);
      for (const t of APPS) expect(writes(entries, t), t).toEqual([]);
      const planned = entries.find((e) => e.step === 'PLANNED');
      if (planned) expect(String(planned.detail?.reason)).toContain('the rescind won');
    }
    expect((await pendingOf(runtime, who))?.status).toBe('cancelled');
  });

  it('an involuntary termination with a future date is revoked now; a rehire after it tells the owners', async () => {
    const who = next();
    const answer = await sendEvent(runtime, who, {
      effectiveAt: daysAhead(runtime, 30),
      terminationType: 'involuntary',
    });
    expect(answer.action).toBe('started');
    expect((await endedExecution(runtime, answer.eventId)).status).toBe('SUCCEEDED');
    for (const t of APPS) expect(activeIn(runtime, t, who), t).toBe(false);

    // Then rehired: nothing is reactivated (provisioning is not in scope); every owner is told.
    const rehire = await sendEvent(runtime, who, { kind: 'rehire' });
    expect(rehire.action).toBe('rescinded');
    const rehired = (await runtime.audit.forEvent(rehire.eventId)).find((e) => e.step === 'REHIRED');
    expect(rehired?.detail?.reason).toContain('does not reactivate');
    for (const t of APPS) expect(activeIn(runtime, t, who), t).toBe(false);
    const told = runtime.owners.sent.filter((n) => n.subject.includes('rehired'));
    expect(told.map((n) => n.targetId).sort()).toEqual(runtime.config.targets.map((t) => t.id).sort());
  });

  it('a hire for a pending leaver cancels the termination', async () => {
    const who = next();
    const termination = await sendEvent(runtime, who, { effectiveAt: daysAhead(runtime, 7) });
    const hire = await sendEvent(runtime, who, { kind: 'hire' });
    expect(hire.action).toBe('rescinded');
    const pending = await pendingOf(runtime, who);
    expect(pending?.status).toBe('cancelled');
    expect(pending?.cancelledBy).toEqual({ eventId: hire.eventId, kind: 'hire' });
    await runtime.clock.advance('8d');
    for (const t of APPS) expect(activeIn(runtime, t, who), t).toBe(true);
    expect(executionsOf(runtime, termination.eventId)).toEqual([]);
  });

  it('refuses a date past the horizon with 422 naming it, and schedules one 400 days ahead', async () => {
    const who = next();
    const tooLate = await sendEvent(runtime, who, { effectiveAt: daysAhead(runtime, 800) });
    expect(tooLate.status).toBe(422);
    expect(JSON.stringify(tooLate.body)).toContain('scheduling horizon of 730 days');

    const effectiveAt = daysAhead(runtime, 400);
    const far = await sendEvent(runtime, who, { effectiveAt });
    expect(far.status).toBe(202);
    expect(far.action).toBe('scheduled');
    expect(
      runtime
        .schedules()
        .find((s) => s.personId === who.employeeId)
        ?.startAt.toISOString(),
    ).toBe(effectiveAt);
    // A day later nothing has timed out or fired: it is still scheduled, nothing started.
    await runtime.clock.advance('1d');
    expect((await pendingOf(runtime, who))?.status).toBe('scheduled');
    expect(executionsOf(runtime, far.eventId)).toEqual([]);
    await runtime.clock.advance('399d');
    expect((await endedExecution(runtime, far.eventId)).status).toBe('SUCCEEDED');
    for (const t of APPS) expect(activeIn(runtime, t, who), t).toBe(false);
  });
});

describe('termination lifecycle: the blast-radius guard counts harm, an operator releases it', () => {
  let runtime: Runtime;
  let next: () => DemoPerson;
  beforeAll(async () => {
    // One revocation per target per window: the second leaver in a window is held.
    runtime = await startTestRuntime({
      config: testConfig({ blastRadius: { maxShare: 0.01, windowMinutes: 60, floor: 1 } }),
      canary: false,
      reconcileOnSchedule: false,
    });
    next = leavers(runtime);
  }, 120_000);
  afterAll(async () => runtime?.stop());

  it('a revocation with no account spends no budget; approve releases a held revocation', {
    timeout: 120_000,
  }, async () => {
    // Nobody has an account: nothing is written, so the window's one revocation is still free.
    const ghost = { employeeId: 'E-ghost', userName: 'ghost@example.com', emails: ['ghost@example.com'] };
    const none = await sendEvent(runtime, ghost);
    expect(none.action).toBe('started');
    await endedExecution(runtime, none.eventId);
    const ghostSteps = steps(await runtime.audit.forEvent(none.eventId));
    expect(ghostSteps).toContain('NO_ACCOUNT:code');
    expect(ghostSteps.filter((s) => s.startsWith('REFUSED'))).toEqual([]);

    const first = next();
    const revoked = await sendEvent(runtime, first);
    expect((await endedExecution(runtime, revoked.eventId)).status).toBe('SUCCEEDED');
    for (const t of APPS) expect(activeIn(runtime, t, first), t).toBe(false);

    // The window's budget is spent now: the next leaver is held, nothing written, the refusal names approve.
    const second = next();
    const held = await sendEvent(runtime, second);
    await endedExecution(runtime, held.eventId);
    for (const t of APPS) expect(activeIn(runtime, t, second), t).toBe(true);
    const refused = (await runtime.audit.forEvent(held.eventId)).filter((e) => e.step === 'REFUSED');
    const heldTargets = refused.map((e) => e.targetId ?? '').sort();
    // Every app where the first leaver's revocation spent the window (chat holds only some people).
    expect(heldTargets).toEqual(expect.arrayContaining([...APPS, 'sso']));
    // sso is the demo's Okta session target: held, the leaver is still signed in there.
    const live = (t: string, who: DemoPerson) =>
      t === 'sso'
        ? runtime.sessionApps.get('sso')?.withSessions.has(`00u${who.employeeId}`)
        : activeIn(runtime, t, who);
    for (const t of heldTargets) expect(live(t, second), t).toBe(true);
    expect(String(refused[0]?.detail?.reason)).toContain(`npm run scimitar -- approve ${held.eventId}`);

    // The operator's command, through the operator function: APPROVED records the caller's identity.
    const operator = `arn:aws:iam::000000000000:user/${process.env.USER || 'local'}`;
    const answer = (await cli(runtime, 'approve', held.eventId)).match(
      /^approved by (.+): (.+) sent to their lanes again$/m,
    );
    expect(answer?.[1]).toBe(operator);
    expect(answer?.[2]?.split(', ').sort()).toEqual(heldTargets);
    await eventually(
      'the approved revocation to be written and verified',
      async () => {
        const done = steps(await runtime.audit.forEvent(held.eventId));
        return heldTargets.every((t) => done.includes(`VERIFIED:${t}`));
      },
      { seen: async () => steps(await runtime.audit.forEvent(held.eventId)) },
    );
    // chat deletes its leavers' accounts; the others deactivate them.
    for (const t of heldTargets) expect(live(t, second), t).not.toBe(true);
    const after = await eventView(runtime, held.eventId);
    expect(after.audit.find((e) => e.step === 'APPROVED')?.detail?.approvedBy).toBe(operator);
  });

  it('approve-burst lets a known layoff through: one more per target this window, then the guard holds again', {
    timeout: 120_000,
  }, async () => {
    // The window is spent at every app (the test above): a burst of one at every target.
    const refusedCli = await cli(
      runtime,
      'approve-burst',
      '--target',
      'nope',
      '--count',
      '1',
      '--by',
      'dana',
      '--reason',
      'layoff',
    ).catch((err: { stdout: string; stderr: string }) => err.stderr);
    expect(refusedCli).toContain('target "nope" is not a SCIM or session target');
    const granted = (
      await cli(
        runtime,
        'approve-burst',
        '--all',
        '--count',
        '1',
        '--by',
        'dana',
        '--reason',
        'layoff TICKET-9',
      )
    ).match(
      /^burst approved by dana \(arn:aws:iam::000000000000:user\/\S+\) \((burst-\S+)\): 1 more revocations at (.+) in the window from /m,
    );
    expect(granted?.[2]?.split(', ')).toEqual(expect.arrayContaining([...APPS]));
    const [record] = await runtime.audit.forEvent(granted?.[1] ?? '');
    expect(record).toMatchObject({
      step: 'BURST_APPROVED',
      detail: {
        approvedBy: `dana (arn:aws:iam::000000000000:user/${process.env.USER || 'local'})`,
        count: 1,
        reason: 'layoff TICKET-9',
      },
    });

    const through = next();
    const revoked = await sendEvent(runtime, through);
    expect((await endedExecution(runtime, revoked.eventId)).status).toBe('SUCCEEDED');
    for (const t of APPS) expect(activeIn(runtime, t, through), t).toBe(false);

    const past = next();
    const held = await sendEvent(runtime, past);
    await endedExecution(runtime, held.eventId);
    const refused = (await runtime.audit.forEvent(held.eventId)).filter((e) => e.step === 'REFUSED');
    expect(refused.map((e) => e.targetId)).toEqual(expect.arrayContaining([...APPS]));
    for (const t of APPS) expect(activeIn(runtime, t, past), t).toBe(true);
  });
});
