// The roster indexed for matching: which active people a target's account belongs to, by the
// target's match attribute, and the values an account or a person offers for each attribute.
import type { MatchAttribute } from '../model/config.ts';
import type { Person } from '../model/event.ts';
import { matchesExactly, type ScimAccount } from '../scim/index.ts';
import { matchValueFor } from '../targets/person-match.ts';
import type { Roster } from './roster.ts';

/**
 * The roster indexed for one target's match attribute. userName and email compare without regard to
 * case, externalId exactly (RFC 7643); the index proposes, `matchesExactly` (the SCIM client's own
 * rule for a leaver's account) decides.
 */
export class RosterIndex {
  private readonly byKey = new Map<string, Person[]>();
  private readonly employees = new Set<string>();

  constructor(
    readonly roster: Roster,
    readonly attribute: MatchAttribute,
  ) {
    for (const person of roster.people) {
      this.employees.add(person.employeeId);
      for (const value of personValues(person, attribute)) {
        const key = normalise(attribute, value);
        const list = this.byKey.get(key);
        if (list) list.push(person);
        else this.byKey.set(key, [person]);
      }
    }
  }

  /** Whether the person (by HRIS employee id) is active in the roster. */
  hasEmployee(employeeId: string): boolean {
    return this.employees.has(employeeId);
  }

  /** The active people the account belongs to by the target's match attribute (usually one). */
  match(account: ScimAccount): Person[] {
    const found = new Set<Person>();
    for (const value of accountValues(account, this.attribute)) {
      for (const person of this.byKey.get(normalise(this.attribute, value)) ?? []) {
        if (
          personValues(person, this.attribute).some((v) =>
            matchesExactly(account, { attribute: this.attribute, value: v }),
          )
        ) {
          found.add(person);
        }
      }
    }
    return [...found];
  }
}

/** The person's values for a match attribute: every email, since an account may carry any of them. */
export function personValues(person: Person, attribute: MatchAttribute): string[] {
  if (attribute === 'email') return person.emails ?? [];
  const value = matchValueFor(person, attribute);
  return value === undefined ? [] : [value];
}

export function accountValues(account: ScimAccount, attribute: MatchAttribute): string[] {
  switch (attribute) {
    case 'userName':
      return [account.userName];
    case 'email':
      return account.emails.flatMap((e) => (e.value === undefined ? [] : [e.value]));
    case 'externalId':
      return account.externalId === undefined ? [] : [account.externalId];
  }
}

export function normalise(attribute: MatchAttribute, value: string): string {
  return attribute === 'externalId' ? value : value.toLowerCase();
}
