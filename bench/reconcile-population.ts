// The benchmark's people and accounts, the same in both processes: most accounts belong to active
// people; 5% are orphans, 3% belong to leavers (drift), 2% are inactive.
import type { Person } from '../lambdas/core/model/event.ts';

export interface BenchPopulation {
  readonly accounts: { userName: string; active: boolean }[];
  readonly roster: Person[];
  readonly leavers: string[];
}

export function benchPopulation(n: number): BenchPopulation {
  const accounts: { userName: string; active: boolean }[] = [];
  const roster: Person[] = [];
  const leavers: string[] = [];
  for (let i = 0; i < n; i++) {
    const userName = `person${String(i).padStart(6, '0')}@bench.example`;
    const bucket = i % 100;
    accounts.push({ userName, active: bucket >= 2 });
    if (bucket < 2 || bucket >= 10) roster.push({ employeeId: `E${i}`, userName });
    else if (bucket < 5) leavers.push(userName);
    // 5..9: orphans, in no roster and no ledger.
  }
  return { accounts, roster, leavers };
}
