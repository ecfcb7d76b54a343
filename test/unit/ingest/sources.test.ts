import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseBambooHRPayload } from '../../../lambdas/core/ingest/bamboohr.ts';
import type { DeliveryContext } from '../../../lambdas/core/ingest/delivery.ts';
import { SourceMismatchError } from '../../../lambdas/core/ingest/errors.ts';
import { parseGenericPayload } from '../../../lambdas/core/ingest/sources.ts';
import type { SourceConfig } from '../../../lambdas/core/model/config.ts';
import { ValidationError } from '../../../lambdas/core/model/errors.ts';
import type { LifecycleEventInput } from '../../../lambdas/core/model/event.ts';

const bamboohr: SourceConfig = {
  id: 'bamboohr',
  kind: 'bamboohr',
  toleranceSeconds: 300,
  secretName: 'scimitar/sources/bamboohr',
  existingSecret: false,
};
const generic: SourceConfig = {
  id: 'generic',
  kind: 'generic',
  toleranceSeconds: 300,
  secretName: 'scimitar/sources/generic',
  existingSecret: false,
};
const receivedAt = new Date('2026-11-28T09:00:00Z');
const context = (source: SourceConfig): DeliveryContext => ({ source, receivedAt, signedAt: receivedAt });

const fixture = (name: string): unknown =>
  JSON.parse(readFileSync(new URL(`../../fixtures/bamboohr/${name}.json`, import.meta.url), 'utf8'));

function problemsOf(parse: () => unknown): string {
  try {
    parse();
  } catch (err) {
    expect(err).toBeInstanceOf(ValidationError);
    return (err as ValidationError).problems.join('\n');
  }
  throw new Error('expected the payload to be refused');
}

