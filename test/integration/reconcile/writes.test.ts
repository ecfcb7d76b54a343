import {
  BatchGetCommand,
  BatchWriteCommand,
  type DynamoDBDocumentClient,
  QueryCommand,
} from '@aws-sdk/lib-dynamodb';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { DynamoReconciliationStore } from '../../../lambdas/aws/adapters/dynamo-reconciliation.ts';
import { reconcile, type TargetOutcome } from '../../../lambdas/core/reconcile/reconcile.ts';
import type { TargetReconciliation } from '../../../lambdas/core/reconcile/state.ts';
import { type LocalDynamo, startDynalite } from '../../support/dynalite.ts';
import { type ScimTarget, startTarget } from '../../support/scim-target.ts';
import { configFor, DAY, depsFor, freshId, NOW, seedPlaced, statesByUser, type TestDeps } from './world.ts';

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

/** Items written through BatchWriteItem by kind of sort key, and account states read; reset with `clear`. */
interface Writes {
  accountReads: number;
  accountPuts: number;
  accountDeletes: number;
  listedPuts: number;
  listedDeletes: number;
  /** Queries of the account states' keys (the sweep's reads). */
  sweepQueries: number;
}

/** The test's DynamoDB client, counting the batch writes that go through it. */
function countingClient(client: DynamoDBDocumentClient): { client: DynamoDBDocumentClient; writes: Writes } {
  const writes: Writes = {
    accountReads: 0,
    accountPuts: 0,
    accountDeletes: 0,
    listedPuts: 0,
    listedDeletes: 0,
    sweepQueries: 0,
  };
  const counting = Object.create(client) as DynamoDBDocumentClient;
  counting.send = (async (command: unknown) => {
    if (command instanceof BatchGetCommand) {
      for (const request of Object.values(command.input.RequestItems ?? {})) {
        writes.accountReads += request.Keys?.length ?? 0;
      }
    }
    if (
      command instanceof QueryCommand &&
      command.input.ProjectionExpression === 'sk' &&
      command.input.ExpressionAttributeValues?.[':account'] === 'ACCOUNT#'
    ) {
      writes.sweepQueries += 1;
    }
    if (command instanceof BatchWriteCommand) {
      for (const requests of Object.values(command.input.RequestItems ?? {})) {
        for (const r of requests) {
          const sk = String(r.PutRequest?.Item?.sk ?? r.DeleteRequest?.Key?.sk);
          const kind = sk.startsWith('ACCOUNT#') ? 'account' : 'listed';
          writes[`${kind}${r.PutRequest ? 'Puts' : 'Deletes'}`] += 1;
        }
      }
    }
    return client.send(command as never);
  }) as DynamoDBDocumentClient['send'];
  return { client: counting, writes };
}

const clear = (writes: Writes) => {
  for (const key of Object.keys(writes) as (keyof Writes)[]) writes[key] = 0;
};

/** 60 accounts on pages of 10: every sixth a leaver's (drift), some of every tenth nobody's (orphan). */
function seed(deps: TestDeps, id: string) {
  const names = Array.from({ length: 60 }, (_, i) => `w${String(i + 1).padStart(3, '0')}@example.com`);
  return seedPlaced(deps, target.app, id, names, (i) =>
    i % 6 === 5 ? 'leaver' : i % 10 === 9 ? 'nobody' : 'person',
  );
}

async function listedItems(id: string): Promise<number> {
  const { Count } = await dynamo.client.send(
    new QueryCommand({
      TableName: dynamo.stateTable,
      KeyConditionExpression: 'pk = :pk AND begins_with(sk, :listed)',
      ExpressionAttributeValues: { ':pk': `TARGET#${id}`, ':listed': 'SEEN#' },
      Select: 'COUNT',
    }),
  );
  return Count ?? 0;
}

function setup() {
  const id = freshId('w');
  const base = depsFor(
    dynamo,
    configFor([{ id, baseUrl: target.proxy.url, quirks: { maxPageSize: 10 } }], {
      blastRadius: { floor: 100, maxShare: 1, windowMinutes: 60 },
    }),
  );
  const counting = countingClient(dynamo.client);
  const store = new DynamoReconciliationStore({ tableName: dynamo.stateTable, client: counting.client });
  return { id, deps: { ...base, store }, writes: counting.writes };
}

