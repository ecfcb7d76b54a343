// A Workday source's terminations, polled: read the window from the cursor (less an overlap, so a
// late-committed event is not missed) to now, hand the rows to the ingest core as a pushed delivery
// would be (same parser registry, screening, RECEIVED, lifecycle), then move the cursor. Nothing
// moves when anything fails: the next poll reads the same window again, and events already
// recorded are recognised by their ids (here, and by ingest's conditional RECEIVED).
import { createHash } from 'node:crypto';
import type { SecretSource } from '../credentials/secret-source.ts';
import type { IngestOutcome, Ingestor } from '../ingest/ingest.ts';
import type { SourceConfig, WorkdaySourceConfig } from '../model/config.ts';
import type { Clock } from '../model/ports.ts';
import { type HrisReader, PullError } from './hris-request.ts';
import type { PollCursors } from './ports.ts';
import { readWorkdayReport, reportEntries } from './workday.ts';

/** Event ids remembered from the overlap; beyond this the ingest core's dedupe is the only guard. */
const MAX_RECENT = 2000;

export interface TerminationPollDeps {
  readonly sources: readonly SourceConfig[];
  readonly cursors: PollCursors;
  readonly ingestor: Pick<Ingestor, 'ingestPulled'>;
  readonly secrets: SecretSource;
  readonly reader: HrisReader;
  readonly clock: Clock;
}

export interface PollOutcome {
  readonly sourceId: string;
  readonly window: { readonly from: string; readonly to: string };
  /** Rows the report answered. */
  readonly rows: number;
  /** Events skipped because the previous poll read them (the overlap). */
  readonly alreadyRead: number;
  readonly ingest: IngestOutcome;
  /** false when another poll moved the cursor first (both read the window; ids dedupe). */
  readonly cursorMoved: boolean;
}

export class TerminationPoll {
  constructor(private readonly deps: TerminationPollDeps) {}

  /** Polls one source's window. @throws PullError, or the ingest core's errors (nothing moved) */
  async poll(sourceId: string): Promise<PollOutcome> {
    const source = this.pollable(sourceId);
    const terminations = source.terminations as NonNullable<WorkdaySourceConfig['terminations']>;
    const now = this.deps.clock.now();
    const cursor = await this.deps.cursors.read(source.id);
    const overlapMs = terminations.overlapMinutes * 60_000;
    const from = cursor
      ? new Date(Date.parse(cursor.through) - overlapMs)
      : new Date(now.getTime() - terminations.firstLookbackDays * 86_400_000);
    const window = { from: from.toISOString(), to: now.toISOString() };

    const secret = await this.deps.secrets.read(source.secretName);
    const answer = await readWorkdayReport(
      source,
      terminations.report,
      { [terminations.fromPrompt]: window.from, [terminations.toPrompt]: window.to },
      secret,
      this.deps.reader,
    );
    const rows = reportEntries(answer, `workday source "${source.id}"`);
    // What the previous poll read in the overlap is not handed over again.
    const recent = new Set(cursor?.recent ?? []);
    const fresh = rows.filter((row) => !recent.has(rowKey(row)));
    const ingest = await this.deps.ingestor.ingestPulled({
      sourceId: source.id,
      payload: { Report_Entry: fresh },
      now,
    });
    const overlapStart = now.getTime() - overlapMs;
    const keep = rows
      .filter((row) => entryMomentMs(source, row) >= overlapStart)
      .map((row) => rowKey(row))
      .slice(-MAX_RECENT);
    const cursorMoved = await this.deps.cursors.advance(
      { sourceId: source.id, through: window.to, recent: keep },
      cursor?.version ?? 0,
    );
    return {
      sourceId: source.id,
      window,
      rows: rows.length,
      alreadyRead: rows.length - fresh.length,
      ingest,
      cursorMoved,
    };
  }

  /** Every source this function polls. */
  static pollableSources(sources: readonly SourceConfig[]): WorkdaySourceConfig[] {
    return sources.filter(
      (s): s is WorkdaySourceConfig => s.kind === 'workday' && s.terminations !== undefined,
    );
  }

  private pollable(sourceId: string): WorkdaySourceConfig {
    const source = this.deps.sources.find((s) => s.id === sourceId);
    if (!source) throw new PullError(`no source "${sourceId.slice(0, 64)}" is configured`);
    if (source.kind !== 'workday' || !source.terminations) {
      throw new PullError(`source "${source.id}" is not a Workday source with terminations to poll`);
    }
    return source;
  }
}

/**
 * A row's identity across polls: a digest of everything it says (a correction differs), so the
 * cursor keeps no personal data.
 */
function rowKey(row: Record<string, unknown>): string {
  const canonical = JSON.stringify(
    Object.keys(row)
      .sort()
      .map((k) => [k, row[k]]),
  );
  return createHash('sha256').update(canonical).digest('hex').slice(0, 24);
}

function entryMomentMs(source: WorkdaySourceConfig, row: Record<string, unknown>): number {
  const value = row[source.columns.entryMoment];
  const at = typeof value === 'string' ? Date.parse(value) : Number.NaN;
  // A row without a readable entry moment is kept (remembered), to be safe.
  return Number.isNaN(at) ? Number.POSITIVE_INFINITY : at;
}
