import { BatchGetCommand, BatchWriteCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { DynamoReconciliationStore } from '../../../lambdas/aws/adapters/dynamo-reconciliation.ts';
import type { ScimitarConfigInput } from '../../../lambdas/core/model/config.ts';
import { reconcile, type TargetOutcome } from '../../../lambdas/core/reconcile/reconcile.ts';
import { REQUEUE_AFTER_MS } from '../../../lambdas/core/reconcile/remediate.ts';
import type { AccountState } from '../../../lambdas/core/reconcile/state.ts';
import { runLane } from '../../../lambdas/core/revocation/lane.ts';
import { scimClientFor } from '../../../lambdas/core/targets/target-client.ts';
import { renderReconcileOutcomes } from '../../../local/report-format.ts';
import { LocalSecretSource } from '../../../local/secrets.ts';
import { type LocalDynamo, startDynalite } from '../../support/dynalite.ts';
import { recordingFailureChannels } from '../../support/recorders.ts';
import { type ScimTarget, startTarget, TOKEN } from '../../support/scim-target.ts';
import { RecordingTaskCallback } from '../../support/task-callbacks.ts';
import { configFor, DAY, depsFor, freshId, NOW, seedPlaced, type TestDeps } from './world.ts';

let dynamo: LocalDynamo;
let target: ScimTarget;
beforeAll(async () => {
  dynamo = await startDynalite();
});
afterEach(async () => {
  await target?.close();
});
afterAll(async () => {
  await dynamo.close();
});

/** What a pass costs per account: state items read and written, guard slots asked for. */
interface Cost {
  stateReads: number;
  statePuts: number;
  guardTakes: number;
}

/** The test's deps over a DynamoDB client and a budget that count what goes through them. */
function counted(deps: TestDeps): { deps: TestDeps; cost: Cost } {
  const cost: Cost = { stateReads: 0, statePuts: 0, guardTakes: 0 };
  const client = Object.create(dynamo.client) as DynamoDBDocumentClient;
  client.send = (async (command: unknown) => {
    if (command instanceof BatchGetCommand) {
      for (const r of Object.values(command.input.RequestItems ?? {})) cost.stateReads += r.Keys?.length ?? 0;
    }
    if (command instanceof BatchWriteCommand) {
      for (const requests of Object.values(command.input.RequestItems ?? {})) {
        for (const r of requests)
          if (String(r.PutRequest?.Item?.sk).startsWith('ACCOUNT#')) cost.statePuts += 1;
      }
    }
    return dynamo.client.send(command as never);
  }) as DynamoDBDocumentClient['send'];
  const budget = Object.create(deps.budget) as TestDeps['budget'];
  budget.tryConsume = (...args) => {
    cost.guardTakes += 1;
    return deps.budget.tryConsume(...args);
  };
  const store = new DynamoReconciliationStore({ tableName: dynamo.stateTable, client });
  return { deps: { ...deps, store, budget }, cost };
}

const reset = (cost: Cost) => Object.assign(cost, { stateReads: 0, statePuts: 0, guardTakes: 0 });

/** 30 accounts on pages of 10: every fifth a leaver's (drift), every seventh nobody's (orphan). */
const NAMES = Array.from({ length: 30 }, (_, i) => `q${String(i + 1).padStart(3, '0')}@example.com`);
const place = (i: number) => (i % 5 === 4 ? 'leaver' : i % 7 === 6 ? 'nobody' : 'person');
const DRIFT = NAMES.filter((_, i) => place(i) === 'leaver');

function setup(extra: Partial<ScimitarConfigInput> = {}, targetExtra = {}) {
  const id = freshId('q');
  const config = configFor([{ id, baseUrl: target.proxy.url, quirks: { maxPageSize: 10 }, ...targetExtra }], {
    blastRadius: { floor: 100, maxShare: 1, windowMinutes: 60 },
    // Passes days apart keep the one roster export, so the fingerprints stay those of the first pass.
    reconciliation: { rosterMaxAgeHours: 24 * 31 },
    ...extra,
  });
  const { deps, cost } = counted(depsFor(dynamo, config));
  return { id, config, deps, cost };
}

async function pass(deps: TestDeps): Promise<TargetOutcome> {
  const [outcome] = (await reconcile({}, deps)).outcomes;
  if (outcome?.status !== 'complete') throw new Error(`pass ${outcome?.status}: ${outcome?.error}`);
  return outcome;
}

/** Account states by userName. */
async function statesByUser(deps: TestDeps, targetId: string): Promise<Record<string, AccountState>> {
  const out: Record<string, AccountState> = {};
  for await (const s of deps.store.accounts(targetId)) out[s.userName] = s;
  return out;
}

/** Audit entries of the leavers, by step. */
async function auditSteps(deps: TestDeps, id: string): Promise<string[]> {
  const steps: string[] = [];
  for (const [i] of NAMES.entries()) {
    if (place(i) === 'leaver') steps.push(...(await deps.audit.forPerson(`${id}.L${i}`)).map((e) => e.step));
  }
  return steps;
}

describe('reconciliation: a remediation still waiting in the lane is not queued again', () => {
  it('does not queue, take the guard for, audit or rewrite a drift the previous pass queued, and still lists it', async () => {
    target = await startTarget();
    const { id, deps, cost } = setup();
    await seedPlaced(deps, target.app, id, NAMES, place);

    const first = await pass(deps);
    expect(first.counts).toMatchObject({ drift: 6, remediated: 6, alreadyQueued: 0 });
    const queued = deps.queue.drain();
    expect(queued).toHaveLength(6);
    expect(cost.guardTakes).toBe(6);
    expect(await auditSteps(deps, id)).toEqual(Array(6).fill('REMEDIATED'));

    // A day later the messages still wait in the lane (behind a rate limit): nothing has changed.
    reset(cost);
    deps.clock.advance(DAY);
    const second = await pass(deps);

    expect(second.counts).toMatchObject({
      accounts: 30,
      drift: 6,
      remediated: 0,
      refused: 0,
      alreadyQueued: 6,
    });
    expect(deps.queue.drain()).toEqual([]);
    // No state read but the 10 orphan and drift states its findings list, none written.
    expect(cost).toEqual({ stateReads: 10, statePuts: 0, guardTakes: 0 });
    expect(renderReconcileOutcomes([second])).toContain(
      're-queued 0 (6 still queued by an earlier pass), refused 0',
    );
    expect(await auditSteps(deps, id)).toEqual(Array(6).fill('REMEDIATED'));
    expect(
      second.findings?.accounts
        .filter((a) => a.classification === 'drift')
        .map((a) => a.userName)
        .sort(),
    ).toEqual(DRIFT);
    // Each state records the remediation the first pass queued.
    const eventIdOf = new Map(queued.map(({ message }) => [message.lane.matchValue, message.eventId]));
    const states = await statesByUser(deps, id);
    for (const name of DRIFT) {
      expect(states[name]?.queued).toEqual({
        at: NOW.toISOString(),
        classification: 'drift',
        action: 'deactivate',
        eventId: eventIdOf.get(name),
      });
    }

    // A new roster export changes every drift account's state (its match names the export): the
    // states are read and written, and what they record still holds the remediations back.
    reset(cost);
    const roster = deps.roster.roster;
    if (!roster) throw new Error('unreachable');
    deps.roster.roster = { ...roster, asOf: new Date(deps.clock.now().getTime() - 60_000).toISOString() };
    const third = await pass(deps);
    expect(third.counts).toMatchObject({ drift: 6, remediated: 0, alreadyQueued: 6 });
    expect(deps.queue.drain()).toEqual([]);
    expect(cost.guardTakes).toBe(0);
    expect(cost.stateReads).toBeGreaterThanOrEqual(6);
    const reread = await statesByUser(deps, id);
    expect(DRIFT.map((n) => reread[n]?.queued?.eventId)).toEqual(
      queued.map(({ message }) => message.eventId),
    );
  });

  it('queues it again once REQUEUE_AFTER_MS has passed since, keeping when the account was first seen', async () => {
    target = await startTarget();
    const { id, deps, cost } = setup();
    await seedPlaced(deps, target.app, id, NAMES, place);
    await pass(deps);
    const firstIds = deps.queue.drain().map(({ message }) => message.eventId);

    deps.clock.advance(REQUEUE_AFTER_MS - 60_000);
    expect((await pass(deps)).counts).toMatchObject({ remediated: 0, alreadyQueued: 6 });
    expect(deps.queue.drain()).toEqual([]);

    reset(cost);
    deps.clock.advance(60_000);
    const due = await pass(deps);

    expect(due.counts).toMatchObject({ drift: 6, remediated: 6, alreadyQueued: 0 });
    const again = deps.queue.drain();
    expect(again).toHaveLength(6);
    expect(again.every(({ message }) => !firstIds.includes(message.eventId))).toBe(true);
    expect(cost.guardTakes).toBe(6);
    expect(await auditSteps(deps, id)).toEqual(Array(12).fill('REMEDIATED'));
    // Only the six drift states are written: each with its new remediation, first seen as before.
    expect(cost.statePuts).toBe(6);
    const eventIdOf = new Map(again.map(({ message }) => [message.lane.matchValue, message.eventId]));
    const states = await statesByUser(deps, id);
    for (const name of DRIFT) {
      expect(states[name]).toMatchObject({
        firstSeen: NOW.toISOString(),
        queued: { at: deps.clock.now().toISOString(), eventId: eventIdOf.get(name) },
      });
    }
  });

  it('queues again a remediation whose action changed (the target now deletes)', async () => {
    target = await startTarget();
    const { id, deps } = setup();
    await seedPlaced(deps, target.app, id, NAMES, place);
    await pass(deps);
    expect(deps.queue.drain().map(({ message }) => message.lane.action)).toEqual(Array(6).fill('deactivate'));

    const changed = configFor(
      [{ id, baseUrl: target.proxy.url, quirks: { maxPageSize: 10 }, leaverAction: 'delete' }],
      {
        blastRadius: { floor: 100, maxShare: 1, windowMinutes: 60 },
        reconciliation: { rosterMaxAgeHours: 24 * 31 },
      },
    );
    const later = counted({ ...depsFor(dynamo, changed, { clock: deps.clock }), roster: deps.roster }).deps;
    deps.clock.advance(DAY);
    const second = await pass(later);

    expect(second.counts).toMatchObject({ drift: 6, remediated: 6, alreadyQueued: 0 });
    expect(later.queue.drain().map(({ message }) => message.lane.action)).toEqual(Array(6).fill('delete'));
  });

  it('queues again a remediation whose classification changed (an orphan found to be a leaver)', async () => {
    target = await startTarget();
    const { id, deps } = setup({ reconciliation: { rosterMaxAgeHours: 24 * 31, deactivateOrphans: true } });
    const users = await seedPlaced(deps, target.app, id, NAMES, place);
    expect((await pass(deps)).counts).toMatchObject({ drift: 6, orphan: 4, remediated: 10 });
    deps.queue.drain();

    // The HRIS catches up: the first orphan's holder is recorded as a leaver at this target.
    const orphan = users[6];
    if (!orphan) throw new Error('unreachable');
    await deps.ledger.record({
      personId: `${id}.late`,
      targetId: id,
      outcome: 'failed',
      eventId: 'late-leaver',
      at: deps.clock.now().toISOString(),
      accountId: orphan.id,
      userName: orphan.userName,
    });
    deps.clock.advance(DAY);
    const second = await pass(deps);

    expect(second.counts).toMatchObject({ drift: 7, orphan: 3, remediated: 1, alreadyQueued: 9 });
    expect(deps.queue.drain()).toEqual([
      expect.objectContaining({
        message: expect.objectContaining({
          person: { employeeId: `${id}.late` },
          lane: expect.objectContaining({ accountId: orphan.id }),
        }),
      }),
    ]);
  });

  it('queues again a remediation the lane has answered while the account is still active', async () => {
    target = await startTarget();
    const { id, config, deps } = setup();
    await seedPlaced(deps, target.app, id, NAMES, place);
    await pass(deps);
    const [failing, ...waiting] = deps.queue.drain();
    if (!failing) throw new Error('unreachable');

    // The lane takes one message and fails for good: the application refuses the write.
    target.proxy.inject({ kind: 'status', status: 500 }, { times: 10, when: (r) => r.method !== 'GET' });
    const scimTarget = config.targets[0];
    if (scimTarget?.kind !== 'scim') throw new Error('unreachable');
    const secrets = new LocalSecretSource({ values: { token: TOKEN }, env: {} });
    const outcome = await runLane(failing.message, 1, {
      targetId: id,
      scim: scimClientFor(scimTarget, { secretId: 'token', secrets }),
      audit: deps.audit,
      ledger: deps.ledger,
      callback: new RecordingTaskCallback(),
      clock: deps.clock,
      maxAttempts: 1,
      ...recordingFailureChannels(),
    });
    expect(outcome.kind).toBe('failed');

    deps.clock.advance(60 * 60_000);
    const second = await pass(deps);

    // The answered one goes again; the five still in the lane do not.
    expect(second.counts).toMatchObject({ drift: 6, remediated: 1, alreadyQueued: 5 });
    const again = deps.queue.drain();
    expect(again.map(({ message }) => message.person.employeeId)).toEqual([
      failing.message.person.employeeId,
    ]);
    expect(again[0]?.message.eventId).not.toBe(failing.message.eventId);
    expect(waiting).toHaveLength(5);
  });

  it('tries again on the next pass a remediation the blast-radius guard refused', async () => {
    target = await startTarget();
    const { deps, id } = setup({ blastRadius: { floor: 2, maxShare: 0.01, windowMinutes: 60 } });
    await seedPlaced(deps, target.app, id, NAMES, place);
    expect((await pass(deps)).counts).toMatchObject({ drift: 6, remediated: 2, refused: 4 });
    const first = deps.queue.drain().map(({ message }) => message.lane.accountId);

    // The next window: the two queued wait, two of the four refused go now.
    deps.clock.advance(2 * 60 * 60_000);
    const second = await pass(deps);

    expect(second.counts).toMatchObject({ drift: 6, remediated: 2, refused: 2, alreadyQueued: 2 });
    const next = deps.queue.drain().map(({ message }) => message.lane.accountId);
    expect(next).toHaveLength(2);
    expect(next.some((accountId) => first.includes(accountId))).toBe(false);
  });
});
