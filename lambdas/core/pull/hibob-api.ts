// The active people of a HiBob company, from its people search API: POST <api>/people/search with
// the field ids wanted (active employees only unless showInactive), authenticated with HTTP Basic,
// the service user's id and token. One answer holds every match (no paging). Sources in
// docs/roster-pull.md#hibob.
import type { PulledApiSourceConfig } from '../model/config.ts';
import { basicAuthorization, type HrisReader, PullError } from './hris-request.ts';
import { rosterRow, valueText } from './roster-rows.ts';

/** Field ids (HiBob's `<category>.<field>` paths) the search asks for. */
export const HIBOB_ROSTER_FIELDS = [
  'root.id',
  'root.email',
  'root.displayName',
  'work.employeeIdInCompany',
  'work.department',
  'work.title',
  'work.site',
  'work.reportsTo',
] as const;

type HiBobSource = Extract<PulledApiSourceConfig, { kind: 'hibob' }>;

/** The service user's credential as the secret holds it. */
interface ServiceUser {
  serviceUserId: string;
  token: string;
}

export function parseServiceUser(secret: string, sourceId: string, secretName: string): ServiceUser {
  let parsed: unknown;
  try {
    parsed = JSON.parse(secret);
  } catch {
    parsed = undefined;
  }
  const user = parsed as Partial<ServiceUser> | undefined;
  if (typeof user?.serviceUserId !== 'string' || typeof user.token !== 'string') {
    throw new PullError(
      `hibob source "${sourceId}": secret ${secretName} must be JSON {"serviceUserId": "...", "token": "..."} (a HiBob service user)`,
    );
  }
  return { serviceUserId: user.serviceUserId, token: user.token };
}

export async function readHiBobPeople(
  source: HiBobSource,
  secret: string,
  reader: HrisReader,
): Promise<Record<string, unknown>[]> {
  const secretName = source.api?.secretName;
  if (!source.api || !secretName) {
    throw new PullError(
      `hibob source "${source.id}" has no api block: it cannot be read (docs/roster-pull.md)`,
    );
  }
  const user = parseServiceUser(secret, source.id, secretName);
  const answer = await reader.json({
    who: `hibob source "${source.id}"`,
    method: 'POST',
    url: `${source.api.baseUrl.replace(/\/+$/, '')}/people/search`,
    authorization: basicAuthorization(user.serviceUserId, user.token),
    // Display values for list fields (department, site) rather than their list item ids.
    body: JSON.stringify({ fields: HIBOB_ROSTER_FIELDS, showInactive: false, humanReadable: 'REPLACE' }),
    credential: `the service user in secret ${secretName}`,
    secrets: [user.token],
  });
  const employees = (answer as { employees?: unknown } | null)?.employees;
  if (!Array.isArray(employees)) {
    throw new PullError(`hibob source "${source.id}": the search answer has no "employees" list`);
  }
  return employees.map((e) => hibobRow((e ?? {}) as Record<string, unknown>));
}

function hibobRow(e: Record<string, unknown>): Record<string, unknown> {
  const work = (e.work ?? {}) as Record<string, unknown>;
  const reportsTo = work.reportsTo;
  const manager =
    reportsTo !== null && typeof reportsTo === 'object'
      ? valueText((reportsTo as Record<string, unknown>).id)
      : undefined;
  return rosterRow({
    // HiBob's backend id, as its webhooks name the employee.
    employeeId: valueText(e.id),
    userName: valueText(e.email),
    email: valueText(e.email),
    displayName: valueText(e.displayName),
    externalId: valueText(work.employeeIdInCompany),
    attributes: {
      department: valueText(work.department),
      title: valueText(work.title),
      location: valueText(work.site),
      managerId: manager,
    },
  });
}
