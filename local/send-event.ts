// What `scimitar send` and the demo post to the local ingest endpoint: a lifecycle event in the
// format of the chosen source (scimitar's generic event, or a BambooHR field-based webhook
// delivery), signed with that source's scheme and key, as the HRIS would.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { GENERIC_SIGNATURE_HEADER, signBambooHR, signGeneric } from '../lambdas/core/ingest/signature.ts';
import { type ScimitarConfig, type SourceConfig, sourceSecretName } from '../lambdas/core/model/config.ts';
import { ScimitarError } from '../lambdas/core/model/errors.ts';

/** A command-line mistake or an unreachable runtime: printed as one line, exit code 1 (or the one given). */
export class UsageError extends ScimitarError {
  constructor(
    message: string,
    /** The process's exit code: 2 for a command called without what it needs. @default 1 */
    readonly exitCode = 1,
  ) {
    super(message);
    this.name = 'UsageError';
  }
}

export interface PersonFields {
  readonly employeeId: string;
  readonly userName?: string | undefined;
  readonly email?: string | undefined;
  readonly externalId?: string | undefined;
  readonly displayName?: string | undefined;
  /** HR attributes (department, title, ...): for a change, all of them after the change. */
  readonly attributes?: Readonly<Record<string, string>> | undefined;
}

export interface EventFields {
  readonly eventId?: string | undefined;
  readonly effectiveAt?: string | undefined;
  readonly kind?: string | undefined;
  readonly terminationType?: string | undefined;
  /** An operator's revoke-now: the lanes go to the targets' priority queues (generic sources only). */
  readonly urgent?: boolean | undefined;
  readonly person: PersonFields;
}

/** The source a command sends as: the one named, else the first generic one, else the first. */
export function chooseSource(config: ScimitarConfig, sourceId: string | undefined): SourceConfig {
  const source = sourceId
    ? config.sources.find((s) => s.id === sourceId)
    : (config.sources.find((s) => s.kind === 'generic') ?? config.sources[0]);
  if (!source) {
    throw new UsageError(
      `no source "${sourceId}" in the config; sources: ${config.sources.map((s) => s.id).join(', ')}`,
    );
  }
  return source;
}

function genericBody(source: SourceConfig, fields: EventFields, eventId: string): string {
  const kind = fields.kind ?? 'termination';
  const { person } = fields;
  return JSON.stringify({
    eventId,
    source: source.id,
    occurredAt: new Date().toISOString(),
    ...(fields.effectiveAt ? { effectiveAt: fields.effectiveAt } : {}),
    kind,
    ...(kind === 'termination' ? { terminationType: fields.terminationType ?? 'voluntary' } : {}),
    ...(fields.urgent ? { urgent: true } : {}),
    person: {
      employeeId: person.employeeId,
      ...(person.userName ? { userName: person.userName } : {}),
      ...(person.email ? { emails: [person.email] } : {}),
      ...(person.externalId ? { externalId: person.externalId } : {}),
      ...(person.displayName ? { displayName: person.displayName } : {}),
      ...(person.attributes ? { attributes: person.attributes } : {}),
    },
  });
}

/** BambooHR's webhook timestamp: `2026-11-28T08:58:00+0000`. */
function bambooTimestamp(at: Date): string {
  return `${at.toISOString().slice(0, 19)}+0000`;
}

/**
 * A BambooHR field-based delivery of one termination (or its rescind: status back to active). BambooHR carries one Work Email (scimitar's
 * userName and email) and derives the event id from the change, so a repeat is a duplicate.
 */
