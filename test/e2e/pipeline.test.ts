import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LocalRuntime } from '../../local/runtime.ts';
import { endedExecution, eventView, steps } from '../support/events.ts';
import { eventually } from '../support/eventually.ts';
import { postSigned, startTestRuntime, terminationOf } from '../support/local-runtime.ts';

let runtime: LocalRuntime & { lines: string[] };
beforeAll(async () => {
  runtime = await startTestRuntime();
});
afterAll(async () => runtime?.stop());

function accounts() {
  const snapshot: Record<string, Record<string, boolean | 'deleted'>> = {};
  for (const [targetId, lane] of runtime.lanes) {
    snapshot[targetId] = {};
    for (const user of lane.app?.users.values() ?? []) snapshot[targetId][user.userName] = user.active;
  }
  return snapshot;
}

const execution = (eventId: string) => endedExecution(runtime, eventId);

describe('local pipeline end to end', () => {
  it('revokes the leaver in every demo app as each is configured, and touches no one else', async () => {
    const [ada] = runtime.people;
    if (!ada) throw new Error('no demo people');
    const before = accounts();
    const body = terminationOf(ada);
    const answer = await postSigned(runtime, body);
    expect(answer.status).toBe(202);
    const { eventId } = JSON.parse(body) as { eventId: string };
    expect(answer.body).toMatchObject({ eventId, executionArn: expect.stringContaining(':execution:') });
    const done = await execution(eventId);
    expect(done.status).toBe('SUCCEEDED');

    const after = accounts();
    // code: deactivate; chat: delete; wiki: deactivate (then delete later), matched by email.
    expect(before.code?.[ada.userName]).toBe(true);
    expect(after.code?.[ada.userName]).toBe(false);
    expect(before.chat?.[ada.userName]).toBe(true);
    expect(after.chat?.[ada.userName]).toBeUndefined();
    expect(after.wiki?.[ada.userName]).toBe(false);
    // Nobody else changed.
    for (const [targetId, users] of Object.entries(before)) {
      for (const [userName, active] of Object.entries(users)) {
        if (userName === ada.userName) continue;
        expect(after[targetId]?.[userName], `${targetId}/${userName}`).toBe(active);
      }
    }
    const code = runtime.lanes.get('code')?.app;
    const adaInCode = code?.userByName(ada.userName);
    expect(
      [...(code?.groups.values() ?? [])].some((g) => g.members.some((m) => m.value === adaInCode?.id)),
    ).toBe(false);

    const timeline = steps(await runtime.audit.forEvent(eventId));
    expect(timeline[0]).toBe('RECEIVED');
    expect(timeline[1]).toBe('PLANNED');
    expect(timeline).toContain('MANUAL_TASK:payroll');
    for (const target of ['code', 'chat', 'wiki']) {
      expect(timeline).toContain(`FOUND:${target}`);
      expect(timeline).toContain(`VERIFIED:${target}`);
    }
    expect(timeline).toContain('DELETED:chat');
    expect(timeline).toContain('GROUPS_REMOVED:code');
    expect(timeline.at(-1)).toBe('COMPLETED');
    expect(runtime.owners.sent.some((n) => n.owner === 'finance-systems@example.com')).toBe(true);
    const ledger = await runtime.ledger.forPerson(ada.employeeId);
    expect(Object.fromEntries(ledger.map((l) => [l.targetId, l.outcome]))).toEqual({
      code: 'revoked',
      chat: 'revoked',
      wiki: 'revoked',
      // The demo's session target: the leaver's Okta sessions ended at the fake Okta org.
      sso: 'revoked',
    });
    expect(timeline).toContain('SESSIONS_REVOKED:sso');
    expect(runtime.sessionApps.get('sso')?.cleared).toContainEqual({
      userId: `00u${ada.employeeId}`,
      oauthTokens: true,
    });
  });

  it('records no account where the leaver has none, and still completes', async () => {
    // The demo seeds each app without some people: find one missing from at least one app.
    const person = runtime.people.find((p) =>
      [...runtime.lanes.values()].some((lane) => !lane.app?.userByName(p.userName)),
    );
    if (!person) throw new Error('every demo person has every account');
    const body = terminationOf(person);
    expect((await postSigned(runtime, body)).status).toBe(202);
    const { eventId } = JSON.parse(body) as { eventId: string };
    expect((await execution(eventId)).status).toBe('SUCCEEDED');
    const steps = (await runtime.audit.forEvent(eventId)).map((e) => e.step);
    expect(steps).toContain('NO_ACCOUNT');
    expect(steps.at(-1)).toBe('COMPLETED');
  });

  it('starts no second execution for a repeated delivery', async () => {
    const person = runtime.people[2];
    if (!person) throw new Error('no demo people');
    const body = terminationOf(person);
    const first = await postSigned(runtime, body);
    const second = await postSigned(runtime, body);
    expect(first.status).toBe(202);
    expect(second.status).toBe(202);
    expect(second.body.executionArn).toBe(first.body.executionArn);
    expect((second.body.executions as { duplicate: boolean }[])[0]?.duplicate).toBe(true);
    const { eventId } = JSON.parse(body) as { eventId: string };
    await execution(eventId);
    expect((await eventView(runtime, eventId)).attempts).toHaveLength(1);
    expect((await runtime.audit.forEvent(eventId)).filter((e) => e.step === 'RECEIVED')).toHaveLength(1);
  });

  it('schedules a future effectiveAt on the runtime clock, then revokes at it', async () => {
    const person = runtime.people[3];
    if (!person) throw new Error('no demo people');
    // 400 days ahead: beyond Node's 24.8-day timer limit, so a wait on a bare timer would end at once.
    // Voluntary: an involuntary termination is revoked at once whatever its date (config involuntary).
    const effectiveAt = new Date(runtime.clock.nowMs() + 400 * 86_400_000).toISOString();
    const body = terminationOf(person, { effectiveAt, terminationType: 'voluntary' });
    const answer = await postSigned(runtime, body);
    expect(answer.status).toBe(202);
    expect((answer.body.executions as { lifecycle?: { action: string } }[])[0]?.lifecycle?.action).toBe(
      'scheduled',
    );
    const { eventId } = JSON.parse(body) as { eventId: string };
    // Scheduled, not yet effective: its one-time schedule sleeps on the clock; nothing planned or revoked.
    await eventually('the schedule to sleep', () =>
      runtime.clock.dueTimes().some((due) => due.toISOString() === effectiveAt),
    );
    expect((await eventView(runtime, eventId)).execution).toBeNull();
    expect(runtime.lanes.get('code')?.app?.userByName(person.userName)?.active).toBe(true);
    expect(steps(await runtime.audit.forEvent(eventId))).toEqual(['RECEIVED', 'SCHEDULED']);

    await runtime.clock.advance('400d');
    const done = await execution(eventId);
    expect(done.status).toBe('SUCCEEDED');
    expect(runtime.lanes.get('code')?.app?.userByName(person.userName)?.active).toBe(false);
    const verified = (await runtime.audit.forEvent(eventId)).filter((e) => e.step === 'VERIFIED');
    expect(verified.length).toBeGreaterThan(0);
    for (const entry of verified)
      expect(Date.parse(entry.at)).toBeGreaterThanOrEqual(Date.parse(effectiveAt));
  });
});

