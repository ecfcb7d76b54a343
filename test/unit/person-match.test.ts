import { describe, expect, it } from 'vitest';
import { parseLifecycleEvent } from '../../lambdas/core/model/event.ts';
import { eventMatch } from '../../lambdas/core/targets/person-match.ts';

const event = (person: Record<string, unknown>) =>
  parseLifecycleEvent({
    eventId: 'evt-match',
    source: 'generic',
    occurredAt: '2026-11-28T09:00:00Z',
    kind: 'termination',
    terminationType: 'involuntary',
    person: { employeeId: 'E1', ...person },
  });

describe('person match: an event by one attribute', () => {
  it('gives the value the person is matched by', () => {
    expect(eventMatch(event({ userName: ' ada ' }), 'userName')).toEqual({ kind: 'value', value: 'ada' });
    expect(eventMatch(event({ emails: ['a@example.com', 'b@example.com'] }), 'email')).toEqual({
      kind: 'value',
      value: 'a@example.com',
    });
  });

  it('falls back to the employeeId for externalId only when the HRIS gave no externalId', () => {
    expect(eventMatch(event({}), 'externalId')).toEqual({ kind: 'value', value: 'E1' });
  });

  it('refuses to fall back to the employeeId when the given externalId was unusable', () => {
    const match = eventMatch(event({ externalId: 'x\uFFFF' }), 'externalId');
    expect(match.kind).toBe('unusable');
    expect(match.kind === 'unusable' && match.fields[0]?.field).toBe('person.externalId');
  });

  it('refuses to match by e-mail when any address was unusable (which one a target holds is unknown)', () => {
    const match = eventMatch(event({ emails: ['a@example.com', 'n/a'] }), 'email');
    expect(match.kind).toBe('unusable');
  });

  it('says when the HRIS gave no value at all', () => {
    expect(eventMatch(event({}), 'userName')).toEqual({ kind: 'missing' });
  });
});
