import { describe, expect, it } from 'vitest';
import { ValidationError } from '../../lambdas/core/model/errors.ts';
import { type LifecycleEventInput, parseLifecycleEvent } from '../../lambdas/core/model/event.ts';

const termination: LifecycleEventInput = {
  eventId: 'evt-123',
  source: 'generic',
  occurredAt: '2026-11-28T09:00:00Z',
  kind: 'termination',
  terminationType: 'involuntary',
  person: {
    employeeId: 'E1001',
    userName: 'ada@example.com',
    emails: ['ada@example.com'],
    externalId: 'x-1001',
  },
  raw: { any: 'thing' },
};

function problemsOf(input: unknown): string {
  try {
    parseLifecycleEvent(input);
  } catch (err) {
    expect(err).toBeInstanceOf(ValidationError);
    return (err as ValidationError).problems.join('\n');
  }
  throw new Error('expected the event to be refused');
}

describe('lifecycle event: valid input', () => {
  it('parses a termination and defaults effectiveAt to occurredAt', () => {
    const event = parseLifecycleEvent(termination);
    expect(event.effectiveAt).toBe('2026-11-28T09:00:00Z');
    expect(event.person.employeeId).toBe('E1001');
    expect(event.raw).toEqual({ any: 'thing' });
  });

  it('keeps a future effectiveAt for a scheduled termination', () => {
    const event = parseLifecycleEvent({ ...termination, effectiveAt: '2026-12-31T17:00:00+01:00' });
    expect(event.effectiveAt).toBe('2026-12-31T17:00:00+01:00');
  });

  it('models hire, change and rehire without a termination type', () => {
    for (const kind of ['hire', 'change', 'rehire'] as const) {
      const { terminationType: _, ...rest } = termination;
      expect(parseLifecycleEvent({ ...rest, kind }).kind).toBe(kind);
    }
  });

  it('trims whitespace around identifiers', () => {
    const event = parseLifecycleEvent({ ...termination, person: { employeeId: '  E1  ' } });
    expect(event.person.employeeId).toBe('E1');
  });
});

describe('lifecycle event: invalid input', () => {
  it('fails when a termination has no termination type', () => {
    const { terminationType: _, ...rest } = termination;
    expect(problemsOf(rest)).toContain('field "terminationType": is required for a termination');
  });

  it('fails on a date without a time zone, naming the field and the value', () => {
    const problems = problemsOf({ ...termination, occurredAt: '2026-11-28 09:00' });
    expect(problems).toContain('field "occurredAt"');
    expect(problems).toContain('"2026-11-28 09:00"');
  });

  it('fails on a person without an employeeId', () => {
    expect(problemsOf({ ...termination, person: { userName: 'ada' } })).toContain(
      'field "person.employeeId"',
    );
  });

  it('fails on an unknown kind and lists the allowed ones', () => {
    expect(problemsOf({ ...termination, kind: 'fired' })).toMatch(/termination.*hire.*change.*rehire/);
  });
});

