// What `scimitar send` posts for the lifecycle, read back by the source's own parser: a BambooHR
// rescind is a status back to active, a generic rescind and a reschedule are what ingest expects.
import { describe, expect, it } from 'vitest';
import { parseBambooHRPayload } from '../../../lambdas/core/ingest/bamboohr.ts';
import { parseGenericPayload } from '../../../lambdas/core/ingest/sources.ts';
import type { SourceConfig } from '../../../lambdas/core/model/config.ts';
import { attributesOf } from '../../../local/cli/event-commands.ts';
import { eventBody } from '../../../local/send-event.ts';

const source = (kind: 'bamboohr' | 'generic'): SourceConfig => ({
  id: kind,
  kind,
  toleranceSeconds: 300,
  secretName: `scimitar/sources/${kind}`,
  existingSecret: false,
});
const receivedAt = new Date('2026-11-28T09:00:00Z');
const person = { employeeId: '42', email: 'ada@example.com' };

describe('send: lifecycle events as each source sends them', () => {
  it('sends a BambooHR rescind as Employment Status back to active, which the parser reads as a rescind', () => {
    const bamboohr = source('bamboohr');
    const body = JSON.parse(eventBody(bamboohr, { kind: 'rescind', person }, 'unused'));
    const { events } = parseBambooHRPayload(body, { source: bamboohr, receivedAt, signedAt: receivedAt });
    expect(events.map((e) => [e.kind, e.person.employeeId])).toEqual([['rescind', '42']]);
  });

  it('sends a generic rescind without a termination type, and a reschedule with the new effectiveAt', () => {
    const generic = source('generic');
    const context = { source: generic, receivedAt, signedAt: receivedAt };
    const rescind = parseGenericPayload(
      JSON.parse(eventBody(generic, { kind: 'rescind', person }, 'r1')),
      context,
    );
    expect(rescind.events.map((e) => [e.kind, e.terminationType])).toEqual([['rescind', undefined]]);
    const later = '2027-03-31T17:00:00.000Z';
    const moved = parseGenericPayload(
      JSON.parse(eventBody(generic, { effectiveAt: later, person }, 't2')),
      context,
    );
    expect(moved.events.map((e) => [e.kind, e.terminationType, e.effectiveAt])).toEqual([
      ['termination', 'voluntary', later],
    ]);
  });

  it('refuses a BambooHR hire, naming the generic source it needs', () => {
    expect(() => eventBody(source('bamboohr'), { kind: 'hire', person }, 'x')).toThrow(
      /sends terminations and rescinds only; --kind hire needs a generic source/,
    );
  });

  it('sends a revoke-now as a generic involuntary termination with urgent: true, which the parser keeps', () => {
    const generic = source('generic');
    const body = JSON.parse(
      eventBody(generic, { kind: 'termination', terminationType: 'involuntary', urgent: true, person }, 'u1'),
    );
    const { events } = parseGenericPayload(body, { source: generic, receivedAt, signedAt: receivedAt });
    expect(events.map((e) => [e.kind, e.terminationType, e.urgent])).toEqual([
      ['termination', 'involuntary', true],
    ]);
  });

  it('refuses a revoke-now as a BambooHR delivery, which has no field for it', () => {
    expect(() => eventBody(source('bamboohr'), { urgent: true, person }, 'x')).toThrow(
      /cannot ask for revoke-now .*use a generic source/,
    );
  });

  it('refuses a source of a push kind it does not speak, saying what to use instead', () => {
    const hibob = { ...source('generic'), id: 'hibob', kind: 'hibob' } as SourceConfig;
    expect(() => eventBody(hibob, { person }, 'x')).toThrow(
      /send speaks the generic and BambooHR schemes.*hr-webhooks/,
    );
  });
});

describe('send: a mover’s change', () => {
  it('sends --kind change with the attributes given, which the generic parser accepts', () => {
    const generic = source('generic');
    const fields = {
      kind: 'change',
      person: { ...person, ...attributesOf(['department=Sales', 'title=AE=2']) },
    };
    const { events } = parseGenericPayload(JSON.parse(eventBody(generic, fields, 'c1')), {
      source: generic,
      receivedAt,
      signedAt: receivedAt,
    });
    expect(events.map((e) => [e.kind, e.person.attributes])).toEqual([
      ['change', { department: 'Sales', title: 'AE=2' }],
    ]);
  });

  it('refuses an --attribute without KEY=VALUE, saying what to give', () => {
    expect(() => attributesOf(['department'])).toThrow(/give KEY=VALUE/);
    expect(() => attributesOf(['=Sales'])).toThrow(/give KEY=VALUE/);
  });
});
