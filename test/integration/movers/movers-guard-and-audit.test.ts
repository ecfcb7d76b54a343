// A mover's lane, claims of docs/entitlements.md not covered elsewhere: the blast-radius guard is
// not spent by a mover's removals (and a spent guard does not hold them); the audit names a
// managed group the target lacks (`missingAtTarget`) and a removal the server said was already
// gone (`alreadyAbsent`); a report-only target logs REPORTED with `wouldRemove` and `wouldAdd` and
// writes nothing. The demo SCIM application behind the fault proxy, state on dynalite.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { DynamoAuditLog } from '../../../lambdas/aws/adapters/dynamo-audit-log.ts';
import { DynamoLeaverLedger, DynamoRevocationBudget } from '../../../lambdas/aws/adapters/dynamo-state.ts';
import type { Entitlements } from '../../../lambdas/core/entitlements/rules.ts';
import { parseConfig } from '../../../lambdas/core/model/config.ts';
import { windowStart } from '../../../lambdas/core/revocation/blast-radius.ts';
import { type LaneDeps, runLane } from '../../../lambdas/core/revocation/lane.ts';
import sample from '../../../scimitar.config.ts';
import { type LocalDynamo, startDynalite } from '../../support/dynalite.ts';
import { laneMessage } from '../../support/lane-message.ts';
import { FixedClock, RecordingDeadLetterQueue, RecordingNotifier } from '../../support/recorders.ts';
import { type ScimTarget, startTarget } from '../../support/scim-target.ts';
import { RecordingTaskCallback } from '../../support/task-callbacks.ts';

const NOW = new Date('2026-12-03T10:00:00Z');
const MOVER = 'guarded.mover@example.com';
const config = { ...parseConfig(sample), blastRadius: { maxShare: 0.1, windowMinutes: 60, floor: 1 } };
const entitlements: Entitlements = {
  managedGroups: ['engineering', 'on-call', 'sales', 'finance'],
  rules: [
    { group: 'engineering', when: { department: 'Engineering' } },
    { group: 'on-call', when: { department: 'Engineering' } },
    { group: 'sales', when: { department: 'Sales' } },
  ],
  addGranted: true,
  removeDrift: false,
};

let dynamo: LocalDynamo;
let target: ScimTarget;
beforeAll(async () => {
  [dynamo, target] = await Promise.all([startDynalite(), startTarget()]);
});
afterAll(async () => {
  await Promise.all([dynamo.close(), target.close()]);
});

let seq = 0;
/** A fresh target id per test: its own blast-radius window. */
let targetId: string;
beforeEach(() => {
  seq += 1;
  targetId = `guarded-${seq}`;
  target.proxy.reset();
  for (const id of [...target.app.users.keys()]) (target.app.users as Map<string, unknown>).delete(id);
  for (const id of [...target.app.groups.keys()]) (target.app.groups as Map<string, unknown>).delete(id);
  // 'finance' is managed but the target lacks it.
  target.app.seed({
    users: [{ userName: MOVER }],
    groups: [
      { displayName: 'engineering', members: [MOVER] },
      { displayName: 'on-call', members: [MOVER] },
      { displayName: 'sales', members: [] },
    ],
  });
  target.app.requests.length = 0;
});

const budget = () => new DynamoRevocationBudget({ tableName: dynamo.stateTable, client: dynamo.client });
/** Units of the guard's window spent at this target: the floor is 1, so a take succeeds iff none was. */
const spendable = () => budget().tryConsume(targetId, windowStart(NOW, 60), 1);

function deps() {
  return {
    targetId,
    scim: target.client(),
    audit: new DynamoAuditLog({ tableName: dynamo.auditTable, client: dynamo.client }),
    ledger: new DynamoLeaverLedger({ tableName: dynamo.stateTable, client: dynamo.client }),
    callback: new RecordingTaskCallback(),
    clock: new FixedClock(NOW),
    maxAttempts: 3,
    deadLetters: new RecordingDeadLetterQueue(),
    alerts: new RecordingNotifier(),
    redriveCommand: `npm run scimitar -- redrive ${targetId}`,
    blastRadius: { config, budget: budget() },
    entitlements,
  } satisfies LaneDeps;
}

