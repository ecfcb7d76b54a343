import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { reconcile } from '../../../lambdas/core/reconcile/reconcile.ts';
import { runLane } from '../../../lambdas/core/revocation/lane.ts';
import { scimClientFor } from '../../../lambdas/core/targets/target-client.ts';
import type { StoredUser } from '../../../local/scim-app.ts';
import { LocalSecretSource } from '../../../local/secrets.ts';
import { type LocalDynamo, startDynalite } from '../../support/dynalite.ts';
import { recordingFailureChannels } from '../../support/recorders.ts';
import { type ScimTarget, startTarget, TOKEN } from '../../support/scim-target.ts';
import { RecordingTaskCallback } from '../../support/task-callbacks.ts';
import { ago, configFor, DAY, depsFor, freshId, NOW, statesByUser, type TestDeps } from './world.ts';

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

/** Person ids unique per test: the audit table is shared. */
const p = (targetId: string, personId: string) => `${targetId}.${personId}`;

/**
 * One of each: managed, drift by SCIM id, drift by the lane's match (a failed revocation), inactive,
 * orphan, allow-listed, rehired, and an identifier a leaver once held that an active person now has.
 */
async function seedMixed(deps: TestDeps, targetId: string) {
  const { users } = target.app.seed({
    users: [
      { userName: 'ada@example.com' },
      { userName: 'bob@example.com' },
      { userName: 'cyd@example.com' },
      { userName: 'dan@example.com', active: false },
      { userName: 'eve@example.com' },
      { userName: 'svc-bot' },
      { userName: 'fay@example.com' },
      { userName: 'gus@example.com' },
    ],
  });
  const byName = (n: string) => users.find((u) => u.userName === n) as StoredUser;
  const record = (personId: string, outcome: 'revoked' | 'failed', at: string, extra = {}) =>
    deps.ledger.record({
      personId: p(targetId, personId),
      targetId,
      outcome,
      eventId: `evt-${personId}`,
      at,
      ...extra,
    });
  await record('E-bob', 'revoked', ago(2 * DAY), {
    accountId: byName('bob@example.com').id,
    userName: 'bob@example.com',
  });
  await record('E-cyd', 'failed', ago(2 * DAY), {
    matchAttribute: 'userName',
    matchValue: 'CYD@example.com',
  });
  await record('E-dan', 'revoked', ago(2 * DAY), {
    accountId: byName('dan@example.com').id,
    userName: 'dan@example.com',
  });
  await record('E-fay', 'revoked', ago(10 * DAY), {
    accountId: byName('fay@example.com').id,
    userName: 'fay@example.com',
  });
  await record('E-gus-old', 'revoked', ago(400 * DAY), { userName: 'gus@example.com' });
  deps.roster.roster = {
    asOf: ago(3_600_000),
    people: [
      { employeeId: p(targetId, 'E-ada'), userName: 'Ada@Example.com' },
      { employeeId: p(targetId, 'E-fay'), userName: 'fay@example.com' },
      { employeeId: p(targetId, 'E-gus-new'), userName: 'gus@example.com' },
    ],
  };
  return byName;
}