describe('reconciliation: writes only what changed', () => {
  it('writes no account state on a second pass over an unchanged target, and still forgets a deleted account', async () => {
    target = await startTarget();
    const { id, deps, writes } = setup();
    const users = await seed(deps, id);

    const [first] = (await reconcile({}, deps)).outcomes;
    expect(first?.counts).toMatchObject({ accounts: 60, managed: 46, drift: 10, orphan: 4 });
    // Its six pages took no time on the test's clock: one checkpoint, one listing item for them all.
    // Every listed account's state is read, then the 14 orphan and drift states it lists, by key.
    expect(writes).toMatchObject({
      accountReads: 60 + 14,
      accountPuts: 60,
      accountDeletes: 0,
      listedPuts: 1,
    });
    // The first pass knows no listing before it: its sweep reads the states' keys.
    expect(writes.sweepQueries).toBeGreaterThan(0);
    const firstQueued = deps.queue.drain().length;
    expect(firstQueued).toBe(10);

    // A day later: one account gone from the target, nothing else changed.
    clear(writes);
    deps.clock.advance(DAY);
    const gone = users[0];
    if (!gone) throw new Error('unreachable');
    await target.client().delete(gone.id);
    const [second] = (await reconcile({ sweepBatch: 7 }, deps)).outcomes;

    expect(second).toMatchObject({
      status: 'complete',
      counts: expect.objectContaining({ accounts: 59, managed: 45, drift: 10, orphan: 4, removed: 1 }),
    });
    // 60 state reads and writes then, none now: what the pages listed (1 item) and the one delete.
    // The first pass's fingerprints told every listed account unchanged: the only states read are
    // the 14 the findings list.
    expect(writes).toMatchObject({ accountReads: 14, accountPuts: 0, accountDeletes: 1, listedPuts: 1 });
    // Nor does the sweep read the states: the one the first pass listed and this one did not goes by key.
    expect(writes.sweepQueries).toBe(0);
    // The drift the first pass queued still waits in the lane (nothing answered it): not queued again.
    expect(second?.counts).toMatchObject({ remediated: 0, alreadyQueued: firstQueued });
    expect(deps.queue.drain()).toEqual([]);
    const states = await statesByUser(deps, id);
    expect(Object.keys(states)).toHaveLength(59);
    expect(states[gone.userName]).toBeUndefined();
    // Unchanged states keep when they were written; the findings say this pass listed them.
    expect(states['w010@example.com']).toMatchObject({
      classification: 'orphan',
      lastSeen: NOW.toISOString(),
    });
    expect(second?.findings?.accounts).toHaveLength(14);
    expect(second?.findings?.accounts.every((a) => a.lastSeen === deps.clock.now().toISOString())).toBe(true);
    // What this pass listed is kept for the next one; what the first one listed is forgotten.
    expect(writes.listedDeletes).toBe(1);
    expect(await listedItems(id)).toBe(1);
  });

  it('lists the same orphan and drift accounts from the states it judged as a query of every state would', async () => {
    target = await startTarget();
    const { id, deps, writes } = setup();
    await seed(deps, id);
    await reconcile({}, deps);
    deps.clock.advance(DAY);
    clear(writes);

    const [outcome] = (await reconcile({ findingsLimit: 4 }, deps)).outcomes;

    // Read by key: four drift states, then four orphans, of which the list shows the first four.
    expect(writes.accountReads).toBe(8);
    const queried = await deps.store.findings(id, { limit: 4 });
    const since = deps.clock.now().toISOString();
    expect(outcome?.findings).toEqual({
      ...queried,
      accounts: queried.accounts.map((a) => ({ ...a, lastSeen: since })),
    });
    expect(outcome?.findings).toMatchObject({ limit: 4, more: 10 });
  });

  it('writes the one account whose classification changed', async () => {
    target = await startTarget();
    const { id, deps, writes } = setup();
    await seed(deps, id);
    await reconcile({}, deps);
    clear(writes);

    // w001 leaves the roster without a leaver record: from managed to orphan.
    const roster = deps.roster.roster;
    if (!roster) throw new Error('unreachable');
    deps.roster.roster = {
      ...roster,
      people: roster.people.filter((p) => p.userName !== 'w001@example.com'),
    };
    deps.clock.advance(DAY);
    const [second] = (await reconcile({}, deps)).outcomes;

    expect(second?.counts).toMatchObject({ accounts: 60, managed: 45, orphan: 5, removed: 0 });
    // The one account read and written, and the 15 orphan and drift states the findings list.
    expect(writes).toMatchObject({ accountReads: 1 + 15, accountPuts: 1, accountDeletes: 0 });
    const states = await statesByUser(deps, id);
    expect(states['w001@example.com']).toMatchObject({
      classification: 'orphan',
      firstSeen: NOW.toISOString(),
      lastSeen: deps.clock.now().toISOString(),
    });
  });

  it('sweeps by what every invocation of a resumed pass listed, keeping the accounts listed before the stop', async () => {
    target = await startTarget();
    const { id, deps } = setup();
    const users = await seed(deps, id);
    await reconcile({}, deps);
    const gone = users[59];
    if (!gone) throw new Error('unreachable');
    await target.client().delete(gone.id);
    deps.clock.advance(DAY);

    // Time runs short after three pages: the next invocation lists the rest and sweeps.
    let pagesLeft = 3;
    const outcomes: TargetOutcome[] = [];
    for (let invocation = 0; invocation < 5; invocation++) {
      const result = await reconcile(
        { remainingMs: () => (pagesLeft-- > 0 ? 10 * 60_000 : 1_000), reserveMs: 5_000 },
        deps,
      );
      pagesLeft = 100;
      outcomes.push(...result.outcomes);
      if (!result.paused) break;
    }

    expect(outcomes.map((o) => o.status)).toEqual(['paused', 'complete']);
    expect(outcomes.at(-1)?.counts).toMatchObject({ accounts: 59, removed: 1 });
    const states = await statesByUser(deps, id);
    expect(Object.keys(states).sort()).toEqual(
      users
        .slice(0, 59)
        .map((u) => u.userName)
        .sort(),
    );
  });

  it('removes the vanished accounts by key, and sweeps by reading the states when it ran out of time halfway', async () => {
    target = await startTarget();
    const { id, deps, writes } = setup();
    const users = await seed(deps, id);
    await reconcile({}, deps);
    for (const gone of users.slice(0, 3)) await target.client().delete(gone.id);
    deps.clock.advance(DAY);
    clear(writes);

    // Time runs short after the first batch of one removal.
    let removals = 0;
    const store = Object.create(deps.store) as typeof deps.store;
    store.removeAccounts = async (targetId, ids) => {
      removals += 1;
      return deps.store.removeAccounts(targetId, ids);
    };
    const request = {
      sweepBatch: 1,
      remainingMs: () => (removals > 0 ? 1_000 : 10 * 60_000),
      reserveMs: 5_000,
    };
    const [paused] = (await reconcile(request, { ...deps, store })).outcomes;
    expect(paused).toMatchObject({ status: 'paused', counts: expect.objectContaining({ removed: 1 }) });
    expect(writes).toMatchObject({ accountDeletes: 1, sweepQueries: 0 });

    const [done] = (await reconcile({ sweepBatch: 7 }, deps)).outcomes;
    expect(done).toMatchObject({
      status: 'complete',
      counts: expect.objectContaining({ accounts: 57, removed: 3 }),
    });
    expect(writes.accountDeletes).toBe(3);
    expect(writes.sweepQueries).toBeGreaterThan(0);
    expect(Object.keys(await statesByUser(deps, id))).toHaveLength(57);
  });

  it('reads every state it lists once resumed after a crash: a page may have been written past its checkpoint', async () => {
    target = await startTarget();
    const { id, deps, writes } = setup();
    await seed(deps, id);
    await reconcile({}, deps);
    deps.clock.advance(DAY);
    clear(writes);
    // The process "dies" at the checkpoint after page 2: no save succeeds from then on.
    let saves = 0;
    const dying = Object.create(deps.store) as typeof deps.store;
    dying.saveTarget = async (state: TargetReconciliation) => {
      saves += 1;
      if (saves >= 3) throw new Error('Lambda timed out');
      return deps.store.saveTarget(state);
    };
    // A checkpoint after every page, so the crash lands between two of them.
    const [died] = (await reconcile({}, { ...deps, store: dying, checkpointEveryMs: 0 })).outcomes;
    expect(died?.status).toBe('incomplete');
    expect(writes.accountReads).toBe(0); // pages 1 and 2: told unchanged by their fingerprints

    deps.clock.advance(16 * 60_000);
    const [resumed] = (await reconcile({}, deps)).outcomes;

    expect(resumed).toMatchObject({ status: 'complete', counts: expect.objectContaining({ accounts: 60 }) });
    // Page 1 was checkpointed; pages 2 to 6 are read and compared, not trusted.
    expect(writes.accountReads).toBe(50);
    expect(writes.accountPuts).toBe(0);
    // Nor is the listing before it trusted to tell the vanished accounts: the sweep reads the states.
    expect(writes.sweepQueries).toBeGreaterThan(0);
  });
});
