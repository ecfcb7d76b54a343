// What every command of the CLI shares: its options, where the runtime answers, the config file,
// and calls to the runtime's local API that fail as one line a person can act on.
import type { parseArgs } from 'node:util';
import type { PendingTermination } from '../../lambdas/core/lifecycle/ports.ts';
import type { AuditEntry } from '../../lambdas/core/model/audit.ts';
import type { ScimitarConfig } from '../../lambdas/core/model/config.ts';
import { DEFAULT_CONFIG_FILE, loadConfigFile } from '../../lib/config-file.ts';
import { DEFAULT_PORT } from '../runtime-defaults.ts';
import { notAnswering, UsageError } from '../send-event.ts';

export const options = {
  config: { type: 'string' },
  port: { type: 'string' },
  'data-dir': { type: 'string' },
  persist: { type: 'boolean' },
  'no-demo-apps': { type: 'boolean' },
  roster: { type: 'string' },
  verbose: { type: 'boolean' },
  url: { type: 'string' },
  people: { type: 'string' },
  employee: { type: 'string' },
  'user-name': { type: 'string' },
  email: { type: 'string' },
  'external-id': { type: 'string' },
  source: { type: 'string' },
  'effective-at': { type: 'string' },
  'event-id': { type: 'string' },
  kind: { type: 'string' },
  'termination-type': { type: 'string' },
  restart: { type: 'boolean' },
  json: { type: 'boolean' },
  // reconcile run / reconcile coverage, without a runtime
  target: { type: 'string', multiple: true },
  secrets: { type: 'string' },
  dynamo: { type: 'string' },
  'state-table': { type: 'string' },
  'audit-table': { type: 'string' },
  sqs: { type: 'string' },
  queue: { type: 'string', multiple: true },
  list: { type: 'string' },
  // approve-burst
  all: { type: 'boolean' },
  count: { type: 'string' },
  by: { type: 'string' },
  reason: { type: 'string' },
  until: { type: 'string' },
  // a deployed stack (local/cli/stack.ts): without --stack, the local runtime at --url
  stack: { type: 'string' },
  region: { type: 'string' },
  'endpoint-url': { type: 'string' },
  // report
  from: { type: 'string' },
  to: { type: 'string' },
  format: { type: 'string' },
  out: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

export type Args = ReturnType<
  typeof parseArgs<{ options: typeof options; allowPositionals: true }>
>['values'];

export const baseUrl = (args: Args) =>
  args.url ?? process.env.SCIMITAR_URL ?? `http://127.0.0.1:${DEFAULT_PORT}`;

export async function loadConfig(args: Args): Promise<ScimitarConfig> {
  return loadConfigFile(args.config ?? process.env.SCIMITAR_CONFIG_FILE ?? DEFAULT_CONFIG_FILE);
}

/** A call to the runtime's local API; a failure is a UsageError with the status and message. */
export async function api<T>(url: string, init?: RequestInit): Promise<T> {
  let response: Response;
  try {
    response = await fetch(url, init);
  } catch {
    throw new UsageError(notAnswering(url));
  }
  const body = (await response.json().catch(() => ({}))) as T & { message?: string };
  if (!response.ok) throw new UsageError(`${response.status}: ${body.message ?? JSON.stringify(body)}`);
  return body;
}

/** `GET /_local/events/{id}`, as `status`, `send` and the demo read it. */
export interface EventStatus {
  eventId: string;
  execution: { name: string; status: string; error?: string } | null;
  audit: AuditEntry[];
  /** The person's pending termination (this event's, or the one that replaced it). */
  pending: PendingTermination | null;
}

export function eventStatus(url: string, eventId: string): Promise<EventStatus> {
  return api<EventStatus>(`${url}/_local/events/${encodeURIComponent(eventId)}`);
}

/** `?target=a&target=b` for the targets named. */
export function targetQuery(targets: readonly string[]): string {
  const query = new URLSearchParams(targets.map((id): [string, string] => ['target', id]));
  return query.size ? `?${query}` : '';
}
