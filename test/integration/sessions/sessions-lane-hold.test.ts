// A session target's lane and the checks before its write (docs/sessions.md, "What each lane does":
// "a rescinded termination writes nothing; the blast-radius guard spends a unit"): a rescind that
// lands after the find signs nobody out, and the guard holds the revocation past its limit. A fake
// Okta on loopback behind the fault-injecting proxy, the real lane and revoker, state on dynalite.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { DynamoAuditLog } from '../../../lambdas/aws/adapters/dynamo-audit-log.ts';
import { DynamoLeaverLedger, DynamoRevocationBudget } from '../../../lambdas/aws/adapters/dynamo-state.ts';
import type { PendingTermination } from '../../../lambdas/core/lifecycle/ports.ts';
import { parseConfig } from '../../../lambdas/core/model/config.ts';
import type { LaneMessage } from '../../../lambdas/core/model/messages.ts';
import { type LaneDeps, runLane } from '../../../lambdas/core/revocation/lane.ts';
import { sessionRevokerFor } from '../../../lambdas/core/sessions/revoker.ts';
import { type FakeOkta, type FakeOktaUser, startFakeOkta } from '../../../local/fakes/okta.ts';
import { type LocalDynamo, startDynalite } from '../../support/dynalite.ts';
import { InMemorySecretSource } from '../../support/fakes.ts';
import { type FaultyScim, startFaultyScim } from '../../support/faulty-scim.ts';
import { laneMessage } from '../../support/lane-message.ts';
import { InMemoryPendingTerminations } from '../../support/lifecycle.ts';
import { FixedClock, RecordingDeadLetterQueue, RecordingNotifier } from '../../support/recorders.ts';
import { RecordingTaskCallback } from '../../support/task-callbacks.ts';

const TOKEN = 'hold-okta-token';
const NOW = new Date('2026-12-03T10:00:00Z');
const users: FakeOktaUser[] = [];
let dynamo: LocalDynamo;
let okta: FakeOkta;
let proxy: FaultyScim;
beforeAll(async () => {
  [dynamo, okta] = await Promise.all([startDynalite(), startFakeOkta({ token: TOKEN, users })]);
  proxy = await startFaultyScim(okta.url);
});
afterAll(async () => {
  await proxy.close();
  await Promise.all([dynamo.close(), okta.close()]);
});

let seq = 0;
/** A fresh target id per test: its own blast-radius window. */
let targetId: string;
let terminations: InMemoryPendingTerminations;
beforeEach(() => {
  proxy.reset();
  seq += 1;
  targetId = `sso-${seq}`;
  terminations = new InMemoryPendingTerminations();
});

function deps() {
  const config = parseConfig({
    stackName: 'hold-test',
    sources: [{ id: 'hr', kind: 'generic' }],
    blastRadius: { maxShare: 0.1, windowMinutes: 60, floor: 1 },
    targets: [
      {
        id: targetId,
        kind: 'session',
        provider: 'okta',
        displayName: 'Okta',
        owner: 'it@example.com',
        baseUrl: proxy.url,
      },
    ],
  });
  const target = config.targets[0];
  if (target?.kind !== 'session') throw new Error('unreachable');
  return {
    targetId,
    scim: sessionRevokerFor(target, {
      secretId: 'hold-test/targets/sso',
      secrets: new InMemorySecretSource({ 'hold-test/targets/sso': TOKEN }),
      throttleWaitMaxMs: 0,
    }),
    audit: new DynamoAuditLog({ tableName: dynamo.auditTable, client: dynamo.client }),
    ledger: new DynamoLeaverLedger({ tableName: dynamo.stateTable, client: dynamo.client }),
    callback: new RecordingTaskCallback(),
    clock: new FixedClock(NOW),
    maxAttempts: 3,
    deadLetters: new RecordingDeadLetterQueue(),
    alerts: new RecordingNotifier(),
    redriveCommand: `npm run scimitar -- redrive ${targetId}`,
    terminations,
    blastRadius: {
      config,
      budget: new DynamoRevocationBudget({ tableName: dynamo.stateTable, client: dynamo.client }),
    },
  } satisfies LaneDeps;
}

function leaver(name: string): { user: FakeOktaUser; message: LaneMessage } {
  const user = { id: `00u${name}${seq}`, login: `${name}${seq}@example.com` };
  users.push(user);
  const message = laneMessage(user.login, `hold-${name}-${seq}`, {
    targetId,
    action: 'revoke-sessions',
    matchAttribute: 'email',
    matchValue: user.login,
  });
  return { user, message };
}

/** The message's person's pending termination: this event's, started by its plan. */
function started(message: LaneMessage): PendingTermination {
  const record: PendingTermination = {
    personId: message.person.employeeId,
    eventId: message.eventId,
    source: 'generic',
    executionName: 'x',
    effectiveAt: NOW.toISOString(),
    startAt: NOW.toISOString(),
    terminationType: 'voluntary',
    status: 'started',
    startedAt: NOW.toISOString(),
    version: 1,
  };
  terminations.records.set(message.person.employeeId, record);
  return record;
}

const cleared = (user: FakeOktaUser) => okta.cleared.some((c) => c.userId === user.id);

describe('session lane: the checks before the write', () => {
  it('signs nobody out when the termination is rescinded after the find, and audits CANCELLED naming the rescind', async () => {
    const { user, message } = leaver('rescinded');
    const record = started(message);
    // The rescind lands while Okta answers the find.
    proxy.inject(
      { kind: 'headers', headers: {} },
      {
        when: (r) => {
          if (r.method !== 'GET') return false;
          terminations.records.set(message.person.employeeId, {
            ...record,
            status: 'cancelled',
            cancelledAt: NOW.toISOString(),
            cancelledBy: { eventId: 'rescind-9', kind: 'rescind' },
            version: 2,
          });
          return true;
        },
      },
    );
    const d = deps();
    const outcome = await runLane(message, 1, d);

    expect(outcome).toMatchObject({ kind: 'done', result: { status: 'cancelled' } });
    expect(proxy.requests.map((r) => r.method)).toEqual(['GET']);
    expect(cleared(user)).toBe(false);
    const entries = await d.audit.forEvent(message.eventId);
    expect(entries.map((e) => e.step)).toEqual(['CANCELLED']);
    expect(String(entries[0]?.detail?.reason)).toContain('rescind-9');
  });

  it('spends a unit of the blast-radius guard per revocation, and holds the one past the limit, signing nobody out', async () => {
    const first = leaver('first');
    const second = leaver('second');
    expect(await runLane(first.message, 1, deps())).toMatchObject({ result: { status: 'revoked' } });
    expect(cleared(first.user)).toBe(true);

    const d = deps();
    expect(await runLane(second.message, 1, d)).toMatchObject({
      kind: 'done',
      result: { status: 'refused' },
    });
    expect(cleared(second.user)).toBe(false);
    expect(proxy.requests.filter((r) => r.method === 'DELETE')).toHaveLength(1);
    const entries = await d.audit.forEvent(second.message.eventId);
    expect(entries.map((e) => e.step)).toEqual(['REFUSED']);
    expect(entries[0]?.detail?.reason).toContain(`npm run scimitar -- approve ${second.message.eventId}`);
  });
});
