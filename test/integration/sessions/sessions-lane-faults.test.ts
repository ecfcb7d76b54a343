// A session target's lane when the provider misbehaves (docs/sessions.md, "What each lane does"):
// the user deleted between the find and the revoking call (404: done), and a 5xx or a timeout on
// the revoking call (retried through the queue, every attempt audited, the last one failed to the
// workflow and the dead-letter queue). A fake Okta on loopback behind the fault-injecting proxy,
// the real lane, revoker, audit log and ledger on dynalite.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { DynamoAuditLog } from '../../../lambdas/aws/adapters/dynamo-audit-log.ts';
import { DynamoLeaverLedger } from '../../../lambdas/aws/adapters/dynamo-state.ts';
import { parseConfig } from '../../../lambdas/core/model/config.ts';
import { type LaneDeps, runLane } from '../../../lambdas/core/revocation/lane.ts';
import { sessionRevokerFor } from '../../../lambdas/core/sessions/revoker.ts';
import { type FakeOkta, type FakeOktaUser, startFakeOkta } from '../../../local/fakes/okta.ts';
import { type LocalDynamo, startDynalite } from '../../support/dynalite.ts';
import { InMemorySecretSource } from '../../support/fakes.ts';
import { type FaultyScim, startFaultyScim } from '../../support/faulty-scim.ts';
import { laneMessage } from '../../support/lane-message.ts';
import { FixedClock, RecordingDeadLetterQueue, RecordingNotifier } from '../../support/recorders.ts';
import { RecordingTaskCallback } from '../../support/task-callbacks.ts';

const TOKEN = 'faults-okta-token';
/** The org's users: the tests delete one from it, as an Okta admin would. */
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
/** A fresh Okta user and the lane message that revokes their sessions. */
function leaver() {
  seq += 1;
  const user = { id: `00ufault${seq}`, login: `fault${seq}@example.com` };
  users.push(user);
  const eventId = `sess-fault-${seq}`;
  const message = laneMessage(
    user.login,
    eventId,
    { targetId: 'sso', action: 'revoke-sessions', matchAttribute: 'email', matchValue: user.login },
    {},
  );
  return { user, eventId, message };
}
beforeEach(() => proxy.reset());

function deps(timeoutMs = 2_000) {
  const target = parseConfig({
    stackName: 'faults-test',
    sources: [{ id: 'hr', kind: 'generic' }],
    targets: [
      {
        id: 'sso',
        kind: 'session',
        provider: 'okta',
        displayName: 'Okta',
        owner: 'it@example.com',
        baseUrl: proxy.url,
      },
    ],
  }).targets[0];
  if (target?.kind !== 'session') throw new Error('unreachable');
  return {
    targetId: 'sso',
    scim: sessionRevokerFor(target, {
      secretId: 'faults-test/targets/sso',
      secrets: new InMemorySecretSource({ 'faults-test/targets/sso': TOKEN }),
      throttleWaitMaxMs: 0,
      timeoutMs,
    }),
    audit: new DynamoAuditLog({ tableName: dynamo.auditTable, client: dynamo.client }),
    ledger: new DynamoLeaverLedger({ tableName: dynamo.stateTable, client: dynamo.client }),
    callback: new RecordingTaskCallback(),
    clock: new FixedClock(new Date('2026-12-03T10:00:00Z')),
    maxAttempts: 3,
    deadLetters: new RecordingDeadLetterQueue(),
    alerts: new RecordingNotifier(),
    redriveCommand: 'npm run scimitar -- redrive sso',
  } satisfies LaneDeps;
}

const isRevoke = (r: { method: string; url: string }) => r.method === 'DELETE' && r.url.includes('/sessions');
const clearedFor = (id: string) => okta.cleared.filter((c) => c.userId === id);

describe('session lane: the user is deleted between the find and the revoking call', () => {
  it('counts the 404 on the revoking call as done: verified by that answer, ledger revoked, the workflow told success', async () => {
    const { user, eventId, message } = leaver();
    // An Okta admin deletes the user just as scimitar's DELETE arrives: Okta itself answers 404.
    proxy.inject(
      { kind: 'headers', headers: {} },
      {
        when: (r) => {
          if (!isRevoke(r)) return false;
          users.splice(users.indexOf(user), 1);
          return true;
        },
      },
    );
    const d = deps();
    const outcome = await runLane(message, 1, d);

    expect(proxy.requests.map((r) => `${r.method} ${r.url}`)).toEqual([
      `GET /api/v1/users/${encodeURIComponent(user.login)}`,
      `DELETE /api/v1/users/${user.id}/sessions?oauthTokens=true`,
    ]);
    expect(okta.requests.at(-1)).toBe(`DELETE /api/v1/users/${user.id}/sessions?oauthTokens=true`);
    expect(clearedFor(user.id)).toEqual([]);
    expect(outcome).toMatchObject({
      kind: 'done',
      result: { targetId: 'sso', status: 'already-revoked', accountId: user.id },
    });
    expect(d.callback.succeeded).toHaveLength(1);
    expect(d.callback.failed).toEqual([]);
    const entries = await d.audit.forEvent(eventId);
    expect(entries.map((e) => e.step)).toEqual(['FOUND', 'WRITE_SENT', 'SESSIONS_REVOKED', 'VERIFIED']);
    // First-hand: this attempt's own DELETE was answered 404; no earlier write's answer was lost.
    expect(entries[2]?.detail).toMatchObject({ accountId: user.id, alreadyGone: true });
    expect(entries.some((e) => e.detail?.answerLost !== undefined)).toBe(false);
    expect(entries[3]?.detail).toMatchObject({
      outcome: 'already-revoked',
      verified: { sessionsRevoked: true, checkedBy: 'answer' },
      requests: [
        { method: 'GET', status: 200 },
        { method: 'DELETE', status: 404 },
      ],
    });
    expect((await d.ledger.forPerson(message.person.employeeId))[0]).toMatchObject({
      targetId: 'sso',
      outcome: 'revoked',
      accountId: user.id,
    });
  });
});

