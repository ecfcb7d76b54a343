import { describe, expect, it } from 'vitest';
import { ValidationError } from '../../../lambdas/core/model/errors.ts';
import { type LifecycleEventInput, parseLifecycleEvent } from '../../../lambdas/core/model/event.ts';
import { parseRoster } from '../../../lambdas/core/reconcile/roster.ts';

const NOW = new Date('2026-12-01T12:00:00Z');

const change: LifecycleEventInput = {
  eventId: 'evt-9',
  source: 'generic',
  occurredAt: '2026-11-28T09:00:00Z',
  kind: 'change',
  person: {
    employeeId: 'E1',
    userName: 'ada@example.com',
    attributes: { department: 'Finance', title: 'Analyst', managerId: 'E7' },
  },
};

function eventProblems(input: unknown): string {
  try {
    parseLifecycleEvent(input);
  } catch (err) {
    expect(err).toBeInstanceOf(ValidationError);
    return (err as ValidationError).problems.join('\n');
  }
  throw new Error('expected the event to be refused');
}

function rosterProblems(text: string, format: 'json' | 'csv'): string {
  try {
    parseRoster(text, format, { now: NOW });
  } catch (err) {
    expect(err).toBeInstanceOf(ValidationError);
    return (err as ValidationError).problems.join('\n');
  }
  throw new Error('expected the roster to be refused');
}

const withAttributes = (attributes: unknown) => ({ ...change, person: { employeeId: 'E1', attributes } });

describe('person attributes: in events', () => {
  it('carries a change event with the person attributes after the change', () => {
    const event = parseLifecycleEvent(change);
    expect(event.kind).toBe('change');
    expect(event.person.attributes).toEqual({ department: 'Finance', title: 'Analyst', managerId: 'E7' });
  });

  it('trims values and leaves out empty ones (the source knows none)', () => {
    const event = parseLifecycleEvent(withAttributes({ department: '  Finance ', title: '  ' }));
    expect(event.person.attributes).toEqual({ department: 'Finance' });
  });

  it('accepts any plain key, and a key like "constructor" as an ordinary attribute', () => {
    const event = parseLifecycleEvent(withAttributes({ 'x-team.name_2': 'a', constructor: 'b' }));
    expect(event.person.attributes).toEqual({ 'x-team.name_2': 'a', constructor: 'b' });
  });

  it('refuses a key that is not a plain name, saying what a key may be', () => {
    for (const key of ['1st', 'a b', 'dept"]', '', 'k'.repeat(65), 'ä']) {
      expect(eventProblems(withAttributes({ [key]: 'v' }))).toContain('an attribute key must be a letter');
    }
  });

  it('refuses a "__proto__" key by name instead of dropping it', () => {
    const input = JSON.parse(
      JSON.stringify(withAttributes({})).replace('"attributes":{}', '"attributes":{"__proto__":{"x":"1"}}'),
    );
    expect(eventProblems(input)).toContain('the key "__proto__" is refused:');
    expect(({} as { x?: string }).x).toBeUndefined();
  });

  it('refuses more than 50 attributes', () => {
    const many = Object.fromEntries(Array.from({ length: 51 }, (_, i) => [`k${i}`, 'v']));
    expect(eventProblems(withAttributes(many))).toContain('at most 50 attributes');
    const fifty = Object.fromEntries(Array.from({ length: 50 }, (_, i) => [`k${i}`, 'v']));
    expect(Object.keys(parseLifecycleEvent(withAttributes(fifty)).person.attributes ?? {})).toHaveLength(50);
  });

  it('refuses a value over 512 characters, a non-string value and control characters', () => {
    expect(eventProblems(withAttributes({ title: 'x'.repeat(513) }))).toContain('at most 512 characters');
    expect(eventProblems(withAttributes({ title: 42 }))).toMatch(/title/);
    expect(eventProblems(withAttributes({ title: 'a\u0000b' }))).toContain('control character');
    expect(eventProblems(withAttributes({ title: 'a\uFFFEb' }))).toContain('non-character');
  });

  it('refuses attributes that are not an object', () => {
    expect(eventProblems(withAttributes(['department']))).toMatch(/attributes/);
    expect(eventProblems(withAttributes('department=Finance'))).toMatch(/attributes/);
  });
});

describe('person attributes: in rosters', () => {
  it('reads CSV attribute columns attributes.<key>, keeping the key as written', () => {
    const csv = [
      'employeeId,userName,attributes.department,attributes.costCenter,Attributes.title',
      'E1,ada@example.com,Engineering,CC-1,"SRE, Staff"',
      'E2,bob@example.com,,CC-2,',
      'E3,cy@example.com,,,',
    ].join('\n');
    const roster = parseRoster(csv, 'csv', { now: NOW });
    expect(roster.people).toEqual([
      {
        employeeId: 'E1',
        userName: 'ada@example.com',
        attributes: { department: 'Engineering', costCenter: 'CC-1', title: 'SRE, Staff' },
      },
      { employeeId: 'E2', userName: 'bob@example.com', attributes: { costCenter: 'CC-2' } },
      { employeeId: 'E3', userName: 'cy@example.com' },
    ]);
  });

  it('reads JSON people[i].attributes', () => {
    const json = JSON.stringify({
      asOf: '2026-12-01T00:00:00Z',
      people: [{ employeeId: 'E1', attributes: { department: 'Finance', division: 'EMEA' } }],
    });
    expect(parseRoster(json, 'json', { now: NOW }).people).toEqual([
      { employeeId: 'E1', attributes: { department: 'Finance', division: 'EMEA' } },
    ]);
  });

  it('refuses a CSV attribute column whose key is not a plain name', () => {
    expect(rosterProblems('employeeId,attributes.1st\nE1,x', 'csv')).toContain(
      'CSV column "attributes.1st": an attribute key must be a letter',
    );
    expect(rosterProblems('employeeId,attributes.\nE1,x', 'csv')).toContain(
      'an attribute key must be a letter',
    );
  });

  it('refuses a column named twice, which would let one cell silently win', () => {
    expect(rosterProblems('employeeId,attributes.title,attributes.title\nE1,a,b', 'csv')).toContain(
      'CSV column attributes.title appears twice',
    );
    expect(rosterProblems('employeeId,userName,username\nE1,a,b', 'csv')).toContain(
      'CSV column userName appears twice',
    );
  });

  it('names the row and the attribute of a bad value', () => {
    const problems = rosterProblems(
      JSON.stringify([{ employeeId: 'E1' }, { employeeId: 'E2', attributes: { title: 'x'.repeat(600) } }]),
      'json',
    );
    expect(problems).toContain('people[1]');
    expect(problems).toContain('attributes.title');
    expect(problems).toContain('at most 512 characters');
    const csv = rosterProblems(`employeeId,attributes.title\nE1,ok\nE2,${'y'.repeat(600)}`, 'csv');
    expect(csv).toContain('line 3');
    expect(csv).toContain('at most 512 characters');
  });

  it('mentions attribute columns when a column is not known', () => {
    expect(rosterProblems('employeeId,department\nE1,x', 'csv')).toContain('attributes.<key>');
  });
});
