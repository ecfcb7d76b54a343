// A mover's change dated ahead, end to end on the local runtime and its clock (docs/entitlements.md,
// "The change event"): ingest starts the execution at once, its Wait state sleeps until effectiveAt,
// and no lane touches a group before then; at the date the groups follow the role. A change dated
// more than 30 days ahead is refused with a 422 that says so. No test waits on the wall clock: the
// runtime's clock is moved.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LocalRuntime } from '../../local/runtime.ts';
import sample from '../../scimitar.config.ts';
import { endedExecution, eventView, steps } from '../support/events.ts';
import { eventually } from '../support/eventually.ts';
import { postSigned, startTestRuntime, testConfig } from '../support/local-runtime.ts';

const DAY_MS = 86_400_000;
const entitlements = {
  managedGroups: ['engineering', 'sales'],
  rules: [
    { group: 'engineering', when: { department: 'Engineering' } },
    { group: 'sales', when: { department: 'Sales' } },
  ],
};

let runtime: LocalRuntime & { lines: string[] };
beforeAll(async () => {
  const targets = sample.targets.map((t) =>
    t.kind === 'scim' ? { ...t, entitlements: { ...entitlements, addGranted: t.id === 'wiki' } } : t,
  );
  runtime = await startTestRuntime({
    config: testConfig({ targets }),
    canary: false,
    reconcileOnSchedule: false,
  });
  const [ada] = runtime.people;
  if (!ada) throw new Error('no demo people');
  for (const lane of runtime.lanes.values()) {
    lane.app?.seed({
      groups: [
        { displayName: 'engineering', members: [ada.userName] },
        { displayName: 'sales', members: [] },
      ],
    });
  }
}, 120_000);
afterAll(async () => runtime?.stop());

/** The mover's managed groups in every demo application that holds their account (unmanaged ones apart). */
function groupsOf(userName: string): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const [targetId, lane] of runtime.lanes) {
    const app = lane.app;
    const id = app?.userByName(userName)?.id;
    if (!app || !id) continue;
    out[targetId] = [...app.groups.values()]
      .filter((g) => entitlements.managedGroups.includes(g.displayName))
      .filter((g) => g.members.some((m) => m.value === id))
      .map((g) => g.displayName)
      .sort();
  }
  return out;
}

function changeOf(person: { employeeId: string; userName: string; emails: string[] }, effectiveAt: string) {
  const eventId = `e2e-move-later-${person.employeeId}-${Math.random().toString(36).slice(2, 10)}`;
  const body = JSON.stringify({
    eventId,
    source: 'generic',
    occurredAt: runtime.clock.now().toISOString(),
    effectiveAt,
    kind: 'change',
    person: {
      employeeId: person.employeeId,
      userName: person.userName,
      emails: person.emails,
      externalId: person.employeeId,
      attributes: { department: 'Sales', title: 'Account Executive' },
    },
  });
  return { eventId, body };
}

const daysAhead = (days: number) => new Date(runtime.clock.nowMs() + days * DAY_MS).toISOString();

describe('a future-dated change on the local runtime', () => {
  it('refuses a change dated more than 30 days ahead with a 422 that says to send it closer to its date', async () => {
    const [ada] = runtime.people;
    if (!ada) throw new Error('no demo people');
    const before = groupsOf(ada.userName);
    const { body } = changeOf(ada, daysAhead(31));
    const answer = await postSigned(runtime, body);
    expect(answer.status).toBe(422);
    expect(JSON.stringify(answer.body)).toMatch(/more than 30 days ahead.*send a change within 30 days/);
    expect(groupsOf(ada.userName)).toEqual(before);
  });

  it('waits until its effective date before any lane acts, then moves the groups', async () => {
    const [ada] = runtime.people;
    if (!ada) throw new Error('no demo people');
    const before = groupsOf(ada.userName);
    expect(Object.keys(before).length).toBeGreaterThan(0);
    for (const groups of Object.values(before)) expect(groups).toEqual(['engineering']);

    const effectiveAt = daysAhead(5);
    const { eventId, body } = changeOf(ada, effectiveAt);
    const answer = await postSigned(runtime, body);
    expect(answer.status).toBe(202);
    const [execution] = (answer.body.executions ?? []) as { lifecycle?: { action: string } }[];
    expect(execution?.lifecycle?.action).toBe('started');

    // The execution is running, asleep in its Wait state until the effective date.
    await eventually('the change to wait for its effective date', () =>
      runtime.clock.dueTimes().some((d) => d.toISOString() === effectiveAt),
    );
    const waiting = await eventView(runtime, eventId);
    expect(waiting.execution?.status).toBe('RUNNING');
    expect(steps(waiting.audit)).toEqual(['RECEIVED', 'PLANNED']);
    expect(waiting.audit.find((e) => e.step === 'PLANNED')?.detail).toMatchObject({
      kind: 'change',
      effectiveAt,
    });
    expect(groupsOf(ada.userName)).toEqual(before);

    // A day short of the date: still asleep, nothing touched.
    await runtime.clock.advance('4d');
    expect(runtime.clock.dueTimes().map((d) => d.toISOString())).toContain(effectiveAt);
    expect((await eventView(runtime, eventId)).execution?.status).toBe('RUNNING');
    expect(steps((await eventView(runtime, eventId)).audit)).toEqual(['RECEIVED', 'PLANNED']);
    expect(groupsOf(ada.userName)).toEqual(before);

    // The date: the lanes run.
    await runtime.clock.advance('1d');
    expect((await endedExecution(runtime, eventId)).status).toBe('SUCCEEDED');
    const after = groupsOf(ada.userName);
    expect(Object.keys(after).sort()).toEqual(Object.keys(before).sort());
    for (const [targetId, groups] of Object.entries(after))
      expect(groups, targetId).toEqual(targetId === 'wiki' ? ['sales'] : []);
    const audit = await runtime.audit.forEvent(eventId);
    const verified = audit.filter((e) => e.step === 'ENTITLEMENTS_VERIFIED');
    expect(verified.map((e) => e.targetId).sort()).toEqual(Object.keys(before).sort());
    // Every lane entry is dated at or after the effective date.
    const laneEntries = audit.filter((e) => /^(FOUND|ENTITLEMENT)/.test(e.step));
    expect(laneEntries.length).toBeGreaterThan(0);
    for (const e of laneEntries)
      expect(Date.parse(e.at), e.step).toBeGreaterThanOrEqual(Date.parse(effectiveAt));
  });
});