describe('reconciliation: classification', () => {
  it('classifies managed, drift, orphan, accepted and inactive accounts, and records each', async () => {
    target = await startTarget();
    const id = freshId();
    const config = configFor([{ id, baseUrl: target.proxy.url, tier: 'privileged', allowList: ['SVC-BOT'] }]);
    const deps = depsFor(dynamo, config);
    await seedMixed(deps, id);

    const result = await reconcile({}, deps);

    expect(result.outcomes).toEqual([
      expect.objectContaining({
        targetId: id,
        status: 'complete',
        counts: expect.objectContaining({
          accounts: 8,
          managed: 3,
          drift: 2,
          orphan: 1,
          accepted: 1,
          inactive: 1,
          remediated: 2,
          refused: 0,
        }),
      }),
    ]);
    const states = await statesByUser(deps, id);
    expect(Object.fromEntries(Object.entries(states).map(([u, s]) => [u, s.classification]))).toEqual({
      'ada@example.com': 'managed',
      'bob@example.com': 'drift',
      'cyd@example.com': 'drift',
      'dan@example.com': 'inactive',
      'eve@example.com': 'orphan',
      'svc-bot': 'accepted',
      'fay@example.com': 'managed',
      'gus@example.com': 'managed',
    });
    expect(states['ada@example.com']?.personId).toBe(p(id, 'E-ada'));
    expect(states['bob@example.com']?.personId).toBe(p(id, 'E-bob'));
    expect(states['fay@example.com']?.reason).toMatch(/^rehired/);
    expect(states['gus@example.com']?.reason).toMatch(/former holder \(leaver .*E-gus-old\).*E-gus-new/);
    expect(states['ada@example.com']).toMatchObject({
      firstSeen: NOW.toISOString(),
      lastSeen: NOW.toISOString(),
    });
    // The blast-radius guard now knows the target's size.
    expect(await deps.budget.accountCount(id)).toBe(8);
    // The reconciler itself only reads.
    expect(target.proxy.requests.every((r) => r.method === 'GET')).toBe(true);
  });

  it('re-queues drift through the lane without a task token; the lane revokes and verifies it', async () => {
    target = await startTarget();
    const id = freshId();
    const config = configFor([
      { id, baseUrl: target.proxy.url, allowList: ['svc-bot'], removeFromGroups: false },
    ]);
    const deps = depsFor(dynamo, config);
    await seedMixed(deps, id);

    await reconcile({}, deps);

    const sent = deps.queue.drain();
    expect(
      sent.map((s) => [s.targetId, s.message.person.employeeId, s.message.lane.matchValue]).sort(),
    ).toEqual([
      [id, p(id, 'E-bob'), 'bob@example.com'],
      [id, p(id, 'E-cyd'), 'cyd@example.com'],
    ]);
    for (const { message } of sent) {
      expect(message.taskToken).toBeUndefined();
      expect(message.lane).toMatchObject({
        action: 'deactivate',
        matchAttribute: 'userName',
        // The account as listed: the lane writes to it only, never to a new holder of the name.
        accountId: target.app.userByName(message.lane.matchValue)?.id,
        reportOnly: false,
      });
      expect(message.lane.accountId).toEqual(expect.any(String));
      expect(message.dryRun).toBe(false);
    }
    const bobTimeline = await deps.audit.forPerson(p(id, 'E-bob'));
    expect(bobTimeline).toEqual([
      expect.objectContaining({
        step: 'REMEDIATED',
        actor: 'reconciler',
        targetId: id,
        detail: expect.objectContaining({
          kind: 'drift',
          ledger: expect.objectContaining({ outcome: 'revoked' }),
        }),
      }),
    ]);

    // The lane worker takes the messages: the real SCIM client revokes and reads back.
    const secrets = new LocalSecretSource({ values: { token: TOKEN }, env: {} });
    const scimTarget = config.targets[0];
    if (scimTarget?.kind !== 'scim') throw new Error('unreachable');
    for (const { message } of sent) {
      const outcome = await runLane(message, 1, {
        targetId: id,
        scim: scimClientFor(scimTarget, { secretId: 'token', secrets }),
        audit: deps.audit,
        ledger: deps.ledger,
        callback: new RecordingTaskCallback(),
        clock: deps.clock,
        maxAttempts: 3,
        ...recordingFailureChannels(),
      });
      expect(outcome).toMatchObject({ kind: 'done', result: { status: 'revoked' } });
    }
    expect(target.app.userByName('bob@example.com')?.active).toBe(false);
    expect(target.app.userByName('cyd@example.com')?.active).toBe(false);
    expect((await deps.audit.forPerson(p(id, 'E-cyd'))).map((e) => e.step)).toEqual([
      'REMEDIATED',
      'FOUND',
      'WRITE_SENT',
      'DEACTIVATED',
      'VERIFIED',
    ]);

    // The next pass finds them inactive: no drift left, nothing re-queued; first sight is kept.
    deps.clock.advance(DAY);
    const second = await reconcile({}, deps);
    expect(second.outcomes[0]).toMatchObject({
      status: 'complete',
      counts: expect.objectContaining({ drift: 0, inactive: 3, remediated: 0 }),
    });
    expect(deps.queue.sent).toEqual([]);
    const states = await statesByUser(deps, id);
    expect(states['bob@example.com']).toMatchObject({
      classification: 'inactive',
      firstSeen: NOW.toISOString(),
      lastSeen: new Date(NOW.getTime() + DAY).toISOString(),
    });
  });

  it('never writes to a report-only target nor queues for it; drift is reported in the audit log', async () => {
    target = await startTarget();
    const id = freshId();
    const config = configFor([{ id, baseUrl: target.proxy.url, mode: 'report-only' }], {
      reconciliation: { deactivateOrphans: true },
    });
    const deps = depsFor(dynamo, config);
    await seedMixed(deps, id);

    const result = await reconcile({}, deps);

    expect(result.outcomes[0]).toMatchObject({
      status: 'complete',
      reportOnly: true,
      counts: expect.objectContaining({ drift: 2, orphan: 2, remediated: 0 }),
    });
    expect(deps.queue.sent).toEqual([]);
    expect(target.proxy.requests.every((r) => r.method === 'GET')).toBe(true);
    expect(target.app.userByName('bob@example.com')?.active).toBe(true);
    expect((await deps.audit.forPerson(p(id, 'E-bob'))).map((e) => e.step)).toEqual(['REPORTED']);
    // Reported once per change of state, not on every pass.
    await reconcile({}, deps);
    expect((await deps.audit.forPerson(p(id, 'E-bob'))).map((e) => e.step)).toEqual(['REPORTED']);
  });

  it('in a dry run queues nothing and audits what it would have done', async () => {
    target = await startTarget();
    const id = freshId();
    const deps = depsFor(dynamo, configFor([{ id, baseUrl: target.proxy.url }], { dryRun: true }));
    await seedMixed(deps, id);
    await reconcile({}, deps);
    expect(deps.queue.sent).toEqual([]);
    expect(await deps.audit.forPerson(p(id, 'E-bob'))).toEqual([
      expect.objectContaining({
        step: 'DRY_RUN',
        detail: expect.objectContaining({ wouldDo: 'deactivate' }),
      }),
    ]);
  });

  it('deactivates orphans only when configured, and only within the blast-radius limit', async () => {
    target = await startTarget();
    const id = freshId();
    const config = configFor([{ id, baseUrl: target.proxy.url }], {
      reconciliation: { deactivateOrphans: true },
      blastRadius: { maxShare: 0.01, floor: 2, windowMinutes: 60 },
    });
    const deps = depsFor(dynamo, config);
    target.app.seed({
      users: [
        { userName: 'kept@example.com' },
        ...[1, 2, 3, 4, 5].map((i) => ({ userName: `orphan${i}@example.com` })),
      ],
    });
    deps.roster.roster = {
      asOf: ago(60_000),
      people: [{ employeeId: 'E-kept', userName: 'kept@example.com' }],
    };

    const [outcome] = (await reconcile({}, deps)).outcomes;

    expect(outcome?.counts).toMatchObject({ orphan: 5, remediated: 2, refused: 3 });
    expect(deps.queue.sent).toHaveLength(2);
    for (const { message } of deps.queue.sent) {
      expect(message.lane.action).toBe('deactivate');
      expect(message.person.employeeId).toMatch(new RegExp(`^orphan:${id}:`));
    }
    const steps = await Promise.all(
      [...target.app.users.values()]
        .filter((u) => u.userName.startsWith('orphan'))
        .map(async (u) => (await deps.audit.forPerson(`orphan:${id}:${u.id}`)).map((e) => e.step).join()),
    );
    expect(steps.sort()).toEqual(['REFUSED', 'REFUSED', 'REFUSED', 'REMEDIATED', 'REMEDIATED']);
  });

  it('flags orphans without touching them when deactivateOrphans is off (the default)', async () => {
    target = await startTarget();
    const id = freshId();
    const deps = depsFor(dynamo, configFor([{ id, baseUrl: target.proxy.url }]));
    target.app.seed({ users: [{ userName: 'stray@example.com' }] });
    deps.roster.roster = {
      asOf: ago(60_000),
      people: [{ employeeId: 'E-1', userName: 'someone@example.com' }],
    };
    const [outcome] = (await reconcile({}, deps)).outcomes;
    expect(outcome?.counts).toMatchObject({ orphan: 1, remediated: 0, refused: 0 });
    expect(deps.queue.sent).toEqual([]);
  });

  it('matches by email and externalId as the target says: email without case, externalId exactly', async () => {
    target = await startTarget();
    const byEmail = freshId('mail');
    const byExternal = freshId('ext');
    const deps = depsFor(
      dynamo,
      configFor([
        { id: byEmail, baseUrl: target.proxy.url, matchAttribute: 'email' },
        { id: byExternal, baseUrl: target.proxy.url, matchAttribute: 'externalId' },
      ]),
    );
    target.app.seed({
      users: [
        { userName: 'u1', emails: [{ value: 'Second@Example.com' }], externalId: 'EMP-1' },
        { userName: 'u2', emails: [{ value: 'nobody@example.com' }], externalId: 'emp-2' },
      ],
    });
    deps.roster.roster = {
      asOf: ago(60_000),
      people: [
        { employeeId: 'EMP-1', emails: ['first@example.com', 'second@example.com'] },
        { employeeId: 'EMP-2', emails: ['u2@example.com'] },
      ],
    };
    await reconcile({}, deps);
    const mail = await statesByUser(deps, byEmail);
    const ext = await statesByUser(deps, byExternal);
    expect([mail.u1?.classification, mail.u2?.classification]).toEqual(['managed', 'orphan']);
    // externalId falls back to the employee id, compared exactly: "emp-2" is not "EMP-2".
    expect([ext.u1?.classification, ext.u2?.classification]).toEqual(['managed', 'orphan']);
  });

  it('queues the deletion of accounts revoked more than deleteAfterDays ago (deactivate-then-delete)', async () => {
    target = await startTarget();
    const id = freshId();
    const config = configFor([
      { id, baseUrl: target.proxy.url, leaverAction: 'deactivate-then-delete', deleteAfterDays: 30 },
    ]);
    const deps = depsFor(dynamo, config);
    const { users } = target.app.seed({
      users: [
        { userName: 'old@example.com', active: false },
        { userName: 'recent@example.com', active: false },
      ],
    });
    const [old, recent] = users as [StoredUser, StoredUser];
    await deps.ledger.record({
      personId: p(id, 'E-old'),
      targetId: id,
      outcome: 'revoked',
      eventId: 'e1',
      at: ago(31 * DAY),
      accountId: old.id,
      userName: old.userName,
    });
    await deps.ledger.record({
      personId: p(id, 'E-recent'),
      targetId: id,
      outcome: 'revoked',
      eventId: 'e2',
      at: ago(5 * DAY),
      accountId: recent.id,
      userName: recent.userName,
    });

    const [outcome] = (await reconcile({}, deps)).outcomes;

    expect(outcome?.counts).toMatchObject({ inactive: 2, remediated: 1 });
    expect(deps.queue.sent.map((s) => [s.message.person.employeeId, s.message.lane.action])).toEqual([
      [p(id, 'E-old'), 'delete'],
    ]);
    expect(await deps.audit.forPerson(p(id, 'E-old'))).toEqual([
      expect.objectContaining({
        step: 'REMEDIATED',
        detail: expect.objectContaining({ kind: 'deletion', action: 'delete' }),
      }),
    ]);
    const scimTarget = config.targets[0];
    if (scimTarget?.kind !== 'scim') throw new Error('unreachable');
    const lane = await runLane(deps.queue.sent[0]?.message as never, 1, {
      targetId: id,
      scim: scimClientFor(scimTarget, {
        secretId: 'token',
        secrets: new LocalSecretSource({ values: { token: TOKEN }, env: {} }),
      }),
      audit: deps.audit,
      ledger: deps.ledger,
      callback: new RecordingTaskCallback(),
      clock: deps.clock,
      maxAttempts: 3,
      ...recordingFailureChannels(),
    });
    expect(lane).toMatchObject({ kind: 'done', result: { status: 'already-revoked' } });
    expect(target.app.users.has(old.id)).toBe(false);
    expect(target.app.users.has(recent.id)).toBe(true);
  });

  it('forgets accounts the target no longer lists, after a complete pass', async () => {
    target = await startTarget();
    const id = freshId();
    const config = configFor([{ id, baseUrl: target.proxy.url }]);
    const deps = depsFor(dynamo, config);
    const { users } = target.app.seed({
      users: [{ userName: 'a1' }, { userName: 'a2' }, { userName: 'a3' }],
    });
    await reconcile({}, deps);
    const scimTarget = config.targets[0];
    if (scimTarget?.kind !== 'scim') throw new Error('unreachable');
    const client = scimClientFor(scimTarget, {
      secretId: 'token',
      secrets: new LocalSecretSource({ values: { token: TOKEN }, env: {} }),
    });
    await client.delete((users[1] as StoredUser).id);

    const [outcome] = (await reconcile({ sweepBatch: 1 }, deps)).outcomes;

    expect(outcome?.counts).toMatchObject({ accounts: 2, removed: 1 });
    expect(Object.keys(await statesByUser(deps, id)).sort()).toEqual(['a1', 'a3']);
    expect(await deps.budget.accountCount(id)).toBe(2);
  });
});
