import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { DynamoReconciliationStore } from '../../../lambdas/aws/adapters/dynamo-reconciliation.ts';
import { ReconciliationStore } from '../../../lambdas/core/reconcile/ports.ts';
import { reconcile } from '../../../lambdas/core/reconcile/reconcile.ts';
import type {
  AccountState,
  Classification,
  TargetReconciliation,
} from '../../../lambdas/core/reconcile/state.ts';
import type { StoredUser } from '../../../local/scim-app.ts';
import { type LocalDynamo, startDynalite } from '../../support/dynalite.ts';
import { type ScimTarget, startTarget } from '../../support/scim-target.ts';
import { ago, configFor, DAY, depsFor, freshId, NOW, type TestDeps } from './world.ts';

let dynamo: LocalDynamo;
let target: ScimTarget | undefined;
beforeAll(async () => {
  dynamo = await startDynalite();
});
afterEach(async () => {
  await target?.close();
  target = undefined;
});
afterAll(async () => {
  await dynamo.close();
});

/** Two drift accounts (one found by SCIM id, one by the lane's match value), one orphan, one managed. */
async function seed(deps: TestDeps, targetId: string, app: ScimTarget) {
  const { users } = app.app.seed({
    users: [
      { userName: 'ada@example.com' },
      { userName: 'bob@example.com', externalId: 'X-bob' },
      { userName: 'cyd@example.com' },
      { userName: 'eve@example.com', emails: [{ value: 'eve@example.com' }] },
    ],
  });
  const byName = (n: string) => users.find((u) => u.userName === n) as StoredUser;
  await deps.ledger.record({
    personId: `${targetId}.E-bob`,
    targetId,
    outcome: 'revoked',
    eventId: 'evt-bob',
    at: ago(2 * DAY),
    accountId: byName('bob@example.com').id,
    userName: 'bob@example.com',
  });
  await deps.ledger.record({
    personId: `${targetId}.E-cyd`,
    targetId,
    outcome: 'failed',
    eventId: 'evt-cyd',
    at: ago(DAY),
    matchAttribute: 'userName',
    matchValue: 'CYD@example.com',
  });
  deps.roster.roster = {
    asOf: ago(3_600_000),
    people: [{ employeeId: `${targetId}.E-ada`, userName: 'ada@example.com' }],
  };
  return byName;
}

