import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { eventually } from '../support/eventually.ts';
import { postSigned, startTestRuntime, terminationOf } from '../support/local-runtime.ts';

// Two runtime starts, the first with a synth: tens of seconds on a busy machine.
describe('local runtime: on-disk state', { timeout: 120_000 }, () => {
  it('keeps the audit log and the ledger across a restart with --persist', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'scimitar-persist-'));
    const first = await startTestRuntime({ dataDir, persist: true });
    const [ada] = first.people;
    if (!ada) throw new Error('no demo people');
    const body = terminationOf(ada);
    const { eventId } = JSON.parse(body) as { eventId: string };
    try {
      expect((await postSigned(first, body)).status).toBe(202);
      await eventually('the COMPLETED entry', async () =>
        (await first.audit.forEvent(eventId)).some((e) => e.step === 'COMPLETED'),
      );
    } finally {
      await first.stop();
    }

    const second = await startTestRuntime({ dataDir, persist: true });
    try {
      const steps = (await second.audit.forEvent(eventId)).map((e) => e.step);
      expect(steps[0]).toBe('RECEIVED');
      expect(steps.at(-1)).toBe('COMPLETED');
      expect((await second.audit.forPerson(ada.employeeId)).length).toBe(steps.length);
      // code, chat, wiki and the demo's Okta session target sso.
      expect((await second.ledger.forPerson(ada.employeeId)).map((l) => l.outcome)).toEqual([
        'revoked',
        'revoked',
        'revoked',
        'revoked',
      ]);
      // The same signing key: secrets.json persisted in the data directory.
      expect((await postSigned(second, body)).body.executions).toEqual([
        expect.objectContaining({ eventId, duplicate: true }),
      ]);
    } finally {
      await second.stop();
    }
  });

  it("keeps a termination's schedule across a restart with --persist; it starts the revocation at its time", async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'scimitar-persist-'));
    const first = await startTestRuntime({
      dataDir,
      persist: true,
      canary: false,
      reconcileOnSchedule: false,
    });
    const grace = first.people[1];
    if (!grace) throw new Error('no demo people');
    const effectiveAt = new Date(first.clock.nowMs() + 10 * 86_400_000).toISOString();
    const body = terminationOf(grace, { effectiveAt, terminationType: 'voluntary' });
    const { eventId } = JSON.parse(body) as { eventId: string };
    try {
      expect((await postSigned(first, body)).status).toBe(202);
      expect(first.schedules().map((s) => s.startAt.toISOString())).toEqual([effectiveAt]);
    } finally {
      await first.stop();
    }

    const second = await startTestRuntime({
      dataDir,
      persist: true,
      canary: false,
      reconcileOnSchedule: false,
    });
    try {
      expect(second.schedules().map((s) => [s.personId, s.startAt.toISOString()])).toEqual([
        [grace.employeeId, effectiveAt],
      ]);
      expect((await second.pendingTermination(grace.employeeId))?.status).toBe('scheduled');
      await second.clock.advance('10d');
      await eventually('the COMPLETED entry', async () =>
        (await second.audit.forEvent(eventId)).some((e) => e.step === 'COMPLETED'),
      );
      expect(second.lanes.get('code')?.app?.userByName(grace.userName)?.active).toBe(false);
      expect(second.schedules()).toEqual([]);
    } finally {
      await second.stop();
    }
  });
});
