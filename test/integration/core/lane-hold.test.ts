// The lane's checks before a destructive write, against a SCIMMY target on loopback and dynalite:
// the budget is spent by writes that happen, a held write names the approve command, and a
// termination rescinded after its plan writes nothing.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { DynamoAuditLog } from '../../../lambdas/aws/adapters/dynamo-audit-log.ts';
import { DynamoLeaverLedger, DynamoRevocationBudget } from '../../../lambdas/aws/adapters/dynamo-state.ts';
import type { PendingTermination } from '../../../lambdas/core/lifecycle/ports.ts';
import { auditEntry, onceAuditEntry } from '../../../lambdas/core/model/audit.ts';
import { parseConfig } from '../../../lambdas/core/model/config.ts';
import type { LaneMessage } from '../../../lambdas/core/model/messages.ts';
import { ApproveRefusedError, approveHeld } from '../../../lambdas/core/revocation/approve.ts';
import { windowStart } from '../../../lambdas/core/revocation/blast-radius.ts';
import { type LaneDeps, runLane } from '../../../lambdas/core/revocation/lane.ts';
import sample from '../../../scimitar.config.ts';
import { type LocalDynamo, startDynalite } from '../../support/dynalite.ts';
import { laneMessage } from '../../support/lane-message.ts';
import { InMemoryPendingTerminations } from '../../support/lifecycle.ts';
import { RecordingLaneQueue } from '../../support/reconcile.ts';
import { FixedClock, RecordingDeadLetterQueue, RecordingNotifier } from '../../support/recorders.ts';
import { type ScimTarget, startTarget } from '../../support/scim-target.ts';
import { RecordingTaskCallback } from '../../support/task-callbacks.ts';

const NOW = new Date('2026-11-28T10:00:02Z');
const config = { ...parseConfig(sample), blastRadius: { maxShare: 0.1, windowMinutes: 60, floor: 1 } };

let dynamo: LocalDynamo;
let target: ScimTarget;
beforeAll(async () => {
  [dynamo, target] = await Promise.all([startDynalite(), startTarget()]);
});
afterAll(async () => {
  await Promise.all([dynamo.close(), target.close()]);
});

let budget: DynamoRevocationBudget;
let terminations: InMemoryPendingTerminations;
let seq = 0;
/** A fresh target id per test: its own budget window. */
let targetId: string;
beforeEach(() => {
  target.proxy.reset();
  budget = new DynamoRevocationBudget({ tableName: dynamo.stateTable, client: dynamo.client });
  terminations = new InMemoryPendingTerminations();
  seq += 1;
  targetId = `hold-${seq}`;
});

function deps(): LaneDeps & { callback: RecordingTaskCallback; scim: LaneDeps['scim'] } {
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
    redriveCommand: 'npm run scimitar -- redrive app',
    terminations,
    blastRadius: { config, budget },
  };
}

function message(userName: string, extra: Partial<LaneMessage> = {}): LaneMessage {
  return laneMessage(userName, `hold-evt-${seq}-${userName}`, { targetId }, extra);
}

const steps = async (eventId: string) => (await deps().audit.forEvent(eventId)).map((e) => e.step);

const used = async () => {
  // The floor is 1: a second take in the window is refused iff one was spent.
  return (await budget.tryConsume(targetId, windowStart(NOW, 60), 1)) ? 0 : 1;
};

