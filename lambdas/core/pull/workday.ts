// Workday, read through custom reports exposed as web services (Report-as-a-Service, RaaS):
// GET <host>/ccx/service/customreport2/<tenant>/<owner>/<report>?format=json&<prompts>, HTTP Basic
// with an integration system user, answered as {"Report_Entry": [ {<column>: <text>} ]}. Workday
// has no webhook: terminations are polled from one report (a window of entry moments), the roster
// read from another. Sources in docs/roster-pull.md#workday.
import { createHash } from 'node:crypto';
import type { IgnoredRecord, ParsedDelivery, PayloadParser, RejectedRecord } from '../ingest/delivery.ts';
import type { WorkdaySourceConfig } from '../model/config.ts';
import { ValidationError } from '../model/errors.ts';
import { type LifecycleEvent, parseLifecycleEvent } from '../model/event.ts';
import type { WorkdayColumns } from './config.ts';
import { basicAuthorization, type HrisReader, PullError } from './hris-request.ts';
import { rosterRow, valueText } from './roster-rows.ts';

/** Most rows one terminations window may hold; more means the window or the report is wrong. */
export const MAX_WORKDAY_TERMINATIONS = 5000;

interface WorkdayUser {
  username: string;
  password: string;
}

/** The integration system user as the source's secret holds it. */
export function parseWorkdayUser(secret: string, source: WorkdaySourceConfig): WorkdayUser {
  let parsed: unknown;
  try {
    parsed = JSON.parse(secret);
  } catch {
    parsed = undefined;
  }
  const user = parsed as Partial<WorkdayUser> | undefined;
  if (typeof user?.username !== 'string' || typeof user.password !== 'string') {
    throw new PullError(
      `workday source "${source.id}": secret ${source.secretName} must be JSON {"username": "ISU_...@${source.tenant}", "password": "..."}`,
    );
  }
  return { username: user.username, password: user.password };
}

/** A RaaS URL: the report path's two segments encoded, `format=json`, then the prompts. */
export function workdayReportUrl(
  source: WorkdaySourceConfig,
  report: string,
  prompts: Readonly<Record<string, string>> = {},
): string {
  const [owner, name] = report.split('/') as [string, string];
  const base = source.host.replace(/\/+$/, '');
  const query = new URLSearchParams({ format: 'json', ...prompts });
  return `${base}/ccx/service/customreport2/${encodeURIComponent(source.tenant)}/${encodeURIComponent(owner)}/${encodeURIComponent(name)}?${query}`;
}

/** Reads a report's rows. @throws PullError */
export async function readWorkdayReport(
  source: WorkdaySourceConfig,
  report: string,
  prompts: Readonly<Record<string, string>>,
  secret: string,
  reader: HrisReader,
): Promise<unknown> {
  const user = parseWorkdayUser(secret, source);
  return reader.json({
    who: `workday source "${source.id}" (report ${report})`,
    method: 'GET',
    url: workdayReportUrl(source, report, prompts),
    authorization: basicAuthorization(user.username, user.password),
    credential: `the integration system user in secret ${source.secretName}`,
    secrets: [user.password],
  });
}

/** The rows of a RaaS answer. @throws PullError when it has none of Workday's shape */
export function reportEntries(answer: unknown, who: string): Record<string, unknown>[] {
  const entries = (answer as { Report_Entry?: unknown } | null)?.Report_Entry;
  if (entries === undefined && answer !== null && typeof answer === 'object') return [];
  if (!Array.isArray(entries)) {
    throw new PullError(`${who}: the answer has no "Report_Entry" list; is the report's format json?`);
  }
  return entries.map((e) => (e !== null && typeof e === 'object' ? (e as Record<string, unknown>) : {}));
}

/** The roster's rows from the report of active workers. */
export function workdayRosterRows(answer: unknown, source: WorkdaySourceConfig): Record<string, unknown>[] {
  const c = source.columns;
  return reportEntries(answer, `workday source "${source.id}"`).map((row) => {
    const v = (column: string) => valueText(row[column]);
    return rosterRow({
      employeeId: v(c.employeeId),
      userName: v(c.userName),
      email: v(c.email),
      displayName: v(c.displayName),
      attributes: {
        department: v(c.department),
        title: v(c.title),
        managerId: v(c.managerId),
        costCenter: v(c.costCenter),
        location: v(c.location),
        division: v(c.division),
        employmentType: v(c.employmentType),
      },
    });
  });
}

const TRUE = /^(1|true|yes|y)$/i;
const FALSE = /^(0|false|no|n)$/i;

