// A fake BambooHR API for the roster pull: the custom report endpoint only,
// POST /api/gateway.php/<companyDomain>/v1/reports/custom?format=JSON, HTTP Basic with the API key
// as user name (any password), 401 with X-BambooHR-Error-Message otherwise, and BambooHR's
// throttle answer (503 with Retry-After) when scripted. Facts: docs/roster-pull.md#bamboohr.
import { basicCredentials, type FakeServer, json, startFakeServer } from './http-fake.ts';

/** An employee as the fake's directory holds it: BambooHR field names, `status` Active/Inactive. */
export type FakeBambooHREmployee = Record<string, string | null>;

export interface FakeBambooHRApi extends FakeServer {
  /** The API base to configure (`api.baseUrl`). */
  readonly baseUrl: string;
  readonly employees: FakeBambooHREmployee[];
}

export async function startFakeBambooHRApi(options: {
  companyDomain: string;
  apiKey: string;
  employees: FakeBambooHREmployee[];
}): Promise<FakeBambooHRApi> {
  const employees = options.employees;
  const path = `/api/gateway.php/${options.companyDomain}/v1/reports/custom`;
  const server = await startFakeServer((req, url, body) => {
    const credentials = basicCredentials(req);
    if (credentials?.user !== options.apiKey) {
      return { status: 401, headers: { 'X-BambooHR-Error-Message': 'Invalid API key' }, authorized: false };
    }
    if (req.method !== 'POST' || url.pathname !== path) return { status: 404 };
    if ((url.searchParams.get('format') ?? '').toUpperCase() !== 'JSON') {
      return { status: 400, headers: { 'X-BambooHR-Error-Message': 'Unsupported format' } };
    }
    let fields: string[];
    try {
      fields = (JSON.parse(body) as { fields: string[] }).fields;
      if (!Array.isArray(fields)) throw new Error('no fields');
    } catch {
      return { status: 400, headers: { 'X-BambooHR-Error-Message': 'Malformed report request' } };
    }
    // A custom report lists every employee, inactive ones included, with the fields asked for.
    return json(200, {
      title: 'scimitar roster',
      fields: fields.map((id) => ({ id, type: 'text', name: id })),
      employees: employees.map((e) => Object.fromEntries(fields.map((f) => [f, e[f] ?? null]))),
    });
  });
  return { ...server, baseUrl: `${server.origin}/api/gateway.php`, employees };
}
