// The read-only check of a target (canary, rotation's test step, `scimitar probe`): what it says it
// supports and whether our credentials work. Never writes.
import { parseList } from './answers.ts';
import { type ScimConnection, USERS } from './connection.ts';
import { ScimError } from './errors.ts';
import type { RequestRecord } from './options.ts';
import { describeIssues, serviceProviderConfigSchema } from './responses.ts';

export interface ProbeReport {
  /** The server answered at all (any HTTP status). */
  readonly reachable: boolean;
  /** GET /Users?count=1 succeeded with the configured credentials. */
  readonly authenticated: boolean;
  readonly serviceProviderConfig?: {
    readonly patch: boolean;
    readonly filter: boolean;
    readonly bulk: boolean;
    readonly etag: boolean;
    readonly sort: boolean;
    readonly maxResults?: number;
    readonly authenticationSchemes: readonly string[];
  };
  /** One line per thing that will stop or hamper revocation on this target. */
  readonly problems: readonly string[];
  readonly requests: readonly RequestRecord[];
}

export async function probe(conn: ScimConnection): Promise<ProbeReport> {
  const requests: RequestRecord[] = [];
  const problems: string[] = [];
  let reachable = false;
  let serviceProviderConfig: ProbeReport['serviceProviderConfig'];

  try {
    const sent = await conn.send('GET', '/ServiceProviderConfig', { expect: 'json', trace: requests });
    reachable = true;
    const parsed = serviceProviderConfigSchema.safeParse(sent.json);
    if (!parsed.success) {
      problems.push(`ServiceProviderConfig is not readable: ${describeIssues(parsed.error)}`);
    } else {
      const c = parsed.data;
      serviceProviderConfig = {
        patch: c.patch?.supported ?? false,
        filter: c.filter?.supported ?? false,
        bulk: c.bulk?.supported ?? false,
        etag: c.etag?.supported ?? false,
        sort: c.sort?.supported ?? false,
        ...(c.filter?.maxResults !== undefined && { maxResults: c.filter.maxResults }),
        authenticationSchemes: (c.authenticationSchemes ?? []).flatMap((s) => (s.type ? [s.type] : [])),
      };
      problems.push(...configProblems(serviceProviderConfig, conn.quirks.maxPageSize));
    }
  } catch (err) {
    if (!(err instanceof ScimError)) throw err;
    reachable ||= err.status !== undefined;
    problems.push(`GET /ServiceProviderConfig failed: ${err.message}`);
  }

  let authenticated = false;
  try {
    const path = `${USERS}?${new URLSearchParams({ count: '1' })}`;
    const sent = await conn.send('GET', path, { expect: 'json', trace: requests });
    reachable = true;
    parseList(sent.json, 'GET', path);
    authenticated = true;
  } catch (err) {
    if (!(err instanceof ScimError)) throw err;
    reachable ||= err.status !== undefined;
    problems.push(`GET /Users?count=1 failed: ${err.message}`);
  }
  return {
    reachable,
    authenticated,
    ...(serviceProviderConfig && { serviceProviderConfig }),
    problems,
    requests,
  };
}

/** What in the server's stated features stops or hampers revocation. */
function configProblems(
  config: NonNullable<ProbeReport['serviceProviderConfig']>,
  maxPageSize: number,
): string[] {
  const problems: string[] = [];
  if (!config.patch) problems.push('PATCH not supported: scimitar cannot deactivate here');
  if (!config.filter) problems.push('filtering not supported: every find will read the whole user list');
  const max = config.maxResults;
  if (max !== undefined && max < maxPageSize) {
    problems.push(`filter.maxResults is ${max}, below quirks.maxPageSize ${maxPageSize}`);
  }
  return problems;
}
