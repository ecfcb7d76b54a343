// How long a queued remediation counts as waiting is the lanes' retention the stack tells the
// reconciler (LANE_QUEUE_RETENTION_SECONDS), read by its wiring: here one day, not the default four.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { reconcileDeps } from '../../../lambdas/aws/wiring/reconcile.ts';
import { reconcile, type TargetOutcome } from '../../../lambdas/core/reconcile/reconcile.ts';
import { scimClientFor } from '../../../lambdas/core/targets/target-client.ts';
import { LocalSecretSource } from '../../../local/secrets.ts';
import { type LocalDynamo, startDynalite } from '../../support/dynalite.ts';
import { RecordingLaneQueue } from '../../support/reconcile.ts';
import { type ScimTarget, startTarget, TOKEN } from '../../support/scim-target.ts';
import { ago, configFor, DAY, depsFor, freshId, seedPlaced } from './world.ts';

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

const secrets = new LocalSecretSource({ values: { token: TOKEN }, env: {} });
const tables = () => ({ STATE_TABLE: dynamo.stateTable, AUDIT_TABLE: dynamo.auditTable });

describe("reconciliation: the lanes' retention the stack gives decides when a remediation is queued again", () => {
  it('queues drift and entitlement drift again once a retention of one day has passed, not four', async () => {
    const app = await startTarget();
    target = app;
    const id = freshId('ret');
    const config = configFor(
      [
        {
          id,
          baseUrl: app.proxy.url,
          entitlements: {
            managedGroups: ['eng'],
            rules: [{ group: 'eng', when: { department: 'Engineering' } }],
            removeDrift: true,
          },
        },
      ],
      { blastRadius: { floor: 100, maxShare: 1, windowMinutes: 60 } },
    );
    const test = depsFor(dynamo, config);
    // gone@ belongs to a leaver; mover@ is in `eng`, which Sales is not granted.
    await seedPlaced(test, app.app, id, ['gone@example.com', 'mover@example.com'], (i) =>
      i === 0 ? 'leaver' : 'person',
    );
    app.app.seed({ groups: [{ displayName: 'eng', members: ['mover@example.com'] }] });
    test.roster.roster = {
      asOf: ago(60_000),
      people: [{ employeeId: 'E-mover', userName: 'mover@example.com', attributes: { department: 'Sales' } }],
    };
    // The reconciler as its Lambda entry wires it, from the environment the stack sets.
    const deps = reconcileDeps({
      config: test.config,
      env: { ...tables(), LANE_QUEUE_RETENTION_SECONDS: String(DAY / 1000) },
      secrets,
      clock: test.clock,
      dynamo: dynamo.client,
      roster: test.roster,
      queue: test.queue,
      scim: (t) => scimClientFor(t, { secretId: 'token', secrets, timeoutMs: 2_000 }),
    });
    const pass = async (): Promise<TargetOutcome> => {
      const [outcome] = (await reconcile({}, deps)).outcomes;
      if (outcome?.status !== 'complete') throw new Error(`pass ${outcome?.status}: ${outcome?.error}`);
      return outcome;
    };

    const first = await pass();
    expect(first.counts).toMatchObject({ drift: 1, remediated: 1 });
    expect(first.entitlements).toMatchObject({ queued: 1 });
    expect(test.queue.drain()).toHaveLength(2);

    test.clock.advance(DAY - 60_000);
    const waiting = await pass();
    expect(waiting.counts).toMatchObject({ remediated: 0, alreadyQueued: 2 });
    expect(test.queue.drain()).toEqual([]);

    test.clock.advance(60_000);
    const due = await pass();
    expect(due.counts).toMatchObject({ drift: 1, remediated: 1, alreadyQueued: 0 });
    expect(due.entitlements).toMatchObject({ queued: 1, alreadyQueued: 0 });
    expect(test.queue.drain().map(({ message }) => message.lane.action)).toEqual([
      'deactivate',
      'entitlements',
    ]);
  });

  it('refuses a retention that is not a whole number of seconds, and takes the default without one', () => {
    const wiring = {
      config: configFor([{ id: 'crm', baseUrl: 'http://127.0.0.1:9/scim' }]),
      secrets,
      clock: { now: () => new Date() },
      queue: new RecordingLaneQueue(),
    };
    expect(() =>
      reconcileDeps({ ...wiring, env: { ...tables(), LANE_QUEUE_RETENTION_SECONDS: '4 days' } }),
    ).toThrow(
      'environment variable LANE_QUEUE_RETENTION_SECONDS is "4 days": a whole number of seconds above 0 is allowed',
    );
    expect(() =>
      reconcileDeps({ ...wiring, env: { ...tables(), LANE_QUEUE_RETENTION_SECONDS: '0' } }),
    ).toThrow('LANE_QUEUE_RETENTION_SECONDS is "0"');
    expect(reconcileDeps({ ...wiring, env: tables() }).laneQueueRetentionMs).toBeUndefined();
  });
});