function bambooHRBody(source: SourceConfig, fields: EventFields): string {
  const { person } = fields;
  const problems: string[] = [];
  const kind = fields.kind ?? 'termination';
  if (kind !== 'termination' && kind !== 'rescind')
    problems.push(
      `a BambooHR source sends terminations and rescinds only; --kind ${fields.kind} needs a generic source`,
    );
  if (fields.urgent)
    problems.push(
      'a BambooHR delivery cannot ask for revoke-now (BambooHR has no such field); use a generic source',
    );
  if (fields.eventId)
    problems.push(
      'BambooHR derives the event id from the change; leave out --event-id (or use a generic source)',
    );
  if (person.userName && person.email && person.userName !== person.email)
    problems.push(
      'a BambooHR delivery carries one Work Email, used as userName and email; give --email only',
    );
  if (problems.length > 0)
    throw new UsageError(`cannot send as BambooHR source "${source.id}": ${problems.join('; ')}`);
  const workEmail = person.email ?? person.userName;
  const effective = fields.effectiveAt ? new Date(fields.effectiveAt) : new Date();
  if (Number.isNaN(effective.getTime()))
    throw new UsageError(`--effective-at ${fields.effectiveAt} is not a date`);
  const names = person.displayName?.split(' ') ?? [];
  // A rescind is the status back to active and the date cleared: BambooHR posts the changed
  // fields and their values now.
  const changed =
    kind === 'rescind'
      ? { 'Employment Status': 'Active', 'Termination Date': '' }
      : {
          'Employment Status': 'Terminated',
          'Termination Date': effective.toISOString().slice(0, 10),
          'Termination Type': fields.terminationType === 'involuntary' ? 'Involuntary' : 'Voluntary',
        };
  return JSON.stringify({
    employees: [
      {
        id: person.employeeId,
        action: 'Updated',
        timestamp: bambooTimestamp(new Date()),
        changedFields: ['Employment Status', 'Termination Date'],
        fields: {
          ...changed,
          ...(workEmail ? { 'Work Email': workEmail } : {}),
          ...(person.externalId ? { 'Employee #': person.externalId } : {}),
          ...(names.length > 1 ? { 'First Name': names[0], 'Last Name': names.slice(1).join(' ') } : {}),
        },
      },
    ],
  });
}

/** The body a source expects for this event. `eventId` is used where the format carries one. */
export function eventBody(source: SourceConfig, fields: EventFields, eventId: string): string {
  if (source.kind !== 'bamboohr' && source.kind !== 'generic') {
    throw new UsageError(
      `send speaks the generic and BambooHR schemes; source "${source.id}" is ${source.kind}: send to a generic source, or post a delivery built by local/fakes/hr-webhooks.ts (docs/ingest.md)`,
    );
  }
  return source.kind === 'bamboohr' ? bambooHRBody(source, fields) : genericBody(source, fields, eventId);
}

export function signingKey(source: SourceConfig, dataDir: string): string {
  const file = join(dataDir, 'secrets.json');
  const secrets = existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as Record<string, string>) : {};
  const key = secrets[sourceSecretName(source)];
  if (!key)
    throw new UsageError(`no signing key for source "${source.id}" in ${file}; start the runtime once first`);
  return key;
}

export interface IngestAnswer {
  readonly status: number;
  readonly body: {
    eventId?: string;
    executions?: { eventId: string; executionArn: string; duplicate: boolean }[];
    message?: string;
    [key: string]: unknown;
  };
}

/** Signs a body with the source's scheme and key, and posts it to the runtime's ingest endpoint. */
export async function postEvent(
  url: string,
  source: SourceConfig,
  dataDir: string,
  body: string,
): Promise<IngestAnswer> {
  const key = signingKey(source, dataDir);
  const now = new Date();
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (source.kind === 'bamboohr') Object.assign(headers, signBambooHR(body, key, now));
  else headers[GENERIC_SIGNATURE_HEADER] = signGeneric(body, key, now);
  const response = await fetch(`${url}/events/${encodeURIComponent(source.id)}`, {
    method: 'POST',
    headers,
    body,
  }).catch(() => {
    throw new UsageError(notAnswering(url));
  });
  return { status: response.status, body: (await response.json().catch(() => ({}))) as IngestAnswer['body'] };
}

/** What to check when nothing answers at the runtime's URL. */
export function notAnswering(url: string): string {
  return `no scimitar runtime answers at ${new URL(url).origin} (connection refused): start one with \`npm start\`, or check the port it printed and pass --url (or SCIMITAR_URL)`;
}
