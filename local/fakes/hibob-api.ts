// A fake HiBob API for the roster pull: POST /v1/people/search only, HTTP Basic with the service
// user's id and token, active employees unless showInactive, the fields nested by their
// `<category>.<field>` path (root fields at the top), and 429 when scripted (HiBob's limit on
// this endpoint: 50 requests a minute). Facts: docs/roster-pull.md#hibob.
import { basicCredentials, type FakeServer, json, startFakeServer } from './http-fake.ts';

export interface FakeHiBobEmployee {
  id: string;
  email: string;
  displayName: string;
  active: boolean;
  work?: {
    department?: string;
    title?: string;
    site?: string;
    employeeIdInCompany?: number;
    reportsTo?: { id: string; displayName: string; email: string } | null;
  };
}

export interface FakeHiBobApi extends FakeServer {
  /** The API base to configure (`api.baseUrl`). */
  readonly baseUrl: string;
  readonly employees: FakeHiBobEmployee[];
}

export async function startFakeHiBobApi(options: {
  serviceUserId: string;
  token: string;
  employees: FakeHiBobEmployee[];
}): Promise<FakeHiBobApi> {
  const employees = options.employees;
  const server = await startFakeServer((req, url, body) => {
    const credentials = basicCredentials(req);
    if (credentials?.user !== options.serviceUserId || credentials.password !== options.token) {
      return { ...json(401, { error: 'Unauthorized' }), authorized: false };
    }
    if (req.method !== 'POST' || url.pathname !== '/v1/people/search')
      return json(404, { error: 'Not found' });
    let request: { fields?: unknown; showInactive?: unknown };
    try {
      request = JSON.parse(body) as typeof request;
    } catch {
      return json(400, { error: 'Invalid request body' });
    }
    const fields = Array.isArray(request.fields) ? (request.fields as string[]) : [];
    if (fields.length > 400) return json(400, { error: 'At most 400 fields' });
    const wanted = (path: string) => fields.length === 0 || fields.includes(path);
    const listed = employees.filter((e) => e.active || request.showInactive === true);
    return json(200, {
      employees: listed.map((e) => {
        const work = Object.fromEntries(Object.entries(e.work ?? {}).filter(([k]) => wanted(`work.${k}`)));
        return {
          ...(wanted('root.id') && { id: e.id }),
          ...(wanted('root.email') && { email: e.email }),
          ...(wanted('root.displayName') && { displayName: e.displayName }),
          ...(Object.keys(work).length > 0 && { work }),
        };
      }),
    });
  });
  return { ...server, baseUrl: `${server.origin}/v1`, employees };
}