describe('BambooHR payload: terminations', () => {
  it('maps a terminated employee to a termination event', () => {
    const { events, ignored, rejected } = parseBambooHRPayload(fixture('terminated'), context(bamboohr));
    expect(ignored).toEqual([]);
    expect(rejected).toEqual([]);
    expect(events).toHaveLength(1);
    const [event] = events;
    expect(event).toMatchObject({
      source: 'bamboohr',
      kind: 'termination',
      terminationType: 'involuntary',
      occurredAt: '2026-11-28T08:58:00+00:00',
      effectiveAt: '2026-11-30T00:00:00Z',
      person: {
        employeeId: '123',
        userName: 'ada.lovelace@example.com',
        emails: ['ada.lovelace@example.com'],
        externalId: '1042',
        displayName: 'Ada Lovelace',
      },
    });
    expect(event?.eventId).toMatch(/^bamboohr:123:[0-9a-f]{24}$/);
    // The employee's part of the delivery is kept as evidence.
    expect(event?.raw).toMatchObject({ id: '123', action: 'Updated' });
  });

  it('gives the same event id to the same content delivered again, and another to a changed date', () => {
    const first = parseBambooHRPayload(fixture('terminated'), context(bamboohr)).events[0];
    const later = { ...context(bamboohr), receivedAt: new Date('2026-11-28T10:00:00Z') };
    const again = parseBambooHRPayload(fixture('terminated'), later).events[0];
    expect(again?.eventId).toBe(first?.eventId);

    const moved = fixture('terminated') as { employees: [{ fields: Record<string, string> }] };
    moved.employees[0].fields['Termination Date'] = '2026-12-01';
    expect(parseBambooHRPayload(moved, context(bamboohr)).events[0]?.eventId).not.toBe(first?.eventId);
  });

  it('maps several employees of one delivery, ignoring those that are not terminations', () => {
    const { events, ignored, rejected } = parseBambooHRPayload(fixture('several'), context(bamboohr));
    expect(rejected).toEqual([]);
    expect(events.map((e) => [e.person.employeeId, e.kind])).toEqual([
      ['200', 'termination'],
      // Employment Status changed to one that is not Terminated: a rescind of any pending termination.
      ['201', 'rescind'],
      ['203', 'termination'],
    ]);
    expect(events[0]).toMatchObject({ terminationType: 'voluntary', effectiveAt: '2026-11-28T00:00:00Z' });
    // API aliases and a numeric id are read as well as BambooHR's English field names.
    expect(events[2]).toMatchObject({
      terminationType: 'involuntary',
      effectiveAt: '2026-12-31T00:00:00Z',
      person: { employeeId: '203', userName: 'edsger.dijkstra@example.com', displayName: 'Edsger Dijkstra' },
    });
    expect(ignored).toEqual([
      { reference: 'employees[2] (id 202)', reason: 'action "Created" carries no termination' },
    ]);
    expect(new Set(events.map((e) => e.eventId)).size).toBe(3);
  });

  it('ignores an employee who is not terminated, treating 0000-00-00 as no date', () => {
    const { events, ignored } = parseBambooHRPayload(fixture('not-terminated'), context(bamboohr));
    expect(events).toEqual([]);
    expect(ignored).toEqual([
      { reference: 'employees[0] (id 124)', reason: 'not a termination: Employment Status is "Full-Time"' },
    ]);
  });

  it('ignores a change to a terminated employee that touches no termination field', () => {
    const payload = fixture('terminated') as { employees: [{ changedFields: string[] }] };
    payload.employees[0].changedFields = ['Work Phone'];
    const { events, ignored } = parseBambooHRPayload(payload, context(bamboohr));
    expect(events).toEqual([]);
    expect(ignored[0]?.reason).toContain('already terminated');
  });

  it('does not treat an old Termination Date as a termination when Employment Status says active (a rehire): it is a rescind', () => {
    const payload = {
      employees: [
        {
          id: '9',
          changedFields: ['Employment Status'],
          fields: { 'Employment Status': 'Full-Time', 'Termination Date': '2025-01-31' },
        },
      ],
    };
    const { events } = parseBambooHRPayload(payload, context(bamboohr));
    expect(events.map((e) => [e.kind, e.person.employeeId])).toEqual([['rescind', '9']]);
    expect(events[0]?.terminationType).toBeUndefined();
  });

  it('takes a cleared Termination Date as a rescind, and a changed one as a new termination (a reschedule)', () => {
    const cleared = {
      employees: [{ id: '11', changedFields: ['Termination Date'], fields: { 'Termination Date': '' } }],
    };
    expect(parseBambooHRPayload(cleared, context(bamboohr)).events[0]).toMatchObject({
      kind: 'rescind',
      person: { employeeId: '11' },
    });
    const moved = {
      employees: [
        {
          id: '11',
          changedFields: ['Termination Date'],
          fields: { 'Employment Status': 'Terminated', 'Termination Date': '2027-03-01' },
        },
      ],
    };
    expect(parseBambooHRPayload(moved, context(bamboohr)).events[0]).toMatchObject({
      kind: 'termination',
      effectiveAt: '2027-03-01T00:00:00Z',
    });
  });

  it('never makes a change (mover) event: a new job title or department of an active employee is ignored', () => {
    // The webhook posts only the fields it monitors, not every attribute (docs/entitlements.md).
    const payload = fixture('not-terminated') as {
      employees: [{ changedFields: string[]; fields: Record<string, string> }];
    };
    payload.employees[0].changedFields.push('Department');
    payload.employees[0].fields.Department = 'Navy';
    const { events, ignored } = parseBambooHRPayload(payload, context(bamboohr));
    expect(events).toEqual([]);
    expect(ignored.map((i) => i.reason)).toEqual(['not a termination: Employment Status is "Full-Time"']);
  });

  it('takes a Termination Date alone as a termination when Employment Status is not posted', () => {
    const payload = {
      employees: [
        { id: '10', changedFields: ['Termination Date'], fields: { 'Termination Date': '2026-12-15' } },
      ],
    };
    const { events } = parseBambooHRPayload(payload, context(bamboohr));
    expect(events[0]).toMatchObject({ kind: 'termination', effectiveAt: '2026-12-15T00:00:00Z' });
  });
});