describe('lane: the blast-radius guard counts harm', () => {
  it('spends nothing on a person with no account', async () => {
    const msg = message('nobody.hold@example.com');
    expect(await runLane(msg, 1, deps())).toMatchObject({ result: { status: 'no-account' } });
    expect(await used()).toBe(0);
  });

  it('spends nothing on an account already inactive', async () => {
    target.app.seed({ users: [{ userName: 'inactive.hold@example.com', active: false }] });
    const msg = message('inactive.hold@example.com');
    expect(await runLane(msg, 1, deps())).toMatchObject({ result: { status: 'already-revoked' } });
    expect(await used()).toBe(0);
  });

  it('spends one unit on a write that happens, and holds the next write past the limit, naming approve', async () => {
    target.app.seed({ users: [{ userName: 'a.hold@example.com' }, { userName: 'b.hold@example.com' }] });
    const first = message('a.hold@example.com');
    expect(await runLane(first, 1, deps())).toMatchObject({ result: { status: 'revoked' } });
    const second = message('b.hold@example.com');
    const d = deps();
    expect(await runLane(second, 1, d)).toMatchObject({ kind: 'done', result: { status: 'refused' } });
    expect(target.app.userByName('b.hold@example.com')?.active).toBe(true);
    const entries = await d.audit.forEvent(second.eventId);
    expect(entries.map((e) => e.step)).toEqual(['REFUSED']);
    expect(entries[0]?.detail?.reason).toContain(`npm run scimitar -- approve ${second.eventId}`);
    expect(d.callback.succeeded[0]?.output).toMatchObject({ status: 'refused' });
    expect(await d.ledger.forPerson(second.person.employeeId)).toEqual([
      expect.objectContaining({ targetId, outcome: 'refused', matchValue: 'b.hold@example.com' }),
    ]);
  });

  it('holds before anything changes at the target: a held revocation that removes groups first removes none', async () => {
    target.app.seed({
      users: [{ userName: 'e.hold@example.com' }, { userName: 'f.hold@example.com' }],
      groups: [{ displayName: `admins-${seq}`, members: ['e.hold@example.com', 'f.hold@example.com'] }],
    });
    const members = () =>
      [...target.app.groups.values()]
        .find((g) => g.displayName === `admins-${seq}`)
        ?.members.map((m) => m.display);
    const removingGroups = (msg: LaneMessage) => ({ ...msg, lane: { ...msg.lane, removeFromGroups: true } });
    const first = removingGroups(message('e.hold@example.com'));
    expect(await runLane(first, 1, deps())).toMatchObject({ result: { status: 'revoked' } });
    expect(members()).toEqual(['f.hold@example.com']);
    const held = removingGroups(message('f.hold@example.com'));
    expect(await runLane(held, 1, deps())).toMatchObject({ result: { status: 'refused' } });
    expect(members()).toEqual(['f.hold@example.com']);
    expect(target.app.userByName('f.hold@example.com')?.active).toBe(true);
  });

  it('lets an approved revocation past a spent budget', async () => {
    target.app.seed({ users: [{ userName: 'c.hold@example.com' }, { userName: 'd.hold@example.com' }] });
    await runLane(message('c.hold@example.com'), 1, deps());
    const approved = message('d.hold@example.com', { approvedBy: 'ops@example.com', taskToken: undefined });
    expect(await runLane(approved, 1, deps())).toMatchObject({ result: { status: 'revoked' } });
    expect(target.app.userByName('d.hold@example.com')?.active).toBe(false);
  });
});

/** Sets the message's person's pending termination: this event's, with `status`. */
function pending(msg: LaneMessage, status: PendingTermination['status']): void {
  terminations.records.set(msg.person.employeeId, {
    personId: msg.person.employeeId,
    eventId: msg.eventId,
    source: 'generic',
    executionName: 'x',
    effectiveAt: NOW.toISOString(),
    startAt: NOW.toISOString(),
    terminationType: 'voluntary',
    status,
    startedAt: NOW.toISOString(),
    ...(status === 'cancelled' && {
      cancelledAt: NOW.toISOString(),
      cancelledBy: { eventId: 'rescind-1', kind: 'rescind' },
    }),
    version: 2,
  });
}

describe('lane: a termination rescinded after its plan', () => {
  it('writes nothing, spends nothing, and audits CANCELLED naming the rescind', async () => {
    target.app.seed({ users: [{ userName: 'stays@example.com' }] });
    const msg = message('stays@example.com');
    pending(msg, 'cancelled');
    const d = deps();
    expect(await runLane(msg, 1, d)).toMatchObject({ kind: 'done', result: { status: 'cancelled' } });
    expect(target.app.userByName('stays@example.com')?.active).toBe(true);
    expect(target.proxy.requests.every((r) => r.method === 'GET')).toBe(true);
    const [cancelled] = await d.audit.forEvent(msg.eventId);
    expect(cancelled).toMatchObject({
      step: 'CANCELLED',
      detail: expect.objectContaining({ reason: expect.stringContaining('rescind-1') }),
    });
    expect(await used()).toBe(0);
  });

  /** Runs the lane with the rescind landing at one of the revocation's hooks; expects nothing written. */
  async function rescindAt(
    hook: 'beforeChanges' | 'beforeWrite',
    userName: string,
    removeFromGroups: boolean,
  ) {
    target.app.seed({ users: [{ userName }] });
    const plain = message(userName);
    const msg = { ...plain, lane: { ...plain.lane, removeFromGroups } };
    pending(msg, 'started');
    const d = deps();
    const scim = d.scim;
    d.scim = {
      findAccount: (m) => scim.findAccount(m),
      verify: (...args) => scim.verify(...args),
      updateMemberships: (request) => scim.updateMemberships(request),
      revoke: (request) =>
        scim.revoke({
          ...request,
          [hook]: async (arg: never) => {
            pending(msg, 'cancelled');
            await (request[hook] as ((a: never) => Promise<void>) | undefined)?.(arg);
          },
        }),
    };
    const outcome = await runLane(msg, 1, d);
    expect(target.app.userByName(userName)?.active).toBe(true);
    expect(outcome).toMatchObject({ result: { status: 'cancelled' } });
    expect(await steps(msg.eventId)).toEqual(['CANCELLED']);
  }

  it('stops at the write when the rescind lands between the find and the write', async () => {
    // The rescind lands after the lane found the account, before anything changes.
    await rescindAt('beforeChanges', 'race@example.com', false);
  });

  it('stops at the write when the rescind lands while group memberships are removed', async () => {
    await rescindAt('beforeWrite', 'race.groups@example.com', true);
  });

  it('writes when its termination is current (started by this event)', async () => {
    target.app.seed({ users: [{ userName: 'leaves@example.com' }] });
    const msg = message('leaves@example.com');
    pending(msg, 'started');
    expect(await runLane(msg, 1, deps())).toMatchObject({ result: { status: 'revoked' } });
  });
});

