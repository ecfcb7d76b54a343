// Priority that happens: an involuntary leaver sent after a queued bulk of voluntary ones, at a
// target whose rate budget makes the bulk wait, is verified there before the bulk backlog drains.
// Order, not time: the lane queue still holds bulk leavers when the urgent one is VERIFIED.
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { revokeNow } from '../../local/cli/event-commands.ts';
import { demoPeople } from '../../local/demo-people.ts';
import { depth } from '../../local/lanes.ts';
import type { LocalRuntime } from '../../local/runtime.ts';
import sample from '../../scimitar.config.ts';
import { eventually } from '../support/eventually.ts';
import { postSigned, startTestRuntime, terminationOf, testConfig } from '../support/local-runtime.ts';

const BULK = 24;
const SLOW = { timeout: 180_000 };

let runtime: LocalRuntime & { lines: string[] };
beforeAll(async () => {
  const code = sample.targets.find((t) => t.id === 'code');
  if (code?.kind !== 'scim') throw new Error('the sample config has a SCIM target "code"');
  runtime = await startTestRuntime({
    config: testConfig({
      // One slow target: a few requests per second, so a bulk of leavers queues up in its lane.
      targets: [{ ...code, rateBudget: { requestsPerSecond: 8, burst: 2 } }],
      // A layoff: the blast-radius guard lets the whole bulk through (it is tested elsewhere).
      blastRadius: { maxShare: 1, windowMinutes: 60, floor: 1000 },
    }),
    people: demoPeople(BULK * 2),
    canary: false,
    reconcileOnSchedule: false,
  });
}, 120_000);
afterAll(async () => runtime?.stop());

const eventIdOf = (body: string) => (JSON.parse(body) as { eventId: string }).eventId;
/** Who holds an active account in the demo app of code. */
const holdersOfCode = () => {
  const app = runtime.lanes.get('code')?.app;
  if (!app) throw new Error('no demo app for code');
  return runtime.people.filter((p) => app.userByName(p.userName)?.active);
};

describe('priority: an urgent leaver overtakes a queued bulk', () => {
  it(
    'verifies an involuntary termination at a rate-limited target while its lane queue still holds the bulk sent before it',
    SLOW,
    async () => {
      const lane = runtime.lanes.get('code');
      const app = lane?.app;
      if (!lane || !app) throw new Error('no demo app for code');
      const holders = runtime.people.filter((p) => app.userByName(p.userName)?.active);
      const [urgent, ...rest] = holders;
      const bulk = rest.slice(0, BULK);
      if (!urgent || bulk.length < BULK)
        throw new Error(`too few people with an account in code: ${holders.length}`);

      const bulkIds: string[] = [];
      for (const person of bulk) {
        const body = terminationOf(person, { terminationType: 'voluntary' });
        expect((await postSigned(runtime, body)).status).toBe(202);
        bulkIds.push(eventIdOf(body));
      }
      // The bulk is queued: a good part of it waits in code's lane queue (the rest in flight).
      await eventually(
        'a backlog of bulk leavers in the lane queue',
        async () => (await depth(runtime.sqs, lane.queueUrl)).visible >= BULK / 4,
        { timeoutMs: 90_000, seen: () => depth(runtime.sqs, lane.queueUrl) },
      );

      const body = terminationOf(urgent, { terminationType: 'involuntary' });
      expect((await postSigned(runtime, body)).status).toBe(202);
      const urgentId = eventIdOf(body);

      const backlogAtVerified = await eventually(
        'the involuntary leaver verified in code',
        async () => {
          const verified = (await runtime.audit.forEvent(urgentId)).some(
            (e) => e.step === 'VERIFIED' && e.targetId === 'code',
          );
          // Read after VERIFIED was seen: the backlog was at least this large when it happened.
          return verified && { backlog: (await depth(runtime.sqs, lane.queueUrl)).total };
        },
        { timeoutMs: 90_000 },
      );
      expect(backlogAtVerified.backlog).toBeGreaterThan(0);
      const bulkDone = await Promise.all(
        bulkIds.map(async (id) =>
          (await runtime.audit.forEvent(id)).some((e) => e.step === 'VERIFIED' && e.targetId === 'code'),
        ),
      );
      expect(bulkDone.filter(Boolean).length).toBeLessThan(BULK);
      // It went through code's priority queue: the plan marked it urgent.
      const planned = (await runtime.audit.forEvent(urgentId)).find((e) => e.step === 'PLANNED');
      expect(planned?.detail?.urgent).toEqual(['involuntary']);

      // The bulk still finishes: nothing is starved or lost.
      await eventually(
        'every bulk leaver verified in code',
        async () => {
          const done = await Promise.all(
            bulkIds.map(async (id) =>
              (await runtime.audit.forEvent(id)).some((e) => e.step === 'VERIFIED' && e.targetId === 'code'),
            ),
          );
          return done.every(Boolean);
        },
        { timeoutMs: 120_000 },
      );
    },
  );

  it("sends an operator's revoke-now through the operator function as an urgent involuntary termination, verified through the priority queue", async () => {
    const person = holdersOfCode().at(-1);
    if (!person) throw new Error('nobody left with an account in code');
    const log = vi.spyOn(console, 'log').mockImplementation(() => {});
    try {
      await revokeNow(
        {
          url: runtime.url,
          'data-dir': runtime.dataDir,
          'user-name': person.userName,
          email: person.userName,
        },
        person.employeeId,
      );
    } finally {
      log.mockRestore();
    }
    const entries = await eventually('the revoke-now verified in code', async () => {
      const all = await runtime.audit.forPerson(person.employeeId);
      return all.some((e) => e.step === 'VERIFIED' && e.targetId === 'code') && all;
    });
    const planned = entries.find((e) => e.step === 'PLANNED');
    expect(planned?.detail?.urgent).toEqual(['involuntary', 'revoke-now']);
    expect(runtime.lanes.get('code')?.app?.userByName(person.userName)?.active).toBe(false);
  });
});
