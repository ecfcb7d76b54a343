// The active people of a BambooHR company, from its custom report API:
// POST <api>/<companyDomain>/v1/reports/custom?format=JSON&onlyCurrent=true with the fields wanted,
// authenticated with HTTP Basic, the API key as user name and "x" as password. Sources in
// docs/roster-pull.md#bamboohr.
import type { PulledApiSourceConfig } from '../model/config.ts';
import { basicAuthorization, type HrisReader, PullError } from './hris-request.ts';
import { rosterRow, valueText } from './roster-rows.ts';

/** The report's fields: BambooHR's field names (the same the webhook parser reads). */
export const BAMBOOHR_ROSTER_FIELDS = [
  'id',
  'employeeNumber',
  'displayName',
  'firstName',
  'lastName',
  'workEmail',
  'status',
  'department',
  'jobTitle',
  'supervisorEId',
  'division',
  'location',
  'employmentHistoryStatus',
] as const;

type BambooHRSource = Extract<PulledApiSourceConfig, { kind: 'bamboohr' }>;

/** The report's URL for the source. */
export function bambooHRReportUrl(source: BambooHRSource): string {
  const api = requireApi(source);
  const base = api.baseUrl.replace(/\/+$/, '');
  return `${base}/${encodeURIComponent(api.companyDomain)}/v1/reports/custom?format=JSON&onlyCurrent=true`;
}

/** The rows of every active employee (status Active), for the roster's validation. */
export async function readBambooHRPeople(
  source: BambooHRSource,
  apiKey: string,
  reader: HrisReader,
): Promise<Record<string, unknown>[]> {
  const api = requireApi(source);
  const answer = await reader.json({
    who: `bamboohr source "${source.id}"`,
    method: 'POST',
    url: bambooHRReportUrl(source),
    authorization: basicAuthorization(apiKey.trim(), 'x'),
    body: JSON.stringify({ title: 'scimitar roster', fields: BAMBOOHR_ROSTER_FIELDS }),
    credential: `the API key in secret ${api.secretName}`,
    secrets: [apiKey.trim()],
  });
  const employees = (answer as { employees?: unknown } | null)?.employees;
  if (!Array.isArray(employees)) {
    throw new PullError(
      `bamboohr source "${source.id}": the report answer has no "employees" list; check companyDomain "${api.companyDomain}"`,
    );
  }
  return employees
    .filter((e) => valueText((e as Record<string, unknown>)?.status)?.toLowerCase() !== 'inactive')
    .map((e) => bambooHRRow(e as Record<string, unknown>));
}

function bambooHRRow(e: Record<string, unknown>): Record<string, unknown> {
  const field = (name: string) => valueText(e?.[name]);
  const workEmail = field('workEmail');
  const named = [field('firstName'), field('lastName')].filter(Boolean).join(' ');
  return rosterRow({
    employeeId: field('id'),
    // As the webhook parser does: the Work Email is the userName, the employee number the externalId.
    userName: workEmail,
    email: workEmail,
    externalId: field('employeeNumber'),
    displayName: field('displayName') ?? (named || undefined),
    attributes: {
      department: field('department'),
      title: field('jobTitle'),
      managerId: field('supervisorEId'),
      division: field('division'),
      location: field('location'),
      employmentType: field('employmentHistoryStatus'),
    },
  });
}

function requireApi(source: BambooHRSource): NonNullable<BambooHRSource['api']> & { secretName: string } {
  if (!source.api?.secretName) {
    throw new PullError(
      `bamboohr source "${source.id}" has no api block: it cannot be read (docs/roster-pull.md)`,
    );
  }
  return source.api as NonNullable<BambooHRSource['api']> & { secretName: string };
}