function mover(eventId: string, attributes: Record<string, string>) {
  const msg = laneMessage(MOVER, `${eventId}-${seq}`, { targetId, action: 'entitlements' });
  return { ...msg, person: { ...msg.person, attributes } };
}

const memberships = () => {
  const id = target.app.userByName(MOVER)?.id;
  return [...target.app.groups.values()]
    .filter((g) => g.members.some((m) => m.value === id))
    .map((g) => g.displayName)
    .sort();
};

describe('lane: a mover and the blast-radius guard', () => {
  it('spends no unit on removals, and removes even when the window is spent', async () => {
    const d = deps();
    const first = mover('guard-a', { department: 'Finance' });
    expect(await runLane(first, 1, d)).toMatchObject({ kind: 'done', result: { status: 'updated' } });
    expect(memberships()).toEqual([]);
    // The removals spent nothing: the window's one unit is still there (taken now, so it is spent).
    expect(await spendable()).toBe(true);

    // The window is spent now; the mover is back in engineering (an admin re-added them).
    const user = target.app.userByName(MOVER);
    [...target.app.groups.values()]
      .find((g) => g.displayName === 'engineering')
      ?.members.push({ value: user?.id ?? '', display: MOVER });
    expect(memberships()).toEqual(['engineering']);
    const second = mover('guard-b', { department: 'Finance' });
    const outcome = await runLane(second, 1, deps());
    expect(outcome).toMatchObject({ kind: 'done', result: { status: 'updated' } });
    expect(memberships()).toEqual([]);
    expect((await d.audit.forEvent(second.eventId)).map((e) => e.step)).not.toContain('REFUSED');
  });
});

describe('lane: what a mover’s audit names', () => {
  it('names a managed group the target lacks, and a removal the server said was already gone', async () => {
    // The server answers the on-call removal noTarget: someone removed the member meanwhile.
    target.proxy.inject(
      { kind: 'noTarget' },
      {
        when: (r) =>
          r.method === 'PATCH' &&
          r.url.endsWith(
            `/Groups/${[...target.app.groups.values()].find((g) => g.displayName === 'on-call')?.id}`,
          ),
      },
    );
    const d = deps();
    const msg = mover('audit-a', { department: 'Sales' });
    expect(await runLane(msg, 1, d)).toMatchObject({ kind: 'done' });
    expect(memberships()).toEqual(['sales']);
    const entries = await d.audit.forEvent(msg.eventId);
    const removed = entries.filter((e) => e.step === 'ENTITLEMENT_REMOVED').map((e) => e.detail);
    expect(removed).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ group: 'engineering' }),
        expect.objectContaining({ group: 'on-call', alreadyAbsent: true }),
      ]),
    );
    expect(removed.find((r) => r?.group === 'engineering')?.alreadyAbsent).toBeUndefined();
    const verified = entries.find((e) => e.step === 'ENTITLEMENTS_VERIFIED');
    expect(verified?.detail).toMatchObject({ missingAtTarget: ['finance'], added: ['sales'] });
  });

  it('logs REPORTED with wouldRemove and wouldAdd at a report-only target, and writes nothing', async () => {
    const d = deps();
    const base = mover('audit-b', { department: 'Sales' });
    const msg = { ...base, lane: { ...base.lane, reportOnly: true } };
    expect(await runLane(msg, 1, d)).toMatchObject({ kind: 'done', result: { status: 'reported' } });
    expect(target.app.requests.filter((r) => r.method !== 'GET')).toEqual([]);
    expect(memberships()).toEqual(['engineering', 'on-call']);
    const reported = (await d.audit.forEvent(msg.eventId)).find((e) => e.step === 'REPORTED');
    expect(reported?.detail).toMatchObject({ wouldAdd: ['sales'] });
    expect([...((reported?.detail?.wouldRemove as string[]) ?? [])].sort()).toEqual([
      'engineering',
      'on-call',
    ]);
  });
});
