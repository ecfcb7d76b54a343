// An operator's retry of an event whose execution failed, timed out or was aborted: the same
// workflow input runs again under the first execution's name plus `-r<attempt>`, RECEIVED
// (marked retry, with who asked) written first. Everything is read from the audit log and the
// execution's status, so it works the same on AWS and locally. Revocation is idempotent: targets
// already revoked are found inactive again.
import * as z from 'zod';
import type { WorkflowStarter } from '../ingest/ports.ts';
import { auditEntry, compareAuditEntries } from '../model/audit.ts';
import type { AuditLog, Clock } from '../model/ports.ts';
import { type ExecutionHistory, OperatorConflictError, OperatorNotFoundError } from './ports.ts';

export const retryInputSchema = z
  .object({
    eventId: z.string().min(1).max(200),
    /** Who asks: recorded in the retry's RECEIVED. */
    by: z.string().trim().min(1, 'must name who asks').max(500),
  })
  .strict();
export type RetryInput = z.infer<typeof retryInputSchema>;

export interface RetryDeps {
  readonly audit: AuditLog;
  readonly executions: ExecutionHistory;
  readonly workflows: WorkflowStarter;
  readonly clock: Clock;
}

export interface RetryOutcome {
  readonly eventId: string;
  readonly attempt: number;
  readonly executionName: string;
  readonly executionArn: string;
  readonly retryOf: string;
}

const receivedSchema = z.object({
  executionName: z.string().min(1),
  retry: z.literal(true).optional(),
  /** The event as ingest (or revoke-now) normalised it; a retry's RECEIVED has none. */
  event: z
    .object({ person: z.object({ employeeId: z.string() }) })
    .passthrough()
    .optional(),
});

export async function retryEvent(input: RetryInput, deps: RetryDeps): Promise<RetryOutcome> {
  const { eventId, by } = input;
  const received = (await deps.audit.forEvent(eventId))
    .filter((e) => e.step === 'RECEIVED')
    .sort(compareAuditEntries)
    .flatMap((e) => {
      const detail = receivedSchema.safeParse(e.detail);
      return detail.success ? [{ entry: e, detail: detail.data }] : [];
    });
  const first = received.find((r) => !r.detail.retry);
  const event = first?.detail.event;
  const latest = received.at(-1);
  if (!first || !event || !latest) {
    throw new OperatorNotFoundError(
      `no event "${eventId}" was received (no RECEIVED entry in the audit log)`,
    );
  }
  const latestName = latest.detail.executionName;
  const status = await deps.executions.status(latestName);
  if (status === undefined) {
    throw new OperatorConflictError(
      `event "${eventId}" has no execution ${latestName} yet (a termination scheduled for later, or still starting): nothing to retry; see \`scimitar status ${eventId}\``,
    );
  }
  if (status === 'RUNNING' || status === 'PENDING_REDRIVE') {
    throw new OperatorConflictError(
      `execution ${latestName} of event "${eventId}" is still running: nothing to retry yet; follow it with \`scimitar status ${eventId}\``,
    );
  }
  if (status === 'SUCCEEDED') {
    throw new OperatorConflictError(
      `execution ${latestName} of event "${eventId}" succeeded: nothing to retry`,
    );
  }
  const attempt = received.length + 1;
  const name = `${first.detail.executionName}-r${attempt}`;
  const now = deps.clock.now();
  // Evidence first, as ingest does: the retry is on record before it runs.
  await deps.audit.append(
    auditEntry(
      {
        eventId,
        step: 'RECEIVED',
        personId: event.person.employeeId,
        actor: 'operator',
        detail: {
          retry: true,
          attempt,
          executionName: name,
          retryOf: latestName,
          retryOfStatus: status,
          requestedBy: by,
        },
      },
      now,
    ),
  );
  const started = await deps.workflows.start(name, { event, receivedAt: first.entry.at });
  return { eventId, attempt, executionName: name, executionArn: started.executionArn, retryOf: latestName };
}