describe('reconciliation: orphan and drift accounts listed', () => {
  it('lists each orphan and drift account with its SCIM id, userName, the keys tried and when it was last seen', async () => {
    target = await startTarget();
    const id = freshId();
    const deps = depsFor(dynamo, configFor([{ id, baseUrl: target.proxy.url }]), {});
    const byName = await seed(deps, id, target);
    const asOf = ago(3_600_000);
    const notInRoster = (userName: string) => ({
      keys: [`userName "${userName}"`],
      result: `no active person in the roster of ${asOf} has it`,
    });

    const [outcome] = (await reconcile({}, deps)).outcomes;

    expect(outcome?.counts).toMatchObject({ accounts: 4, managed: 1, drift: 2, orphan: 1 });
    const bob = byName('bob@example.com').id;
    const cyd = byName('cyd@example.com').id;
    const eve = byName('eve@example.com').id;
    const drift = [
      {
        scimId: bob,
        userName: 'bob@example.com',
        classification: 'drift',
        personId: `${id}.E-bob`,
        match: {
          roster: notInRoster('bob@example.com'),
          ledger: {
            keys: [`SCIM id "${bob}"`, 'userName "bob@example.com"', 'externalId "X-bob"'],
            result: `leaver ${id}.E-bob by SCIM id "${bob}" (ledger: revoked at ${ago(2 * DAY)}, event evt-bob)`,
          },
        },
        firstSeen: NOW.toISOString(),
        lastSeen: NOW.toISOString(),
      },
      {
        scimId: cyd,
        userName: 'cyd@example.com',
        classification: 'drift',
        personId: `${id}.E-cyd`,
        match: {
          roster: notInRoster('cyd@example.com'),
          ledger: {
            keys: [`SCIM id "${cyd}"`, 'userName "cyd@example.com"'],
            result: `leaver ${id}.E-cyd by userName "cyd@example.com" (ledger: failed at ${ago(DAY)}, event evt-cyd)`,
          },
        },
        firstSeen: NOW.toISOString(),
        lastSeen: NOW.toISOString(),
      },
    ].sort((a, b) => (a.scimId < b.scimId ? -1 : 1));
    expect(outcome?.findings).toEqual({
      accounts: [
        ...drift,
        {
          scimId: eve,
          userName: 'eve@example.com',
          classification: 'orphan',
          match: {
            roster: notInRoster('eve@example.com'),
            ledger: {
              keys: [`SCIM id "${eve}"`, 'userName "eve@example.com"', 'email "eve@example.com"'],
              result: 'no leaver is recorded at this target under any of them',
            },
          },
          firstSeen: NOW.toISOString(),
          lastSeen: NOW.toISOString(),
        },
      ],
      more: 0,
      limit: 100,
    });
  });

  it('says why an account matching nobody on the target’s matchAttribute could not match', async () => {
    target = await startTarget();
    const id = freshId();
    const deps = depsFor(dynamo, configFor([{ id, baseUrl: target.proxy.url, matchAttribute: 'email' }]));
    target.app.seed({ users: [{ userName: 'no-mail' }] });
    deps.roster.roster = { asOf: ago(60_000), people: [{ employeeId: 'E1', emails: ['a@example.com'] }] };
    const [outcome] = (await reconcile({}, deps)).outcomes;
    expect(outcome?.findings?.accounts[0]?.match?.roster).toEqual({
      keys: [],
      result: "the account has no email (the target's matchAttribute), so no roster person can match it",
    });
  });

  it('says which leaver was found and why it was set aside when a rehired person’s old account is an orphan', async () => {
    target = await startTarget();
    const id = freshId();
    const deps = depsFor(dynamo, configFor([{ id, baseUrl: target.proxy.url }]));
    target.app.seed({ users: [{ userName: 'old.name@example.com' }] });
    await deps.ledger.record({
      personId: `${id}.E9`,
      targetId: id,
      outcome: 'revoked',
      eventId: 'evt-9',
      at: ago(2 * DAY),
      userName: 'old.name@example.com',
    });
    deps.roster.roster = {
      asOf: ago(3_600_000),
      people: [{ employeeId: `${id}.E9`, userName: 'new.name@example.com' }],
    };

    const [outcome] = (await reconcile({}, deps)).outcomes;

    const [orphan] = outcome?.findings?.accounts ?? [];
    expect(orphan).toMatchObject({
      classification: 'orphan',
      reason: expect.stringMatching(/^rehired: leaver .*E9/),
    });
    expect(orphan?.match?.ledger.result).toBe(
      `leaver ${id}.E9 by userName "old.name@example.com" (ledger: revoked at ${ago(2 * DAY)}, event evt-9), set aside: ${orphan?.reason}`,
    );
  });

  it('caps the list at findingsLimit, drift before orphans, and counts the rest', async () => {
    target = await startTarget();
    const id = freshId();
    const deps = depsFor(dynamo, configFor([{ id, baseUrl: target.proxy.url }]));
    await seed(deps, id, target);
    target.app.seed({ users: ['o1', 'o2', 'o3'].map((n) => ({ userName: `${n}@example.com` })) });

    const [outcome] = (await reconcile({ findingsLimit: 3 }, deps)).outcomes;

    expect(outcome?.counts).toMatchObject({ drift: 2, orphan: 4 });
    expect(outcome?.findings?.accounts.map((a) => a.classification)).toEqual(['drift', 'drift', 'orphan']);
    expect(outcome?.findings).toMatchObject({ more: 3, limit: 3 });
  });

  it('lists what an incomplete pass found before it failed, and only that', async () => {
    target = await startTarget();
    const id = freshId();
    const deps = depsFor(dynamo, configFor([{ id, baseUrl: target.proxy.url, quirks: { maxPageSize: 2 } }]));
    target.app.seed({ users: ['o1', 'o2', 'o3', 'o4'].map((n) => ({ userName: `${n}@example.com` })) });
    deps.roster.roster = { asOf: ago(60_000), people: [{ employeeId: 'E1', userName: 'x@example.com' }] };
    // A complete pass first: all four are orphans of that run.
    expect((await reconcile({}, deps)).outcomes[0]?.findings?.accounts).toHaveLength(4);
    target.proxy.inject(
      { kind: 'status', status: 500 },
      { times: 10, when: (r) => r.url.includes('startIndex=3') },
    );

    const [outcome] = (await reconcile({}, deps)).outcomes;

    expect(outcome).toMatchObject({ status: 'incomplete', counts: expect.objectContaining({ orphan: 2 }) });
    expect(outcome?.findings?.accounts.map((a) => a.userName).sort()).toEqual([
      'o1@example.com',
      'o2@example.com',
    ]);
    expect(outcome?.findings?.more).toBe(0);
  });

  it('lists nothing, and adds no list, when a pass finds no orphan and no drift', async () => {
    target = await startTarget();
    const id = freshId();
    const deps = depsFor(dynamo, configFor([{ id, baseUrl: target.proxy.url }]));
    target.app.seed({ users: [{ userName: 'ada@example.com' }] });
    deps.roster.roster = { asOf: ago(60_000), people: [{ employeeId: 'E1', userName: 'ada@example.com' }] };
    const [outcome] = (await reconcile({}, deps)).outcomes;
    expect(outcome?.status).toBe('complete');
    expect(outcome?.findings).toBeUndefined();
  });
});

