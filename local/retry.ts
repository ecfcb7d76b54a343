// Retrying a failed execution locally: the same workflow input runs again under a new execution
// name (the original's, derived from the source and event id, plus `-r<attempt>`), audited as an
// operator's retry. Revocation is idempotent: targets already revoked are found inactive again.
import { auditEntry } from '../lambdas/core/model/audit.ts';
import { ScimitarError } from '../lambdas/core/model/errors.ts';
import type { AuditLog, Clock } from '../lambdas/core/model/ports.ts';
import type { ExecutionRecord, LocalWorkflow } from './workflow.ts';

/** A retry that cannot start: the execution is running or succeeded. */
export class RetryRefusedError extends ScimitarError {
  constructor(message: string) {
    super(message);
    this.name = 'RetryRefusedError';
  }
}

/** No execution for the event. */
export class UnknownEventError extends ScimitarError {
  constructor(eventId: string) {
    super(`no execution for event "${eventId}" in the local runtime`);
    this.name = 'UnknownEventError';
  }
}

function eventIdOf(execution: ExecutionRecord): string | undefined {
  return (execution.input as { event?: { eventId?: string } } | undefined)?.event?.eventId;
}

/** Every execution of an event, the first delivery's first, then its retries in order. */
export function attemptsOf(workflow: LocalWorkflow, eventId: string): ExecutionRecord[] {
  return [...workflow.executions.values()]
    .filter((e) => eventIdOf(e) === eventId)
    .sort((a, b) => a.startedAt.localeCompare(b.startedAt));
}

export interface RetryStarted {
  readonly eventId: string;
  readonly attempt: number;
  readonly executionName: string;
  readonly executionArn: string;
  readonly retryOf: string;
}

export async function retryExecution(
  eventId: string,
  deps: { workflow: LocalWorkflow; audit: AuditLog; clock: Clock },
): Promise<RetryStarted> {
  const attempts = attemptsOf(deps.workflow, eventId);
  const [first] = attempts;
  const latest = attempts.at(-1);
  if (!first || !latest) throw new UnknownEventError(eventId);
  if (latest.status === 'RUNNING') {
    throw new RetryRefusedError(
      `execution ${latest.name} of event "${eventId}" is still running: nothing to retry yet (npm run scimitar -- status ${eventId})`,
    );
  }
  if (latest.status === 'SUCCEEDED') {
    throw new RetryRefusedError(`execution ${latest.name} of event "${eventId}" succeeded: nothing to retry`);
  }
  const attempt = attempts.length + 1;
  const name = `${first.name}-r${attempt}`;
  const input = first.input as { event: { person: { employeeId: string } } };
  // Evidence first, as ingest does: the retry is on record before it runs.
  await deps.audit.append(
    auditEntry(
      {
        eventId,
        step: 'RECEIVED',
        personId: input.event.person.employeeId,
        actor: 'operator',
        detail: {
          retry: true,
          attempt,
          executionName: name,
          retryOf: latest.name,
          retryOfStatus: latest.status,
          ...(latest.error ? { retryOfError: latest.error } : {}),
        },
      },
      deps.clock.now(),
    ),
  );
  const started = await deps.workflow.start(name, first.input);
  return { eventId, attempt, executionName: name, executionArn: started.executionArn, retryOf: latest.name };
}
