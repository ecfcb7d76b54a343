// The HR roster for the local runtime: a CSV or JSON export on disk (same formats as the upload API).
// Read at every reconciliation, so replacing the file is the local "upload". The export's time is the
// JSON's asOf, else the file's modification time.
import { existsSync, readFileSync, statSync } from 'node:fs';
import { parseRoster, type Roster, RosterSource } from '../lambdas/core/roster.ts';

export class FileRosterSource extends RosterSource {
  constructor(private readonly path: string) {
    super();
  }

  async current(): Promise<Roster | undefined> {
    if (!existsSync(this.path)) return undefined;
    const format = this.path.toLowerCase().endsWith('.csv') ? 'csv' : 'json';
    const asOf = statSync(this.path).mtime.toISOString();
    return parseRoster(readFileSync(this.path, 'utf8'), format, { asOf, now: new Date() });
  }
}
