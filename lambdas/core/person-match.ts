// Which of the person's attributes identifies them at a target, per its match attribute.
import type { MatchAttribute } from './config.ts';
import type { Person } from './event.ts';

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
