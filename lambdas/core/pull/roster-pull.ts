// The roster pulled from the HRIS: the active people of the configured source (BambooHR's custom
// report, HiBob's people search, Workday's report of active workers) replace the roster exactly as
// an upload does: the same validation (a roster with one bad row is refused whole) and the same
// store. Nothing is replaced when the read or the validation fails; the failure is thrown, so the
// function's Errors alarm fires (docs/operations.md#roster-pull-failed).
import type { SecretSource } from '../credentials/secret-source.ts';
import type { ScimitarConfig, SourceConfig } from '../model/config.ts';
import type { Clock } from '../model/ports.ts';
import type { RosterStore, StoredRoster } from '../reconcile/ports.ts';
import { parseRoster, RosterInvalidError } from '../reconcile/roster.ts';
import { readBambooHRPeople } from './bamboohr-api.ts';
import { readHiBobPeople } from './hibob-api.ts';
import { type HrisReader, PullError } from './hris-request.ts';
import { readWorkdayReport, workdayRosterRows } from './workday.ts';

export interface RosterPullDeps {
  readonly config: Pick<ScimitarConfig, 'roster' | 'sources'>;
  readonly store: RosterStore;
  readonly secrets: SecretSource;
  readonly reader: HrisReader;
  readonly clock: Clock;
}

export interface RosterPullOutcome extends StoredRoster {
  readonly sourceId: string;
}

export class RosterPull {
  constructor(private readonly deps: RosterPullDeps) {}

  /** Reads the source's active people and replaces the roster. @throws PullError, RosterInvalidError */
  async pull(): Promise<RosterPullOutcome> {
    const { roster } = this.deps.config;
    if (!roster) throw new PullError('no roster pull is configured (config roster.source)');
    const source = this.deps.config.sources.find((s) => s.id === roster.source);
    if (!source) throw new PullError(`roster.source "${roster.source}" names no configured source`);
    // The export's time is when the read began: a leaver recorded after it is still a leaver.
    const asOf = this.deps.clock.now();
    const people = await this.read(source);
    let parsed: ReturnType<typeof parseRoster>;
    try {
      parsed = parseRoster(JSON.stringify({ asOf: asOf.toISOString(), people }), 'json', { now: asOf });
    } catch (err) {
      if (err instanceof RosterInvalidError) {
        throw new RosterInvalidError(err.problems, err.duplicates, {
          cause: err,
          subject: `the roster pulled from ${source.kind} source "${source.id}" was refused; the roster in place stays`,
        });
      }
      throw err;
    }
    const stored = await this.deps.store.replace(parsed);
    return { ...stored, sourceId: source.id };
  }

  private async read(source: SourceConfig): Promise<Record<string, unknown>[]> {
    const { secrets, reader } = this.deps;
    switch (source.kind) {
      case 'bamboohr':
        return readBambooHRPeople(source, await secrets.read(apiSecret(source)), reader);
      case 'hibob':
        return readHiBobPeople(source, await secrets.read(apiSecret(source)), reader);
      case 'workday': {
        if (!source.rosterReport) throw new PullError(`workday source "${source.id}" has no rosterReport`);
        const answer = await readWorkdayReport(
          source,
          source.rosterReport,
          {},
          await secrets.read(source.secretName),
          reader,
        );
        return workdayRosterRows(answer, source);
      }
      default:
        throw new PullError(
          `source "${source.id}" is ${source.kind}: a roster is pulled from bamboohr, hibob or workday`,
        );
    }
  }
}

function apiSecret(source: Extract<SourceConfig, { kind: 'bamboohr' | 'hibob' }>): string {
  const name = source.api?.secretName;
  if (!name)
    throw new PullError(`${source.kind} source "${source.id}" has no api block (docs/roster-pull.md)`);
  return name;
}