/** Workday's date (`2026-12-15`, or with its offset `2026-12-15-08:00`) as the instant it begins. */
function startOfWorkdayDate(text: string): string | undefined {
  const match = /^(\d{4}-\d{2}-\d{2})(Z|[+-]\d{2}:\d{2})?$/.exec(text);
  if (!match) return undefined;
  const iso = `${match[1]}T00:00:00${match[2] ?? 'Z'}`;
  const at = new Date(iso);
  const sameDay = new Date(`${match[1]}T00:00:00Z`).toISOString().slice(0, 10) === match[1];
  return !Number.isNaN(at.getTime()) && sameDay ? iso : undefined;
}

/**
 * The terminations report's payload parser: each row a termination (or its rescind) of one
 * worker. The event id is the source, the Workday event's reference and a digest of what it says
 * (date, rescinded): the same row read again is the same event, and ingest starts nothing twice;
 * a corrected date or a rescind is a new event, which reschedules or cancels.
 */
export const parseWorkdayTerminations: PayloadParser = (payload, { source, receivedAt }) => {
  if (source.kind !== 'workday')
    throw new Error(`parseWorkdayTerminations: source "${source.id}" is ${source.kind}`);
  const who = `workday source "${source.id}"`;
  const rows = reportEntries(payload, who);
  const out: ParsedDelivery = { events: [], ignored: [], rejected: [] };
  if (rows.length > MAX_WORKDAY_TERMINATIONS) {
    throw new PullError(
      `${who}: the terminations report answered ${rows.length} rows for one window; at most ${MAX_WORKDAY_TERMINATIONS}: check its filter`,
    );
  }
  rows.forEach((row, i) => {
    const outcome = terminationOf(row, source, source.columns, receivedAt);
    if ('event' in outcome) out.events.push(outcome.event);
    else if ('ignored' in outcome)
      out.ignored.push({ reference: `Report_Entry[${i}]`, reason: outcome.ignored });
    else
      out.rejected.push({ reference: outcome.reference ?? `Report_Entry[${i}]`, problems: outcome.problems });
  });
  return out;
};

type RowOutcome =
  | { event: LifecycleEvent }
  | { ignored: IgnoredRecord['reason'] }
  | { problems: RejectedRecord['problems']; reference?: string };

function terminationOf(
  row: Record<string, unknown>,
  source: WorkdaySourceConfig,
  c: WorkdayColumns,
  receivedAt: Date,
): RowOutcome {
  const v = (column: string) => valueText(row[column]);
  const problems: string[] = [];
  const eventRef = v(c.eventId);
  const employeeId = v(c.employeeId);
  if (!eventRef) problems.push(`column "${c.eventId}" (the termination event's reference) is missing`);
  if (!employeeId) problems.push(`column "${c.employeeId}" is missing`);
  const dateText = v(c.effectiveDate);
  const effectiveAt = dateText === undefined ? undefined : startOfWorkdayDate(dateText);
  if (dateText === undefined) problems.push(`column "${c.effectiveDate}" (the termination date) is missing`);
  else if (!effectiveAt)
    problems.push(
      `column "${c.effectiveDate}": must be a date as YYYY-MM-DD; got ${JSON.stringify(dateText.slice(0, 40))}`,
    );
  const rescindedText = v(c.rescinded);
  if (rescindedText !== undefined && !TRUE.test(rescindedText) && !FALSE.test(rescindedText))
    problems.push(
      `column "${c.rescinded}": must be 1/0 or true/false; got ${JSON.stringify(rescindedText.slice(0, 20))}`,
    );
  if (problems.length > 0 || !eventRef || !employeeId || !effectiveAt) {
    return { problems, ...(eventRef && { reference: eventRef.slice(0, 200) }) };
  }
  const rescinded = rescindedText !== undefined && TRUE.test(rescindedText);
  const involuntaryText = v(c.involuntary);
  // Anything but an explicit "not involuntary" counts as involuntary: the urgent case, as for BambooHR.
  const voluntary = involuntaryText !== undefined && FALSE.test(involuntaryText);
  const entered = v(c.entryMoment);
  const occurredAt = entered && !Number.isNaN(Date.parse(entered)) ? entered : receivedAt.toISOString();
  const digest = createHash('sha256')
    .update(JSON.stringify([employeeId, effectiveAt, rescinded]))
    .digest('hex')
    .slice(0, 16);
  const email = v(c.email);
  try {
    const event = parseLifecycleEvent({
      eventId: `${source.id}:${eventRef.slice(0, 120)}:${digest}`,
      source: source.id,
      occurredAt,
      effectiveAt,
      kind: rescinded ? 'rescind' : 'termination',
      ...(!rescinded && { terminationType: voluntary ? 'voluntary' : 'involuntary' }),
      person: {
        employeeId,
        ...(v(c.userName) && { userName: v(c.userName) }),
        ...(email && { emails: [email] }),
        ...(v(c.displayName) && { displayName: v(c.displayName) }),
      },
    });
    return { event };
  } catch (err) {
    if (err instanceof ValidationError)
      return { problems: [...err.problems], reference: eventRef.slice(0, 200) };
    throw err;
  }
}