describe('lifecycle event: match fields', () => {
  const person = (extra: Record<string, unknown>) => ({
    ...termination,
    person: { employeeId: 'E1', ...extra },
  });

  it('accepts e-mail addresses RFC 6531 allows: a UTF-8 local part, an internationalised domain', () => {
    const emails = [
      'ada@bücher.de',
      'アダ@例え.テスト',
      'jörg.müller@example.com',
      'ada+leaver@xn--bcher-kva.de',
      '"ada lovelace"@example.com',
      'ada@[192.0.2.1]',
      '𠮷野@example.jp',
      `${'a'.repeat(64)}@${'b'.repeat(63)}.${'c'.repeat(63)}.${'d'.repeat(61)}`, // 254 octets, the most
    ];
    const event = parseLifecycleEvent(person({ emails }));
    expect(event.person.emails).toEqual(emails);
    expect(event.unusableMatchFields).toBeUndefined();
  });

  it('trims every match field the same way, padding spaces included', () => {
    const event = parseLifecycleEvent(
      person({ userName: ' ada ', emails: ['  ada@example.com\t'], externalId: '\u00a0x-1 ' }),
    );
    expect(event.person).toMatchObject({ userName: 'ada', emails: ['ada@example.com'], externalId: 'x-1' });
    expect(event.unusableMatchFields).toBeUndefined();
  });

  it('sets an address that is not one aside as unusable, naming the field, and keeps the leaver', () => {
    const event = parseLifecycleEvent(
      person({ userName: 'ada', emails: ['not-an-email', 'ada@example.com'] }),
    );
    expect(event.person).toMatchObject({ userName: 'ada', emails: ['ada@example.com'] });
    expect(event.unusableMatchFields).toEqual([
      {
        attribute: 'email',
        field: 'person.emails[0]',
        problem: expect.stringContaining('must be an e-mail address'),
      },
    ]);
  });

  it('sets aside each unusable kind of value: empty, too long, a refused character', () => {
    const event = parseLifecycleEvent(
      person({
        userName: '   ',
        externalId: 'x'.repeat(600),
        emails: ['ada\uFFFF@example.com', 'ada@@example.com'],
      }),
    );
    expect(event.person).toEqual({ employeeId: 'E1' });
    const byField = Object.fromEntries((event.unusableMatchFields ?? []).map((u) => [u.field, u.problem]));
    expect(byField['person.userName']).toContain('must not be empty');
    expect(byField['person.externalId']).toContain('at most 512');
    expect(byField['person.emails[0]']).toContain('U+FFFF');
    expect(byField['person.emails[1]']).toContain('must be an e-mail address');
    // The problem text shows the value escaped: it never carries the refused character itself.
    expect(JSON.stringify(event.unusableMatchFields)).not.toMatch(/\uFFFF/u);
  });

  it('refuses addresses RFC 6531 does not allow', () => {
    for (const email of [
      'ada',
      '@example.com',
      'ada@',
      'ada@exa mple.com',
      'ada@-example.com',
      'ada@example..com',
      'ada..lovelace@example.com',
      'ada lovelace@example.com',
      `${'a'.repeat(65)}@example.com`,
      'ada@[300.0.0.1]',
      'Ada <ada@example.com>',
      `${'a'.repeat(64)}@${'b'.repeat(63)}.${'c'.repeat(63)}.${'d'.repeat(62)}`, // 255 octets
    ]) {
      expect(parseLifecycleEvent(person({ emails: [email] })).unusableMatchFields, email).toHaveLength(1);
    }
  });

  it('refuses more addresses than allowed as a whole, usable or not', () => {
    expect(problemsOf(person({ emails: Array(11).fill('not an address') }))).toContain(
      'field "person.emails": Too big',
    );
  });

  it('refuses an unusableMatchFields list from the sender: only ingest sets it', () => {
    expect(problemsOf({ ...termination, unusableMatchFields: [] })).toContain('field "unusableMatchFields"');
  });
});

describe('lifecycle event: hostile input', () => {
  it('refuses control characters that would forge log lines', () => {
    expect(problemsOf({ ...termination, eventId: 'evt\nFAKE LOG LINE' })).toContain('control characters');
    expect(problemsOf({ ...termination, person: { employeeId: 'E1\u0000' } })).toContain(
      'control characters',
    );
  });

  it('refuses oversized identifiers', () => {
    expect(problemsOf({ ...termination, eventId: 'e'.repeat(201) })).toContain('at most 200');
    expect(
      problemsOf({ ...termination, person: { employeeId: 'E1', displayName: 'u'.repeat(10_000) } }),
    ).toContain('at most 512');
  });

  it('refuses, naming the field, characters a queue would refuse: U+FFFE, U+FFFF, other non-characters, unpaired surrogates, controls', () => {
    const cases: Array<[string, string]> = [
      ['Ada \uFFFF', 'U+FFFF'],
      ['Ada \uFFFE', 'U+FFFE'],
      ['Ada \uFDD0', 'U+FDD0'],
      ['Ada \u{1FFFF}', 'U+1FFFF'],
      ['Ada \uD800', 'U+D800 (an unpaired surrogate)'],
      ['\uDE00 Ada', 'U+DE00 (an unpaired surrogate)'],
      ['Ada\u0085', 'U+0085 (a control character)'],
      ['Ada\tLovelace', 'U+0009 (a control character)'],
    ];
    for (const [displayName, named] of cases) {
      const problems = problemsOf({ ...termination, person: { employeeId: 'E1', displayName } });
      expect(problems, displayName).toContain('field "person.displayName"');
      expect(problems, displayName).toContain(named);
    }
    expect(problemsOf({ ...termination, eventId: 'evt-\uFFFF' })).toContain('field "eventId"');
    expect(problemsOf({ ...termination, person: { employeeId: 'E\uD83D' } })).toContain(
      'field "person.employeeId"',
    );
  });

  it('accepts characters beyond U+FFFF, which SQS carries: emoji, CJK extension B', () => {
    const event = parseLifecycleEvent({
      ...termination,
      person: { employeeId: 'E1', displayName: 'Ada 😀 Lovelace', userName: '𠮷野' },
    });
    expect(event.person).toMatchObject({ displayName: 'Ada 😀 Lovelace', userName: '𠮷野' });
  });

  it('refuses unknown top-level fields rather than silently dropping them', () => {
    expect(problemsOf({ ...termination, admin: true })).toContain('admin');
  });

  it('accepts SCIM filter metacharacters as data: escaping is the SCIM client’s job', () => {
    const userName = 'ada" or userName pr or "x\\';
    expect(
      parseLifecycleEvent({ ...termination, person: { employeeId: 'E1', userName } }).person.userName,
    ).toBe(userName);
  });
});
