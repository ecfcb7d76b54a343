// Which of the person's attributes identifies them at a target, per its match attribute.
import type { MatchAttribute } from '../model/config.ts';
import type { LifecycleEvent, Person, UnusableMatchField } from '../model/event.ts';

/** The person's value for a target's match attribute, or undefined when the HRIS gave none. */
export function matchValueFor(person: Person, attribute: MatchAttribute): string | undefined {
  switch (attribute) {
    case 'userName':
      return person.userName;
    case 'email':
      return person.emails?.[0];
    case 'externalId':
      // The HRIS id is what IdPs usually put into externalId.
      return person.externalId ?? person.employeeId;
  }
}

/** How an event's person can be matched by one attribute. */
export type EventMatch =
  | { readonly kind: 'value'; readonly value: string }
  /** The HRIS gave no value for the attribute. */
  | { readonly kind: 'missing' }
  /** The HRIS gave a value ingest set aside as unusable: never fall back to another value. */
  | { readonly kind: 'unusable'; readonly fields: readonly UnusableMatchField[] };

export function eventMatch(event: LifecycleEvent, attribute: MatchAttribute): EventMatch {
  const unusable = (event.unusableMatchFields ?? []).filter((u) => u.attribute === attribute);
  if (unusable.length > 0) return { kind: 'unusable', fields: unusable };
  const value = matchValueFor(event.person, attribute);
  return value === undefined ? { kind: 'missing' } : { kind: 'value', value };
}