describe('session lane: the provider fails the revoking call (5xx, timeout)', () => {
  it('retries a 500 through the queue, auditing it, and ends the sessions on the next attempt', async () => {
    const { user, eventId, message } = leaver();
    proxy.inject({ kind: 'status', status: 500, body: '{"errorCode":"E0000009"}' }, { when: isRevoke });
    const d = deps();

    const first = await runLane(message, 1, d);
    expect(first).toMatchObject({ kind: 'retry' });
    expect((first as { delaySeconds: number }).delaySeconds).toBeGreaterThan(0);
    expect(clearedFor(user.id)).toEqual([]);
    expect(d.callback.succeeded).toEqual([]);
    expect(d.callback.failed).toEqual([]);

    const second = await runLane(message, 2, d);
    expect(second).toMatchObject({
      kind: 'done',
      result: { status: 'revoked', accountId: user.id, attempts: 2 },
    });
    expect(clearedFor(user.id)).toEqual([{ userId: user.id, oauthTokens: true }]);
    expect(d.callback.succeeded).toHaveLength(1);
    const entries = await d.audit.forEvent(eventId);
    expect(entries.map((e) => `${e.step}:${e.detail?.attempt}`)).toEqual([
      'FOUND:1',
      'WRITE_SENT:1',
      'RETRY:1',
      'FOUND:2',
      'WRITE_SENT:2',
      'SESSIONS_REVOKED:2',
      'VERIFIED:2',
    ]);
    expect(entries[2]?.detail).toMatchObject({
      error: 'ScimRetryableError',
      retryable: true,
      status: 500,
      request: `DELETE /api/v1/users/${user.id}/sessions?oauthTokens=true`,
    });
  });

  it('retries a revoking call that times out', async () => {
    const { user, eventId, message } = leaver();
    // The DELETE is applied, its answer held past the client's 300 ms timeout.
    proxy.inject({ kind: 'slow', delayMs: 1_500 }, { when: isRevoke });
    const d = deps(300);
    expect(await runLane(message, 1, d)).toMatchObject({ kind: 'retry' });
    const retry = (await d.audit.forEvent(eventId)).find((e) => e.step === 'RETRY');
    expect(retry?.detail).toMatchObject({ error: 'ScimRetryableError', retryable: true });
    expect(await runLane(message, 2, d)).toMatchObject({ kind: 'done', result: { accountId: user.id } });
    expect(d.callback.succeeded).toHaveLength(1);
  });

  it('loses no attempt silently: a 5xx on every attempt is audited each time, then failed to the workflow and the dead-letter queue', async () => {
    const { user, eventId, message } = leaver();
    proxy.inject({ kind: 'status', status: 502 }, { when: isRevoke, times: 3 });
    const d = deps();
    const outcomes = [];
    for (const attempt of [1, 2, 3]) outcomes.push(await runLane(message, attempt, d));

    expect(outcomes.map((o) => o.kind)).toEqual(['retry', 'retry', 'failed']);
    expect(outcomes[2]).toMatchObject({ kind: 'failed', toDeadLetter: true, error: 'ScimRetryableError' });
    expect(clearedFor(user.id)).toEqual([]);
    expect(proxy.requests.filter(isRevoke).map((r) => r.handling)).toEqual(['status', 'status', 'status']);
    expect(d.callback.failed).toHaveLength(1);
    expect(d.callback.succeeded).toEqual([]);
    const steps = (await d.audit.forEvent(eventId)).map((e) => `${e.step}:${e.detail?.attempt}`);
    expect(steps.filter((s) => /^(RETRY|FAILED|DLQ)/.test(s))).toEqual([
      'RETRY:1',
      'RETRY:2',
      'FAILED:3',
      'DLQ:3',
    ]);
    expect((await d.ledger.forPerson(message.person.employeeId))[0]).toMatchObject({
      targetId: 'sso',
      outcome: 'failed',
    });
  });
});
