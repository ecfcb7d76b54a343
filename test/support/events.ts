// What an e2e test reads about an event, through the runtime's HTTP API as the CLI reads it:
// its execution (the latest attempt), every attempt, and its audit trail.
import type { AuditEntry } from '../../lambdas/core/model/audit.ts';
import { eventually } from './eventually.ts';

export interface ExecutionView {
  readonly name: string;
  readonly executionArn: string;
  readonly status: 'RUNNING' | 'SUCCEEDED' | 'FAILED' | 'ABORTED';
  readonly error?: string;
  readonly output?: unknown;
}

export interface EventView {
  readonly eventId: string;
  readonly attempts: { name: string; status: ExecutionView['status']; error?: string }[];
  readonly execution: ExecutionView | null;
  readonly audit: AuditEntry[];
}

/** `GET /_local/events/{eventId}`: the event's execution, attempts and audit entries. */
export async function eventView(runtime: { readonly url: string }, eventId: string): Promise<EventView> {
  const response = await fetch(`${runtime.url}/_local/events/${encodeURIComponent(eventId)}`);
  if (!response.ok) throw new Error(`GET /_local/events/${eventId}: HTTP ${response.status}`);
  return (await response.json()) as EventView;
}

/** The event's execution once it has ended (its latest attempt). */
export async function endedExecution(
  runtime: { readonly url: string },
  eventId: string,
  timeoutMs?: number,
): Promise<ExecutionView> {
  let last: EventView | undefined;
  return eventually(
    `the execution of event ${eventId} to end`,
    async () => {
      last = await eventView(runtime, eventId);
      return last.execution && last.execution.status !== 'RUNNING' ? last.execution : undefined;
    },
    { ...(timeoutMs ? { timeoutMs } : {}), seen: () => last?.execution ?? 'no execution' },
  );
}

/** Audit entries as `STEP` or `STEP:target`, in order. */
export function steps(audit: readonly AuditEntry[]): string[] {
  return audit.map((e) => `${e.step}${e.targetId ? `:${e.targetId}` : ''}`);
}