describe('local pipeline: bad input to the endpoint', () => {
  const executions = () => runtime.workflow.executions.size;

  it('refuses a bad signature with 401 and starts nothing', async () => {
    const before = executions();
    const body = terminationOf(runtime.people[0] ?? { employeeId: 'x', userName: 'x', emails: [] });
    const answer = await postSigned(runtime, body, {
      signature: `t=${Math.floor(Date.now() / 1000)},v1=${'0'.repeat(64)}`,
    });
    expect(answer.status).toBe(401);
    expect(answer.body.error).toBe('invalid_signature');
    expect(executions()).toBe(before);
  });

  it('refuses malformed JSON with 400, a wrong schema with 422, an oversized body with 413', async () => {
    const before = executions();
    expect((await postSigned(runtime, '{"eventId": ')).status).toBe(400);
    const wrong = await postSigned(runtime, JSON.stringify({ eventId: 'x', kind: 'termination' }));
    expect(wrong.status).toBe(422);
    expect((wrong.body.problems as string[]).join('\n')).toContain('person');
    const huge = JSON.stringify({ padding: 'x'.repeat(300 * 1024) });
    expect((await postSigned(runtime, huge)).status).toBe(413);
    expect(executions()).toBe(before);
  });

  it('refuses an unknown source with 404', async () => {
    const answer = await fetch(`${runtime.url}/events/nope`, { method: 'POST', body: '{}' });
    expect(answer.status).toBe(404);
  });
});

describe('local pipeline: credential canary', () => {
  it('probes every SCIM target read-only on demand, and alarms on a rejected credential', async () => {
    const results = await runtime.checkTargets();
    expect(results.map((r) => [r.targetId, r.ok]).sort()).toEqual([
      ['chat', true],
      ['code', true],
      ['wiki', true],
    ]);
    // The application stops accepting the stored token (revoked in its console, say).
    const wiki = runtime.lanes.get('wiki')?.app;
    wiki?.acceptTokens(['a-token-scimitar-does-not-have']);
    const seen = wiki?.requests.length ?? 0;
    try {
      const [failed] = await runtime.checkTargets(['wiki']);
      expect(failed).toMatchObject({ targetId: 'wiki', ok: false, authenticated: false });
      expect(
        runtime.alerts.sent.some((a) => a.subject === 'ALARM: credential canary failed for target wiki'),
      ).toBe(true);
      expect(wiki?.requests.slice(seen).length).toBeGreaterThan(0);
      expect(wiki?.requests.slice(seen).filter((r) => r.method !== 'GET')).toEqual([]);
    } finally {
      const token = await runtime.secrets.read('Scimitar/targets/wiki');
      wiki?.acceptTokens([token]);
    }
  });
});
