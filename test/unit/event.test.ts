import { describe, expect, it } from 'vitest';
import { ValidationError } from '../../lambdas/core/errors.ts';
import { type LifecycleEventInput, parseLifecycleEvent } from '../../lambdas/core/event.ts';

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

  it('fails on malformed email addresses', () => {
    expect(problemsOf({ ...termination, person: { employeeId: 'E1', emails: ['not-an-email'] } })).toContain(
      'person.emails[0]',
    );
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
      problemsOf({ ...termination, person: { employeeId: 'E1', userName: 'u'.repeat(10_000) } }),
    ).toContain('at most 512');
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