describe('approve: an operator releases a held revocation', () => {
  /** Records what ingest and plan would have for `msg`'s event, then holds its lane at the write. */
  async function held(userName: string): Promise<LaneMessage> {
    target.app.seed({ users: [{ userName: `first.${userName}` }, { userName }] });
    await runLane(message(`first.${userName}`), 1, deps()); // spends the window's one unit
    const msg = message(userName);
    const audit = deps().audit;
    const personId = msg.person.employeeId;
    await audit.append(
      onceAuditEntry(
        {
          eventId: msg.eventId,
          step: 'RECEIVED',
          personId,
          actor: 'ingest',
          detail: { event: { person: msg.person } },
        },
        'generic',
        NOW,
      ),
    );
    const plan = {
      eventId: msg.eventId,
      personId,
      receivedAt: msg.receivedAt,
      effectiveAt: NOW.toISOString(),
      dryRun: false,
      lanes: [msg.lane],
      settled: [],
    };
    await audit.append(
      auditEntry({ eventId: msg.eventId, step: 'PLANNED', personId, actor: 'plan', detail: { plan } }, NOW),
    );
    expect(await runLane(msg, 1, deps())).toMatchObject({ result: { status: 'refused' } });
    return msg;
  }

  it('records who approved, and the released lane writes past the spent budget', async () => {
    const msg = await held('held.e@example.com');
    const lanes = new RecordingLaneQueue();
    const d = deps();
    const outcome = await approveHeld(
      { eventId: msg.eventId, approvedBy: 'ops@example.com' },
      { config, audit: d.audit, lanes, clock: d.clock, terminations },
    );
    expect(outcome.targets).toEqual([targetId]);
    const [sent] = lanes.drain();
    expect(sent?.message).toMatchObject({ approvedBy: 'ops@example.com', lane: msg.lane });
    expect(sent?.message.taskToken).toBeUndefined();
    if (!sent) throw new Error('nothing sent');
    expect(await runLane(sent.message, 1, d)).toMatchObject({ result: { status: 'revoked' } });
    expect(target.app.userByName('held.e@example.com')?.active).toBe(false);
    const entries = await d.audit.forEvent(msg.eventId);
    expect(entries.find((e) => e.step === 'APPROVED')).toMatchObject({
      actor: 'operator',
      detail: expect.objectContaining({ approvedBy: 'ops@example.com', targets: [targetId] }),
    });
  });

  it('refuses an event with nothing held', async () => {
    const msg = await held('held.f@example.com');
    const d = deps();
    const approve = { config, audit: d.audit, lanes: new RecordingLaneQueue(), clock: d.clock, terminations };
    await approveHeld({ eventId: msg.eventId, approvedBy: 'ops' }, approve);
    // Released and revoked: a second approval finds nothing held any more.
    const [sent] = (approve.lanes as RecordingLaneQueue).drain();
    if (!sent) throw new Error('nothing sent');
    await runLane(sent.message, 1, d);
    await expect(approveHeld({ eventId: msg.eventId, approvedBy: 'ops' }, approve)).rejects.toThrow(
      /no revocation held/,
    );
  });

  it('refuses to release a termination that was rescinded', async () => {
    const msg = await held('held.g@example.com');
    pending(msg, 'cancelled');
    const d = deps();
    const lanes = new RecordingLaneQueue();
    await expect(
      approveHeld(
        { eventId: msg.eventId, approvedBy: 'ops' },
        { config, audit: d.audit, lanes, clock: d.clock, terminations },
      ),
    ).rejects.toBeInstanceOf(ApproveRefusedError);
    expect(lanes.sent).toEqual([]);
  });
});
