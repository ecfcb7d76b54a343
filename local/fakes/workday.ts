// A fake Workday tenant for the poll and the roster pull: custom reports as web services (RaaS),
// GET /ccx/service/customreport2/<tenant>/<owner>/<report>?format=json&<prompts>, HTTP Basic with
// the integration system user, answered {"Report_Entry": [...]}. The terminations report filters
// its rows by entry moment between its two prompts; the workers report lists the active workers.
// Facts: docs/roster-pull.md#workday.
import { basicCredentials, type FakeServer, json, startFakeServer } from './http-fake.ts';

export type FakeWorkdayRow = Record<string, string>;

export interface FakeWorkday extends FakeServer {
  /** The host to configure. */
  readonly host: string;
  /** Rows of the terminations report (each with an Entry_Moment). */
  readonly terminations: FakeWorkdayRow[];
  /** Rows of the active workers report. */
  readonly workers: FakeWorkdayRow[];
  /** The prompts each terminations request carried, in order. */
  readonly windows: { from: string; to: string }[];
}

export async function startFakeWorkday(options: {
  tenant: string;
  username: string;
  password: string;
  /** `<owner>/<report>` of each report. */
  terminationsReport: string;
  workersReport: string;
  terminations?: FakeWorkdayRow[];
  workers?: FakeWorkdayRow[];
  /** @default 'Entry_Moment_From' / 'Entry_Moment_To' / 'Entry_Moment' */
  prompts?: { from: string; to: string; entryMoment: string };
}): Promise<FakeWorkday> {
  const terminations = options.terminations ?? [];
  const workers = options.workers ?? [];
  const windows: FakeWorkday['windows'] = [];
  const prompts = options.prompts ?? {
    from: 'Entry_Moment_From',
    to: 'Entry_Moment_To',
    entryMoment: 'Entry_Moment',
  };
  const base = `/ccx/service/customreport2/${options.tenant}/`;
  const server = await startFakeServer((req, url) => {
    const credentials = basicCredentials(req);
    if (credentials?.user !== options.username || credentials.password !== options.password) {
      return { ...json(401, { error: 'invalid username or password' }), authorized: false };
    }
    if (req.method !== 'GET' || !url.pathname.startsWith(base)) return json(404, { error: 'Not found' });
    const report = decodeURIComponent(url.pathname.slice(base.length));
    if (url.searchParams.get('format') !== 'json')
      return { status: 200, headers: { 'content-type': 'text/xml' }, body: '<wd:Report_Data/>' };
    if (report === options.workersReport) return json(200, { Report_Entry: workers });
    if (report !== options.terminationsReport) return json(404, { error: `report ${report} not found` });
    const from = Date.parse(url.searchParams.get(prompts.from) ?? '');
    const to = Date.parse(url.searchParams.get(prompts.to) ?? '');
    if (Number.isNaN(from) || Number.isNaN(to)) {
      return json(400, { error: `prompts ${prompts.from} and ${prompts.to} are required` });
    }
    windows.push({ from: new Date(from).toISOString(), to: new Date(to).toISOString() });
    const rows = terminations.filter((row) => {
      const at = Date.parse(row[prompts.entryMoment] ?? '');
      return at >= from && at <= to;
    });
    return json(200, { Report_Entry: rows });
  });
  return { ...server, host: server.origin, terminations, workers, windows };
}
