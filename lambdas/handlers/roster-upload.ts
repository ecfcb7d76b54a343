// Roster upload (API Gateway proxy): an HRIS export of the active people, as JSON or CSV, replaces
// the roster the reconciler reads. The whole file is validated first; any bad row refuses it all.
import type { Logger } from '@aws-lambda-powertools/logger';
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { ValidationError } from '../core/model/errors.ts';
import type { Clock } from '../core/model/ports.ts';
import type { RosterStore } from '../core/reconcile/ports.ts';
import {
  parseRoster,
  RosterConflictError,
  type RosterFormat,
  RosterInvalidError,
} from '../core/reconcile/roster.ts';

/**
 * Largest roster body accepted, decoded (the handler answers 413 above it): under Lambda's 6 MB
 * synchronous payload limit with room for the API Gateway event around it.
 */
export const MAX_ROSTER_BYTES = 5 * 1024 * 1024;

export interface RosterUploadDeps {
  readonly store: RosterStore;
  readonly clock: Clock;
  readonly logger: Logger;
  /** Largest body accepted, decoded. @default MAX_ROSTER_BYTES (5 MiB) */
  readonly maxBytes?: number;
}

const FORMATS: Record<string, RosterFormat> = {
  'application/json': 'json',
  'text/csv': 'csv',
};

function answer(statusCode: number, body: Record<string, unknown>): APIGatewayProxyResult {
  return { statusCode, headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) };
}

function header(event: APIGatewayProxyEvent, name: string): string | undefined {
  const found = Object.entries(event.headers ?? {}).find(([key]) => key.toLowerCase() === name);
  return found?.[1] ?? undefined;
}

export function createRosterUploadHandler(deps: RosterUploadDeps) {
  const maxBytes = deps.maxBytes ?? MAX_ROSTER_BYTES;
  return async (event: APIGatewayProxyEvent): Promise<APIGatewayProxyResult> => {
    if (event.httpMethod !== 'PUT' && event.httpMethod !== 'POST') {
      return answer(405, { error: `method ${event.httpMethod} not allowed; POST the roster` });
    }
    const type = (header(event, 'content-type') ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
    const format = FORMATS[type];
    if (!format) {
      return answer(415, {
        error: `content-type ${JSON.stringify(type || 'none')} is not supported; send application/json or text/csv`,
      });
    }
    if (!event.body) return answer(400, { error: 'the body is empty; send the roster' });
    const bytes = event.isBase64Encoded ? Buffer.from(event.body, 'base64') : Buffer.from(event.body, 'utf8');
    if (bytes.length > maxBytes) {
      return answer(413, { error: `the body is ${bytes.length} bytes; at most ${maxBytes}` });
    }
    const asOf = event.queryStringParameters?.asOf;
    try {
      const roster = parseRoster(bytes.toString('utf8'), format, {
        now: deps.clock.now(),
        ...(asOf !== undefined && { asOf }),
      });
      const stored = await deps.store.replace(roster);
      deps.logger.info('roster replaced', { ...stored, format });
      return answer(201, { ...stored });
    } catch (err) {
      if (err instanceof RosterInvalidError) {
        return answer(400, {
          error: 'invalid roster',
          problems: err.problems,
          ...(err.duplicates.length > 0 && { duplicates: err.duplicates }),
        });
      }
      if (err instanceof ValidationError)
        return answer(400, { error: 'invalid roster', problems: err.problems });
      if (err instanceof RosterConflictError) return answer(409, { error: err.message });
      throw err;
    }
  };
}
