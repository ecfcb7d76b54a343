// The fictional company of the demo: the HR roster the demo applications are seeded from, and
// the helpers that turn a person into the accounts each demo application holds.
import type { Person } from '../lambdas/core/model/event.ts';

export interface DemoPerson extends Person {
  readonly employeeId: string;
  readonly userName: string;
  readonly displayName: string;
  readonly emails: string[];
}

const NAMES = [
  ['Ada', 'Lovelace'],
  ['Grace', 'Hopper'],
  ['Alan', 'Turing'],
  ['Katherine', 'Johnson'],
  ['Edsger', 'Dijkstra'],
  ['Barbara', 'Liskov'],
  ['Donald', 'Knuth'],
  ['Frances', 'Allen'],
  ['Ken', 'Thompson'],
  ['Radia', 'Perlman'],
  ['Tim', 'Berners-Lee'],
  ['Margaret', 'Hamilton'],
] as const;

/** `count` people: the named dozen first, then numbered ones (for benchmarks). */
export function demoPeople(count: number = NAMES.length): DemoPerson[] {
  return Array.from({ length: count }, (_, i) => {
    const [first, last] = NAMES[i] ?? ['Person', String(i + 1).padStart(5, '0')];
    const handle = `${first}.${last}`.toLowerCase().replace(/[^a-z0-9.]/g, '');
    const email = `${handle}@example.com`;
    return {
      employeeId: `E${1001 + i}`,
      userName: email,
      displayName: `${first} ${last}`,
      emails: [email],
      externalId: `E${1001 + i}`,
    };
  });
}