function state(targetId: string, n: number, classification: Classification, runId = 'r1'): AccountState {
  const scimId = String(n).padStart(6, '0');
  return {
    targetId,
    scimId,
    userName: `u${scimId}`,
    classification,
    firstSeen: NOW.toISOString(),
    lastSeen: NOW.toISOString(),
    runId,
    page: 1,
  };
}

describe('reconciliation store: findings', () => {
  it('reads page by page on DynamoDB, keeps at most the limit, and counts the rest', async () => {
    const store = new DynamoReconciliationStore({
      tableName: dynamo.stateTable,
      client: dynamo.client,
      findingsPageSize: 4,
    });
    const id = freshId();
    const kinds: Classification[] = ['managed', 'orphan', 'drift', 'orphan', 'inactive', 'accepted'];
    await store.putAccounts(
      Array.from({ length: 60 }, (_, n) => state(id, n, kinds[n % kinds.length] ?? 'managed')),
    );
    // 10 drift, 20 orphans; and 5 orphans of another run.
    await store.putAccounts(Array.from({ length: 5 }, (_, n) => state(id, 100 + n, 'orphan', 'r2')));

    const all = await store.findings(id, { limit: 12 });
    expect(all.accounts.map((a) => a.classification)).toEqual([
      ...Array(10).fill('drift'),
      'orphan',
      'orphan',
    ]);
    expect(all.accounts[0]).toEqual({
      scimId: '000002',
      userName: 'u000002',
      classification: 'drift',
      firstSeen: NOW.toISOString(),
      lastSeen: NOW.toISOString(),
    });
    expect(all.more).toBe(10 + 20 + 5 - 12);

    // Once the drift list is full, the rest of the partition is only counted.
    const few = await store.findings(id, { limit: 3 });
    expect(few).toEqual({ accounts: expect.any(Array), more: 35 - 3, limit: 3 });
    expect(few.accounts.map((a) => a.scimId)).toEqual(['000002', '000008', '000014']);

    const ofRun = await store.findings(id, { limit: 100, runId: 'r2' });
    expect(ofRun.accounts.map((a) => a.scimId)).toEqual(['000100', '000101', '000102', '000103', '000104']);
    expect(ofRun.more).toBe(0);
  });

  it('holds at most the limit of each kind while reading 100,000 account states', async () => {
    const id = 'big';
    let read = 0;
    // A store that streams states and never keeps them: what the collector holds is the list.
    const store = new (class extends ReconciliationStore {
      async target(targetId: string): Promise<TargetReconciliation> {
        return { targetId, version: 0 };
      }
      async saveTarget(s: TargetReconciliation) {
        return s;
      }
      async accountsByIds() {
        return new Map<string, AccountState>();
      }
      async putAccounts() {}
      async recordPage() {}
      async *listed() {}
      async forgetListed() {}
      async sweep() {
        return { removed: 0 };
      }
      async removeAccounts() {}
      async entitlementRemovals() {
        return new Map();
      }
      async saveEntitlementRemovals() {}
      async *accounts() {
        for (let n = 0; n < 100_000; n++) {
          read += 1;
          yield state(id, n, n % 20 === 0 ? 'orphan' : n % 33 === 0 ? 'drift' : 'managed');
        }
      }
    })();
    const list = await store.findings(id, { limit: 100 });
    expect(read).toBe(100_000);
    expect(list.accounts).toHaveLength(100);
    const orphans = 100_000 / 20;
    const drift = Array.from({ length: 100_000 }, (_, n) => n).filter(
      (n) => n % 20 !== 0 && n % 33 === 0,
    ).length;
    expect(list.more).toBe(orphans + drift - 100);
    expect(list.accounts.every((a) => a.classification === 'drift')).toBe(true);
  });
});
