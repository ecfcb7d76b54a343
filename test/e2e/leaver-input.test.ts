// What a leaver's event may hold, end to end on the local runtime: names beyond U+FFFF, e-mail
// addresses as RFC 6531 allows them, padded values, one unusable match field, refused characters,
// and identical deliveries arriving together.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LocalRuntime } from '../../local/runtime.ts';
import { endedExecution, eventView, steps } from '../support/events.ts';
import { postSigned, startTestRuntime, terminationOf } from '../support/local-runtime.ts';

let runtime: LocalRuntime & { lines: string[] };
beforeAll(async () => {
  runtime = await startTestRuntime();
});
afterAll(async () => runtime?.stop());

const finished = (eventId: string) => endedExecution(runtime, eventId);
const timeline = async (eventId: string) => steps(await runtime.audit.forEvent(eventId));

function activeIn(targetId: string, userName: string): boolean | undefined {
  return runtime.lanes.get(targetId)?.app?.userByName(userName)?.active;
}

function person(index: number) {
  const found = runtime.people[index];
  if (!found) throw new Error(`no demo person ${index}`);
  return found;
}

/** A termination of `who`, with `person` fields replaced. */
function terminationWith(who: ReturnType<typeof person>, fields: Record<string, unknown>): string {
  const event = JSON.parse(terminationOf(who)) as { person: Record<string, unknown> };
  event.person = { ...event.person, ...fields };
  return JSON.stringify(event);
}

describe('local pipeline: names beyond U+FFFF', () => {
  it('revokes a leaver whose display name holds an emoji or a CJK extension character, with no DLQ', async () => {
    for (const [index, displayName] of [
      [0, 'Ada 😀 Lovelace'],
      [1, '𠮷田 Grace'],
    ] as const) {
      const leaver = person(index);
      const body = terminationWith(leaver, { displayName });
      const answer = await postSigned(runtime, body);
      expect(answer.status).toBe(202);
      const { eventId } = JSON.parse(body) as { eventId: string };
      expect((await finished(eventId)).status).toBe('SUCCEEDED');
      const steps = await timeline(eventId);
      expect(steps.filter((s) => s.startsWith('DLQ') || s.startsWith('FAILED'))).toEqual([]);
      for (const target of ['code', 'chat', 'wiki']) expect(steps).toContain(`VERIFIED:${target}`);
      expect(steps.at(-1)).toBe('COMPLETED');
      expect(activeIn('code', leaver.userName)).toBe(false);
      expect(activeIn('chat', leaver.userName)).toBeUndefined();
      expect(activeIn('wiki', leaver.userName)).toBe(false);
    }
  });

  it('revokes an account whose userName and e-mail hold such characters and an internationalised domain', async () => {
    const userName = '𠮷野.ada😀@bücher.de';
    for (const target of ['code', 'chat', 'wiki']) {
      runtime.lanes.get(target)?.app?.seed({
        users: [{ userName, emails: [{ value: userName, primary: true, type: 'work' }] }],
      });
    }
    const body = terminationOf({ employeeId: 'E-astral', userName, emails: [userName] });
    expect((await postSigned(runtime, body)).status).toBe(202);
    const { eventId } = JSON.parse(body) as { eventId: string };
    expect((await finished(eventId)).status).toBe('SUCCEEDED');
    expect(activeIn('code', userName)).toBe(false);
    expect(activeIn('chat', userName)).toBeUndefined();
    expect(activeIn('wiki', userName)).toBe(false);
    expect((await timeline(eventId)).at(-1)).toBe('COMPLETED');
  });

  it('refuses with 422 naming the field a character SQS refuses, and starts nothing', async () => {
    const before = runtime.workflow.executions.size;
    for (const displayName of ['Ada \uFFFF', 'Ada \uFFFE', 'Ada \uD83D']) {
      const answer = await postSigned(runtime, terminationWith(person(2), { displayName }));
      expect(answer.status, displayName).toBe(422);
      expect((answer.body.problems as string[]).join('\n')).toContain('field "person.displayName"');
    }
    expect(runtime.workflow.executions.size).toBe(before);
  });
});

describe('local pipeline: match fields', () => {
  it('trims padded values and matches the account', async () => {
    const leaver = person(3);
    const body = terminationWith(leaver, {
      userName: `  ${leaver.userName} `,
      emails: [` ${leaver.emails[0]}\t`],
    });
    expect((await postSigned(runtime, body)).status).toBe(202);
    const { eventId } = JSON.parse(body) as { eventId: string };
    expect((await finished(eventId)).status).toBe('SUCCEEDED');
    expect(activeIn('code', leaver.userName)).toBe(false);
    expect(activeIn('wiki', leaver.userName)).toBe(false);
  });

  it('revokes by the usable fields when the e-mail is unusable, and records the e-mail target as not matchable', async () => {
    // Someone with an account in every demo application (the demo leaves a few out on purpose).
    const leaver = [4, 6, 7, 8, 9, 10, 11]
      .map(person)
      .find((p) => ['code', 'chat', 'wiki'].every((t) => activeIn(t, p.userName) === true));
    if (!leaver) throw new Error('no demo person with every account');
    const body = terminationWith(leaver, { emails: ['not an address'] });
    const answer = await postSigned(runtime, body);
    expect(answer.status).toBe(202);
    const [execution] = answer.body.executions as Array<{ unusableMatchFields?: { field: string }[] }>;
    expect(execution?.unusableMatchFields?.map((u) => u.field)).toEqual(['person.emails[0]']);
    const { eventId } = JSON.parse(body) as { eventId: string };

    // A target not matched is a failed target: the summary is PARTIAL and the execution fails (alarm).
    expect((await finished(eventId)).status).toBe('FAILED');
    expect(activeIn('code', leaver.userName)).toBe(false);
    expect(activeIn('chat', leaver.userName)).toBeUndefined();
    expect(activeIn('wiki', leaver.userName)).toBe(true);
    const entries = await runtime.audit.forEvent(eventId);
    const failed = entries.find((e) => e.step === 'FAILED' && e.targetId === 'wiki');
    expect(failed?.detail?.reason).toContain('not matchable');
    expect(failed?.detail?.reason).toContain('person.emails[0]');
    expect(entries.at(-1)?.step).toBe('PARTIAL');
    const ledger = await runtime.ledger.forPerson(leaver.employeeId);
    expect(Object.fromEntries(ledger.map((l) => [l.targetId, l.outcome]))).toMatchObject({
      code: 'revoked',
      chat: 'revoked',
      wiki: 'failed',
    });
    expect(
      runtime.alerts.sent.some(
        (a) => a.subject.includes(`employee ${leaver.employeeId}`) && a.message.includes('wiki'),
      ),
    ).toBe(true);
  });
});

describe('local pipeline: identical deliveries arriving together', () => {
  it('writes one RECEIVED and starts one execution', async () => {
    const body = terminationOf(person(5));
    const answers = await Promise.all(Array.from({ length: 6 }, () => postSigned(runtime, body)));
    expect(answers.map((a) => a.status)).toEqual(Array(6).fill(202));
    expect(new Set(answers.map((a) => a.body.executionArn)).size).toBe(1);
    const { eventId } = JSON.parse(body) as { eventId: string };
    await finished(eventId);
    const steps = await timeline(eventId);
    expect(steps.filter((s) => s === 'RECEIVED')).toHaveLength(1);
    expect(steps[0]).toBe('RECEIVED');
    expect((await eventView(runtime, eventId)).attempts).toHaveLength(1);
  });
});
