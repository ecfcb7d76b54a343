// The HR roster for the local runtime: a CSV or JSON export on disk (same formats as the upload API).
// Read at every reconciliation, so replacing the file is the local "upload". The export's time is the
// JSON's asOf, else the file's modification time.
import { existsSync, readFileSync, statSync } from 'node:fs';
import { ValidationError } from '../lambdas/core/model/errors.ts';
import { RosterSource } from '../lambdas/core/reconcile/ports.ts';
import {
  parseRoster,
  type Roster,
  RosterInvalidError,
  RosterUnavailableError,
} from '../lambdas/core/reconcile/roster.ts';

export class FileRosterSource extends RosterSource {
  constructor(
    private readonly path: string,
    /**
     * How the user supplies the file (e.g. "start with --roster FILE"): with it, a missing file is
     * a RosterUnavailableError that names the path and the hint. @default - a missing file is no roster
     */
    private readonly options: { hint?: string } = {},
  ) {
    super();
  }

  async current(): Promise<Roster | undefined> {
    if (!existsSync(this.path)) {
      if (!this.options.hint) return undefined;
      // Locally the roster is a file, not an upload: say which file.
      throw new RosterUnavailableError(
        `no HR roster file at ${this.path}: without it no account can be called an orphan; write the HR export (CSV or JSON) there, or ${this.options.hint} (docs/reconciliation.md)`,
      );
    }
    const format = this.path.toLowerCase().endsWith('.csv') ? 'csv' : 'json';
    const asOf = statSync(this.path).mtime.toISOString();
    try {
      return parseRoster(readFileSync(this.path, 'utf8'), format, { asOf, now: new Date() });
    } catch (err) {
      const subject = `invalid roster file ${this.path}`;
      if (err instanceof RosterInvalidError) {
        throw new RosterInvalidError(err.problems, err.duplicates, { cause: err, subject });
      }
      if (err instanceof ValidationError) throw new ValidationError(subject, err.problems, { cause: err });
      throw err;
    }
  }
}
