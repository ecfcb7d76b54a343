// A mover's lane at a target built for Entra provisioning (preset 'entra': patchStyle 'entra',
// filter 'eq-only'), as docs/entitlements.md ("What a mover's lane does", steps 4 and 5) says:
// each removal is Entra's `{"op":"Remove","path":"members","value":[{"value":"<id>"}]}` and each
// add `{"op":"Add",...}`, one PATCH per group. The client is the one the worker builds from the
// config (scimClientFor); the server is the demo SCIM application on loopback (it takes op names in
// any case, so the bodies it received are asserted, not only the memberships); state on dynalite.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DynamoAuditLog } from '../../../lambdas/aws/adapters/dynamo-audit-log.ts';
import { DynamoLeaverLedger } from '../../../lambdas/aws/adapters/dynamo-state.ts';
import { parseConfig, type ScimTargetConfig } from '../../../lambdas/core/model/config.ts';
import { type LaneDeps, runLane } from '../../../lambdas/core/revocation/lane.ts';
import { PATCH_OP_SCHEMA } from '../../../lambdas/core/scim/index.ts';
import { scimClientFor } from '../../../lambdas/core/targets/target-client.ts';
import { type LocalDynamo, startDynalite } from '../../support/dynalite.ts';
import { InMemorySecretSource } from '../../support/fakes.ts';
import { laneMessage } from '../../support/lane-message.ts';
import { FixedClock, RecordingDeadLetterQueue, RecordingNotifier } from '../../support/recorders.ts';
import { type ScimTarget, startTarget, TOKEN } from '../../support/scim-target.ts';
import { RecordingTaskCallback } from '../../support/task-callbacks.ts';

const MOVER = 'mover@example.com';
let dynamo: LocalDynamo;
let target: ScimTarget;
beforeAll(async () => {
  [dynamo, target] = await Promise.all([startDynalite(), startTarget()]);
  target.app.seed({
    users: [{ userName: MOVER }, { userName: 'stayer@example.com' }],
    groups: [
      { displayName: 'engineering', members: [MOVER, 'stayer@example.com'] },
      { displayName: 'sales', members: [] },
      { displayName: 'book-club', members: [MOVER] },
    ],
  });
});
afterAll(async () => {
  await Promise.all([dynamo.close(), target.close()]);
});

function entraTarget(): ScimTargetConfig {
  const config = parseConfig({
    stackName: 'movers-entra',
    sources: [{ id: 'hr', kind: 'generic' }],
    targets: [
      {
        id: 'app',
        kind: 'scim',
        displayName: 'Built for Entra provisioning',
        owner: 'it@example.com',
        preset: 'entra',
        baseUrl: target.proxy.url,
        entitlements: {
          managedGroups: ['engineering', 'sales'],
          rules: [
            { group: 'engineering', when: { department: 'Engineering' } },
            { group: 'sales', when: { department: 'Sales' } },
          ],
          addGranted: true,
        },
      },
    ],
  });
  const t = config.targets[0];
  if (t?.kind !== 'scim') throw new Error('unreachable');
  return t;
}

describe('lane: a mover at a target built for Entra provisioning', () => {
  it("removes with Entra's Remove form and adds with its Add form, one PATCH per group, and verifies", async () => {
    const config = entraTarget();
    expect(config.quirks).toMatchObject({ patchStyle: 'entra', filter: 'eq-only' });
    const d = {
      targetId: 'app',
      scim: scimClientFor(config, {
        secretId: 'movers-entra/targets/app',
        secrets: new InMemorySecretSource({ 'movers-entra/targets/app': TOKEN }),
        timeoutMs: 2_000,
      }),
      audit: new DynamoAuditLog({ tableName: dynamo.auditTable, client: dynamo.client }),
      ledger: new DynamoLeaverLedger({ tableName: dynamo.stateTable, client: dynamo.client }),
      callback: new RecordingTaskCallback(),
      clock: new FixedClock(new Date('2026-12-03T10:00:00Z')),
      maxAttempts: 3,
      deadLetters: new RecordingDeadLetterQueue(),
      alerts: new RecordingNotifier(),
      redriveCommand: 'npm run scimitar -- redrive app',
      ...(config.entitlements && { entitlements: config.entitlements }),
    } satisfies LaneDeps;
    const base = laneMessage(MOVER, 'mover-entra-1', { action: 'entitlements' });
    const msg = { ...base, person: { ...base.person, attributes: { department: 'Sales' } } };

    const outcome = await runLane(msg, 1, d);

    expect(outcome).toMatchObject({ kind: 'done', result: { status: 'updated' } });
    const id = target.app.userByName(MOVER)?.id;
    const groupId = (name: string) => [...target.app.groups.values()].find((g) => g.displayName === name)?.id;
    const patches = target.app.requests.filter((r) => r.method === 'PATCH');
    expect(patches).toEqual([
      {
        method: 'PATCH',
        path: `/Groups/${groupId('engineering')}`,
        body: {
          schemas: [PATCH_OP_SCHEMA],
          Operations: [{ op: 'Remove', path: 'members', value: [{ value: id }] }],
        },
      },
      {
        method: 'PATCH',
        path: `/Groups/${groupId('sales')}`,
        body: {
          schemas: [PATCH_OP_SCHEMA],
          Operations: [{ op: 'Add', path: 'members', value: [{ value: id }] }],
        },
      },
    ]);
    const memberNames = (name: string) =>
      [...target.app.groups.values()]
        .find((g) => g.displayName === name)
        ?.members.map((m) => target.app.users.get(m.value)?.userName)
        .sort();
    expect(memberNames('engineering')).toEqual(['stayer@example.com']);
    expect(memberNames('sales')).toEqual([MOVER]);
    expect(memberNames('book-club')).toEqual([MOVER]);
    const verified = (await d.audit.forEvent(msg.eventId)).find((e) => e.step === 'ENTITLEMENTS_VERIFIED');
    expect(verified?.detail).toMatchObject({
      removed: ['engineering'],
      added: ['sales'],
      after: ['sales'],
      readFrom: 'group-filter',
    });
  });
});
