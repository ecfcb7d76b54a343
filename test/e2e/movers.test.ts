import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LocalRuntime } from '../../local/runtime.ts';
import sample from '../../scimitar.config.ts';
import { endedExecution, steps } from '../support/events.ts';
import { postSigned, startTestRuntime, terminationOf, testConfig } from '../support/local-runtime.ts';

// Every SCIM target manages the same three groups; only wiki opts in to adding granted ones.
const entitlements = {
  managedGroups: ['engineering', 'on-call', 'sales'],
  rules: [
    { group: 'engineering', when: { department: 'Engineering' } },
    { group: 'on-call', when: { department: 'Engineering', title: ['SRE', 'Staff Engineer'] } },
    { group: 'sales', when: { department: 'Sales' } },
  ],
};

let runtime: LocalRuntime & { lines: string[] };
beforeAll(async () => {
  const targets = sample.targets.map((t) =>
    t.kind === 'scim'
      ? { ...t, entitlements: { ...entitlements, ...(t.id === 'wiki' && { addGranted: true }) } }
      : t,
  );
  runtime = await startTestRuntime({ config: testConfig({ targets }) });
  const [ada, grace] = runtime.people;
  if (!ada || !grace) throw new Error('no demo people');
  for (const lane of runtime.lanes.values()) {
    lane.app?.seed({
      groups: [
        { displayName: 'engineering', members: [ada.userName] },
        { displayName: 'on-call', members: [ada.userName] },
        { displayName: 'sales', members: [grace.userName] },
        // Not managed: scimitar never touches it, whatever the rules say.
        { displayName: 'book-club', members: [ada.userName, grace.userName] },
      ],
    });
  }
});
afterAll(async () => runtime?.stop());

/** Every target's groups → member userNames, and users → active. */
function snapshot() {
  const out: Record<string, { groups: Record<string, string[]>; active: Record<string, boolean> }> = {};
  for (const [targetId, lane] of runtime.lanes) {
    const app = lane.app;
    if (!app) continue;
    const nameOf = (id: string) => app.users.get(id)?.userName ?? id;
    out[targetId] = {
      groups: Object.fromEntries(
        [...app.groups.values()].map((g) => [g.displayName, g.members.map((m) => nameOf(m.value)).sort()]),
      ),
      active: Object.fromEntries([...app.users.values()].map((u) => [u.userName, u.active])),
    };
  }
  return out;
}

function changeOf(
  person: { employeeId: string; userName: string; emails: string[] },
  attributes: Record<string, string>,
): string {
  return JSON.stringify({
    eventId: `e2e-move-${person.employeeId}-${Math.random().toString(36).slice(2, 10)}`,
    source: 'generic',
    occurredAt: new Date().toISOString(),
    kind: 'change',
    person: {
      employeeId: person.employeeId,
      userName: person.userName,
      emails: person.emails,
      externalId: person.employeeId,
      attributes,
    },
  });
}

describe('movers end to end on the local runtime', () => {
  it('a mover loses exactly the managed groups the new role does not grant, in every target, and nothing else', async () => {
    const [ada] = runtime.people;
    if (!ada) throw new Error('no demo people');
    const before = snapshot();
    const body = changeOf(ada, { department: 'Sales', title: 'Account Executive', costCenter: 'CC-200' });
    const answer = await postSigned(runtime, body);
    expect(answer.status).toBe(202);
    const { eventId } = JSON.parse(body) as { eventId: string };
    expect((await endedExecution(runtime, eventId)).status).toBe('SUCCEEDED');

    const after = snapshot();
    const targets = ['code', 'chat', 'wiki'];
    expect(Object.keys(after).sort()).toEqual([...targets].sort());
    for (const targetId of targets) {
      const was = before[targetId];
      const now = after[targetId];
      if (!was || !now) throw new Error(`no demo app for ${targetId}`);
      const expected = structuredClone(was.groups);
      for (const group of ['engineering', 'on-call']) {
        expected[group] = (expected[group] ?? []).filter((u) => u !== ada.userName);
      }
      // Only wiki adds the group the new role grants.
      if (targetId === 'wiki') expected.sales = [...(expected.sales ?? []), ada.userName].sort();
      expect(now.groups, targetId).toEqual(expected);
      // Every unmanaged group (book-club, everyone, admins) as it was; no account changed.
      expect(now.active, targetId).toEqual(was.active);
    }

    const timeline = steps(await runtime.audit.forEvent(eventId));
    expect(timeline[0]).toBe('RECEIVED');
    expect(timeline[1]).toBe('PLANNED');
    for (const targetId of targets) {
      expect(timeline.filter((s) => s === `ENTITLEMENT_REMOVED:${targetId}`)).toHaveLength(2);
      expect(timeline).toContain(`ENTITLEMENTS_VERIFIED:${targetId}`);
    }
    expect(timeline.filter((s) => s.startsWith('ENTITLEMENT_ADDED'))).toEqual(['ENTITLEMENT_ADDED:wiki']);
    expect(timeline.some((s) => /^(DEACTIVATED|DELETED|GROUPS_REMOVED|WRITE_SENT)/.test(s))).toBe(false);
    expect(timeline.at(-1)).toBe('COMPLETED');
    const verified = (await runtime.audit.forEvent(eventId)).find(
      (e) => e.step === 'ENTITLEMENTS_VERIFIED' && e.targetId === 'wiki',
    );
    expect(verified?.detail).toMatchObject({
      removed: ['engineering', 'on-call'],
      added: ['sales'],
      after: ['sales'],
    });
    // A mover is no leaver: the leaver ledger has nothing for them.
    expect(await runtime.ledger.forPerson(ada.employeeId)).toEqual([]);
  });

  it('gives no group to a mover whose termination is pending, while still removing', async () => {
    const [, grace] = runtime.people;
    if (!grace) throw new Error('no demo people');
    const leaving = terminationOf(grace, {
      terminationType: 'voluntary',
      effectiveAt: new Date(Date.now() + 10 * 86_400_000).toISOString(),
    });
    expect((await postSigned(runtime, leaving)).status).toBe(202);
    const body = changeOf(grace, { department: 'Engineering', title: 'SRE' });
    expect((await postSigned(runtime, body)).status).toBe(202);
    const { eventId } = JSON.parse(body) as { eventId: string };
    expect((await endedExecution(runtime, eventId)).status).toBe('SUCCEEDED');

    const wiki = snapshot().wiki;
    expect(wiki?.groups.sales).not.toContain(grace.userName);
    expect(wiki?.groups.engineering).not.toContain(grace.userName);
    expect(wiki?.groups['on-call']).not.toContain(grace.userName);
    expect(wiki?.groups['book-club']).toContain(grace.userName);
    const verified = (await runtime.audit.forEvent(eventId)).find(
      (e) => e.step === 'ENTITLEMENTS_VERIFIED' && e.targetId === 'wiki',
    );
    expect(verified?.detail?.addsWithheld).toMatch(/termination .* is scheduled/);
  });

  it('refuses a change without attributes with a 422 that says what to send', async () => {
    const [ada] = runtime.people;
    if (!ada) throw new Error('no demo people');
    const body = JSON.parse(changeOf(ada, {})) as { person: Record<string, unknown> };
    delete body.person.attributes;
    const answer = await postSigned(runtime, JSON.stringify(body));
    expect(answer.status).toBe(422);
    expect(JSON.stringify(answer.body)).toMatch(/person\.attributes/);
  });
});
