// A session target's lane: the lane's own retries, hand-backs, failures, audit and ledger around
// a SessionRevoker, against a fake Okta on loopback and dynalite.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DynamoAuditLog } from '../../../lambdas/aws/adapters/dynamo-audit-log.ts';
import { DynamoLeaverLedger } from '../../../lambdas/aws/adapters/dynamo-state.ts';
import { parseConfig } from '../../../lambdas/core/model/config.ts';
import { type LaneDeps, runLane } from '../../../lambdas/core/revocation/lane.ts';
import type { DeadLetterQueue } from '../../../lambdas/core/revocation/ports.ts';
import { sessionRevokerFor } from '../../../lambdas/core/sessions/revoker.ts';
import { type FakeOkta, startFakeOkta } from '../../../local/fakes/okta.ts';
import { type LocalDynamo, startDynalite } from '../../support/dynalite.ts';
import { InMemorySecretSource } from '../../support/fakes.ts';
import { laneMessage } from '../../support/lane-message.ts';
import { FixedClock, RecordingNotifier } from '../../support/recorders.ts';
import { RecordingTaskCallback } from '../../support/task-callbacks.ts';

const TOKEN = 'lane-okta-token';
let dynamo: LocalDynamo;
let okta: FakeOkta;
beforeAll(async () => {
  [dynamo, okta] = await Promise.all([
    startDynalite(),
    startFakeOkta({
      token: TOKEN,
      users: [
        { id: '00uada', login: 'ada@example.com' },
        { id: '00ugrace', login: 'grace@example.com' },
        { id: '00ukat', login: 'kat@example.com' },
      ],
    }),
  ]);
});
afterAll(async () => {
  await Promise.all([dynamo.close(), okta.close()]);
});

const config = () =>
  parseConfig({
    stackName: 'lane-test',
    sources: [{ id: 'hr', kind: 'generic' }],
    targets: [
      {
        id: 'sso',
        kind: 'session',
        provider: 'okta',
        displayName: 'Okta',
        owner: 'it@example.com',
        baseUrl: okta.url,
      },
    ],
  });

class NoDeadLetters implements DeadLetterQueue {
  parked = 0;
  async park() {
    this.parked += 1;
  }
}

function deps(secret = TOKEN) {
  const target = config().targets[0];
  if (target?.kind !== 'session') throw new Error('unreachable');
  return {
    targetId: 'sso',
    scim: sessionRevokerFor(target, {
      secretId: 'lane-test/targets/sso',
      secrets: new InMemorySecretSource({ 'lane-test/targets/sso': secret }),
      throttleWaitMaxMs: 0,
    }),
    audit: new DynamoAuditLog({ tableName: dynamo.auditTable, client: dynamo.client }),
    ledger: new DynamoLeaverLedger({ tableName: dynamo.stateTable, client: dynamo.client }),
    callback: new RecordingTaskCallback(),
    clock: new FixedClock(new Date('2026-12-02T10:00:00Z')),
    maxAttempts: 3,
    deadLetters: new NoDeadLetters(),
    alerts: new RecordingNotifier(),
    redriveCommand: 'npm run scimitar -- redrive sso',
  } satisfies LaneDeps;
}

const sessionLane = { targetId: 'sso', action: 'revoke-sessions', matchAttribute: 'email' } as const;
const message = (email: string, eventId: string) =>
  laneMessage(email, eventId, { ...sessionLane, matchValue: email });

describe('session lane', () => {
  it('ends the sessions, audits FOUND, WRITE_SENT, SESSIONS_REVOKED and VERIFIED, records the ledger and tells the workflow', async () => {
    const d = deps();
    const outcome = await runLane(message('ada@example.com', 'sess-1'), 1, d);
    expect(outcome).toMatchObject({ kind: 'done', result: { status: 'revoked', accountId: '00uada' } });
    expect(okta.cleared).toEqual([{ userId: '00uada', oauthTokens: true }]);
    const entries = await d.audit.forEvent('sess-1');
    expect(entries.map((e) => e.step)).toEqual(['FOUND', 'WRITE_SENT', 'SESSIONS_REVOKED', 'VERIFIED']);
    expect(entries[1]?.detail).toMatchObject({
      request: 'DELETE /api/v1/users/00uada/sessions?oauthTokens=true',
    });
    expect(entries[3]?.detail).toMatchObject({ verified: { sessionsRevoked: true, checkedBy: 'answer' } });
    expect((await d.ledger.forPerson('E-sess-1'))[0]).toMatchObject({ targetId: 'sso', outcome: 'revoked' });
    expect(d.callback.succeeded).toHaveLength(1);
  });

  it('records no account for a person Okta does not know, and signs nobody out', async () => {
    const before = okta.cleared.length;
    const d = deps();
    const outcome = await runLane(message('nobody@example.com', 'sess-2'), 1, d);
    expect(outcome).toMatchObject({ kind: 'done', result: { status: 'no-account' } });
    expect(okta.cleared).toHaveLength(before);
    expect((await d.audit.forEvent('sess-2')).map((e) => e.step)).toEqual(['NO_ACCOUNT']);
  });

  it('hands a rate-limited revocation back without spending an attempt, then completes it', async () => {
    okta.throttle.next(1, {
      'x-rate-limit-remaining': '0',
      'x-rate-limit-reset': String(Math.floor(Date.now() / 1000) + 2),
    });
    const d = deps();
    const first = await runLane(message('grace@example.com', 'sess-3'), 1, d);
    expect(first).toMatchObject({ kind: 'throttled' });
    expect(okta.cleared.some((c) => c.userId === '00ugrace')).toBe(false);
    const second = await runLane(message('grace@example.com', 'sess-3'), 1, d);
    expect(second).toMatchObject({ kind: 'done', result: { status: 'revoked' } });
    expect((await d.audit.forEvent('sess-3')).map((e) => e.step)).toContain('THROTTLED');
  });

  it('fails a revocation with a refused credential at once, telling the workflow, and signs nobody out', async () => {
    const d = deps('revoked-token');
    const outcome = await runLane(message('kat@example.com', 'sess-4'), 1, d);
    expect(outcome).toMatchObject({ kind: 'failed', error: 'ScimCredentialError', toDeadLetter: false });
    expect(d.callback.failed).toHaveLength(1);
    expect(okta.cleared.some((c) => c.userId === '00ukat')).toBe(false);
    const failed = (await d.audit.forEvent('sess-4')).find((e) => e.step === 'FAILED');
    expect(JSON.stringify(failed)).not.toContain('revoked-token');
  });
});
