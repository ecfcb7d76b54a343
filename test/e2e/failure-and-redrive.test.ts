import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { targetSecretName } from '../../lambdas/core/model/config.ts';
import type { LocalRuntime } from '../../local/runtime.ts';
import { start as startScimApp } from '../../local/scim-app.ts';
import { executionNote, targetStates } from '../../local/timeline.ts';
import sample from '../../scimitar.config.ts';
import { endedExecution, steps as stepsOf } from '../support/events.ts';
import { eventually } from '../support/eventually.ts';
import { postSigned, startTestRuntime, terminationOf, testConfig } from '../support/local-runtime.ts';

let runtime: LocalRuntime & { lines: string[] };
beforeAll(async () => {
  runtime = await startTestRuntime({
    config: testConfig({
      maxAttempts: 2,
      targets: sample.targets.filter((t) => t.id === 'code' || t.id === 'chat'),
    }),
    scimTimeoutMs: 1_000,
  });
});
afterAll(async () => runtime?.stop());

describe('local pipeline: a target that is down', () => {
  it('retries, dead-letters, fails the execution and alarms; after recovery a redrive revokes and records it', async () => {
    const lane = runtime.lanes.get('code');
    const app = lane?.app;
    if (!lane || !app) throw new Error('no demo app for code');
    const person = runtime.people.find((p) => app.userByName(p.userName)?.active);
    if (!person) throw new Error('no active person in code');
    const port = Number(new URL(app.url).port);
    await app.close();

    const body = terminationOf(person);
    expect((await postSigned(runtime, body)).status).toBe(202);
    const { eventId } = JSON.parse(body) as { eventId: string };

    // The other target is not held up by the one that is down.
    await eventually('chat verified', async () =>
      (await runtime.audit.forEvent(eventId)).some((e) => e.step === 'VERIFIED' && e.targetId === 'chat'),
    );
    // code's first attempt failed; its retry waits out the lane's backoff on the runtime's clock.
    await eventually('a retry of code', async () =>
      stepsOf(await runtime.audit.forEvent(eventId)).includes('RETRY:code'),
    );
    await runtime.clock.advance('10m');

    const execution = await endedExecution(runtime, eventId);
    expect(execution.status).toBe('FAILED');
    expect(execution.error).toBe('RevocationPartial');
    const steps = stepsOf(await runtime.audit.forEvent(eventId));
    expect(steps).toContain('RETRY:code');
    expect(steps).toContain('FAILED:code');
    expect(steps).toContain('DLQ:code');
    expect(steps.at(-1)).toBe('PARTIAL');
    await eventually("one message in code's DLQ", async () => (await runtime.deadLetters('code')) === 1);
    await eventually('the DLQ alarm of code', () =>
      runtime.alerts.sent.some((a) => a.subject.includes('dead-letter queue of target code')),
    );
    expect(runtime.alerts.sent.some((a) => a.subject.startsWith('ALARM: scimitar execution failed'))).toBe(
      true,
    );
    expect(runtime.alerts.sent.some((a) => a.message.includes('code'))).toBe(true);
    expect(
      (await runtime.ledger.forPerson(person.employeeId)).find((l) => l.targetId === 'code')?.outcome,
    ).toBe('failed');

    // Recovery: the application is back (same port, same token, the account still active).
    const secrets = JSON.parse(readFileSync(join(runtime.dataDir, 'secrets.json'), 'utf8')) as Record<
      string,
      string
    >;
    const target = runtime.config.targets.find((t) => t.id === 'code');
    if (!target) throw new Error('no code target');
    const revived = await startScimApp({ tokens: [secrets[targetSecretName(target)] ?? ''], port });
    try {
      revived.seed({ users: [{ userName: person.userName, externalId: person.employeeId }] });
      expect(await runtime.redrive('code')).toBe(1);
      await eventually(
        'the account deactivated in the revived app',
        () => revived.userByName(person.userName)?.active === false,
      );
      await eventually('the REDRIVEN entry', async () =>
        (await runtime.audit.forEvent(eventId)).some((e) => e.step === 'REDRIVEN'),
      );
      const after = stepsOf(await runtime.audit.forEvent(eventId));
      expect(after.slice(after.indexOf('PARTIAL'))).toEqual(
        expect.arrayContaining(['FOUND:code', 'DEACTIVATED:code', 'VERIFIED:code', 'REDRIVEN:code']),
      );
      await eventually('the ledger to record code revoked', async () =>
        (await runtime.ledger.forPerson(person.employeeId)).find(
          (l) => l.targetId === 'code' && l.outcome === 'revoked',
        ),
      );
      expect(await runtime.deadLetters('code')).toBe(0);
      // `status` explains the FAILED execution beside the ✔ the redrive brought.
      const audit = await runtime.audit.forEvent(eventId);
      expect(targetStates(audit).find((v) => v.targetId === 'code')?.state).toBe('revoked (verified)');
      expect(executionNote(execution, audit)).toContain('the execution failed before the redrive');
    } finally {
      await revived.close();
    }
  });

  it('parks a redriven message that fails permanently back in the DLQ, alerts naming the leaver, and a later redrive completes it', async () => {
    // Issue 10: the target is back with a new token, but the redrive runs before the secret is updated.
    const lane = runtime.lanes.get('code');
    const target = runtime.config.targets.find((t) => t.id === 'code');
    if (!lane || !target || lane.target.kind !== 'scim') throw new Error('no SCIM lane for code');
    const port = Number(new URL(lane.target.baseUrl).port);
    const person = runtime.people.at(-1);
    if (!person) throw new Error('no demo people');
    // The target is down (the first test closed it): the leaver's message reaches the DLQ.
    const body = terminationOf(person);
    expect((await postSigned(runtime, body)).status).toBe(202);
    const { eventId } = JSON.parse(body) as { eventId: string };
    await eventually('a retry of code', async () =>
      stepsOf(await runtime.audit.forEvent(eventId)).includes('RETRY:code'),
    );
    await runtime.clock.advance('10m');
    await eventually('the PARTIAL summary', async () =>
      (await runtime.audit.forEvent(eventId)).some((e) => e.step === 'PARTIAL'),
    );
    await eventually("one message in code's DLQ", async () => (await runtime.deadLetters('code')) === 1);

    const secretsFile = join(runtime.dataDir, 'secrets.json');
    const secrets = JSON.parse(readFileSync(secretsFile, 'utf8')) as Record<string, string>;
    const newToken = 'demo_rotated_while_the_target_was_down';
    const revived = await startScimApp({ tokens: [newToken], port });
    try {
      revived.seed({ users: [{ userName: person.userName, externalId: person.employeeId }] });
      const alertsBefore = runtime.alerts.sent.length;
      expect(await runtime.redrive('code')).toBe(1);

      // 401 with the old token (re-read once): permanent. No execution waits, so the message goes
      // back to the DLQ, whose alarm fires, and the alert names the leaver, the reason and the retry.
      await eventually('the redriven message parked in the DLQ', async () =>
        (await runtime.audit.forEvent(eventId)).some(
          (e) => e.step === 'DLQ' && e.targetId === 'code' && e.detail?.parked === true,
        ),
      );
      await eventually(
        "one message in code's DLQ again",
        async () => (await runtime.deadLetters('code')) === 1,
      );
      const alert = await eventually('the alert naming the leaver', () =>
        runtime.alerts.sent
          .slice(alertsBefore)
          .find((a) => a.subject.includes(`revocation of ${person.employeeId} at code failed`)),
      );
      expect(alert.message).toContain('ScimCredentialError');
      expect(alert.message).toContain('npm run scimitar -- redrive code');
      expect(alert.message).not.toContain(newToken);
      expect(alert.message).not.toContain(secrets[targetSecretName(target)] ?? '(no token)');
      expect(revived.userByName(person.userName)?.active).toBe(true);
      const failed = (await runtime.audit.forEvent(eventId)).filter(
        (e) => e.step === 'FAILED' && e.targetId === 'code',
      );
      expect(failed.at(-1)?.detail).toMatchObject({ error: 'ScimCredentialError', status: 401 });

      // The secret updated, a second redrive finds the message and completes the revocation.
      writeFileSync(secretsFile, JSON.stringify({ ...secrets, [targetSecretName(target)]: newToken }));
      expect(await runtime.redrive('code')).toBe(1);
      await eventually(
        'the account deactivated in the revived app',
        () => revived.userByName(person.userName)?.active === false,
      );
      await eventually('the ledger to record code revoked', async () =>
        (await runtime.ledger.forPerson(person.employeeId)).find(
          (l) => l.targetId === 'code' && l.outcome === 'revoked',
        ),
      );
      const steps = await eventually('REDRIVEN as the last step', async () => {
        const all = (await runtime.audit.forEvent(eventId)).map((e) => `${e.step}:${e.targetId ?? ''}`);
        return all.at(-1) === 'REDRIVEN:code' && all;
      });
      expect(steps.slice(steps.lastIndexOf('DLQ:code') + 1)).toEqual([
        'FOUND:code',
        'GROUPS_REMOVED:code', // the sample's code target removes the leaver from every group
        'WRITE_SENT:code',
        'DEACTIVATED:code',
        'VERIFIED:code',
        'REDRIVEN:code',
      ]);
      await eventually('an empty DLQ', async () => (await runtime.deadLetters('code')) === 0);
    } finally {
      writeFileSync(secretsFile, JSON.stringify(secrets));
      await revived.close();
    }
  });
});