describe('BambooHR payload: missing and invalid fields', () => {
  it('keeps a termination with only an id, and dates it when the delivery was signed', () => {
    const { events } = parseBambooHRPayload(fixture('missing-fields'), context(bamboohr));
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({
      occurredAt: receivedAt.toISOString(),
      effectiveAt: receivedAt.toISOString(),
      person: { employeeId: '300' },
    });
    expect(events[0]?.person.userName).toBeUndefined();
  });

  it('rejects, rather than ignores, a status change whose status the webhook does not post', () => {
    const { rejected } = parseBambooHRPayload(fixture('missing-fields'), context(bamboohr));
    expect(rejected[0]?.reference).toBe('employees[1] (id 301)');
    expect(rejected[0]?.problems.join()).toContain('add both to the fields BambooHR posts');
  });

  it('rejects an employee without an id, naming where', () => {
    const { rejected } = parseBambooHRPayload(fixture('missing-fields'), context(bamboohr));
    expect(rejected[1]).toEqual({
      reference: 'employees[2]',
      problems: [expect.stringContaining('field "id"')],
    });
  });

  it('rejects a termination date that is not YYYY-MM-DD rather than guessing', () => {
    const payload = fixture('terminated') as { employees: [{ fields: Record<string, string> }] };
    payload.employees[0].fields['Termination Date'] = '11/30/2026';
    const { events, rejected } = parseBambooHRPayload(payload, context(bamboohr));
    expect(events).toEqual([]);
    expect(rejected[0]?.problems[0]).toContain('YYYY-MM-DD; got "11/30/2026"');
  });

  it('strips control characters, non-characters and unpaired surrogates from the cosmetic display name', () => {
    const payload = fixture('terminated') as { employees: [{ fields: Record<string, string> }] };
    payload.employees[0].fields['First Name'] = 'Ada\u0007\n\uFFFF\uD800';
    expect(parseBambooHRPayload(payload, context(bamboohr)).events[0]?.person.displayName).toBe(
      'Ada Lovelace',
    );
    payload.employees[0].fields['First Name'] = 'Ada 😀';
    expect(parseBambooHRPayload(payload, context(bamboohr)).events[0]?.person.displayName).toBe(
      'Ada 😀 Lovelace',
    );
  });

  it('keeps the leaver when the Work Email is unusable: email and userName (taken from it) are set aside', () => {
    const payload = fixture('terminated') as { employees: [{ fields: Record<string, string> }] };
    payload.employees[0].fields['Work Email'] = 'ada at example';
    const { events, rejected } = parseBambooHRPayload(payload, context(bamboohr));
    expect(rejected).toEqual([]);
    expect(events[0]?.person.userName).toBeUndefined();
    expect(events[0]?.person.emails).toBeUndefined();
    expect(events[0]?.unusableMatchFields?.map((u) => [u.attribute, u.field])).toEqual([
      ['email', 'person.emails[0]'],
      ['userName', 'person.userName'],
    ]);
  });

  it('reads an internationalised, padded Work Email as the address it is', () => {
    const payload = fixture('terminated') as { employees: [{ fields: Record<string, string> }] };
    payload.employees[0].fields['Work Email'] = '  jörg@bücher.de ';
    const [event] = parseBambooHRPayload(payload, context(bamboohr)).events;
    expect(event?.person).toMatchObject({ userName: 'jörg@bücher.de', emails: ['jörg@bücher.de'] });
    expect(event?.unusableMatchFields).toBeUndefined();
  });

  it('rejects an employee id with control characters', () => {
    const payload = { employees: [{ id: '1\n2', fields: { 'Employment Status': 'Terminated' } }] };
    expect(parseBambooHRPayload(payload, context(bamboohr)).rejected[0]?.problems.join()).toContain(
      'control characters',
    );
  });

  it('fails on a delivery that is not a field-based BambooHR payload', () => {
    expect(problemsOf(() => parseBambooHRPayload([], context(bamboohr)))).toContain('field "(top level)"');
    expect(problemsOf(() => parseBambooHRPayload({ employees: [] }, context(bamboohr)))).toContain(
      'at least one employee',
    );
    expect(problemsOf(() => parseBambooHRPayload(42, context(bamboohr)))).toContain('expected object');
  });

  it('fails on an event-based payload, saying which webhook setting to change', () => {
    const eventBased = {
      type: 'employee.updated',
      timestamp: '2026-01-31T18:42:00+0000',
      data: { companyId: '1', employeeId: '2', changedFields: ['employmentHistoryStatus'] },
    };
    expect(problemsOf(() => parseBambooHRPayload(eventBased, context(bamboohr)))).toContain('Field-Based');
  });
});

describe('generic payload', () => {
  const termination: LifecycleEventInput = {
    eventId: 'evt-77',
    source: 'generic',
    occurredAt: '2026-11-28T08:00:00Z',
    kind: 'termination',
    terminationType: 'involuntary',
    person: { employeeId: 'E77', userName: 'mallory@example.com' },
  };

  it('takes the body as the event and keeps the body as its raw payload', () => {
    const { events } = parseGenericPayload(termination, context(generic));
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ eventId: 'evt-77', effectiveAt: '2026-11-28T08:00:00Z' });
    expect(events[0]?.raw).toEqual(termination);
  });

  it("passes a change event on: it updates a mover's managed groups", () => {
    const { terminationType: _, ...rest } = termination;
    const person = { ...rest.person, attributes: { department: 'Sales' } };
    const { events, ignored } = parseGenericPayload({ ...rest, person, kind: 'change' }, context(generic));
    expect(ignored).toEqual([]);
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({
      eventId: 'evt-77',
      kind: 'change',
      person: { attributes: { department: 'Sales' } },
    });
  });

  it('refuses a change event without attributes: it would strip every managed group', () => {
    const { terminationType: _, ...rest } = termination;
    expect(() => parseGenericPayload({ ...rest, kind: 'change' }, context(generic))).toThrow(
      /person\.attributes.*required for a change/,
    );
  });

  it('passes a rescind, a hire and a rehire on: each cancels a pending termination', () => {
    const { terminationType: _, ...rest } = termination;
    for (const kind of ['rescind', 'hire', 'rehire'] as const) {
      const { events, ignored } = parseGenericPayload({ ...rest, kind }, context(generic));
      expect(ignored).toEqual([]);
      expect(events[0]).toMatchObject({ eventId: 'evt-77', kind });
    }
  });

  it('refuses an event that names another source than the one it was delivered to', () => {
    expect(() => parseGenericPayload({ ...termination, source: 'bamboohr' }, context(generic))).toThrow(
      SourceMismatchError,
    );
  });

  it('fails on invalid events with every problem listed', () => {
    const problems = problemsOf(() =>
      parseGenericPayload({ ...termination, occurredAt: 'yesterday', person: {} }, context(generic)),
    );
    expect(problems).toContain('field "occurredAt"');
    expect(problems).toContain('field "person.employeeId"');
  });

  it('fails on JSON that is an array, a number, a string or null', () => {
    for (const payload of [[termination], 42, 'termination', null]) {
      expect(problemsOf(() => parseGenericPayload(payload, context(generic)))).toContain('expected object');
    }
  });

  it('refuses unknown keys, including "constructor" and "prototype"', () => {
    const problems = problemsOf(() =>
      parseGenericPayload({ ...termination, constructor: { prototype: { admin: true } } }, context(generic)),
    );
    expect(problems).toContain('constructor');
    expect(({} as Record<string, unknown>).admin).toBeUndefined();
  });

  it('refuses control characters in identifiers', () => {
    expect(
      problemsOf(() => parseGenericPayload({ ...termination, eventId: 'evt\r\nINJECTED' }, context(generic))),
    ).toContain('control characters');
  });
});
