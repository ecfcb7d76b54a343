// An operator's revoke-now: an urgent involuntary termination, effective now, created inside the
// stack (no webhook and no signing key: the caller was authorised by IAM to invoke the operator
// function). Evidence first, as ingest does: RECEIVED (source `operator`, who asked and why),
// then the termination lifecycle, which replaces a pending future termination and starts at once.
import { randomUUID } from 'node:crypto';
import * as z from 'zod';
import { executionName } from '../ingest/execution-name.ts';
import type { LifecycleOutcome, TerminationLifecycle } from '../lifecycle/lifecycle.ts';
import { auditEntry } from '../model/audit.ts';
import { type LifecycleEvent, lifecycleEventSchema, personSchema } from '../model/event.ts';
import type { WorkflowInput } from '../model/messages.ts';
import type { AuditLog, Clock } from '../model/ports.ts';
import { parseOrThrow } from '../model/validation.ts';

/** The source of every event an operator creates: in RECEIVED, the event and its execution name. */
export const OPERATOR_SOURCE = 'operator';

export const revokeNowInputSchema = z
  .object({
    person: personSchema,
    /** Who asked: recorded in RECEIVED. */
    by: z.string().trim().min(1, 'must name who asks').max(500),
    /** Why (the ticket, the incident): recorded in RECEIVED. @default - none given */
    reason: z.string().trim().min(1).max(500).optional(),
  })
  .strict();
export type RevokeNowInput = z.infer<typeof revokeNowInputSchema>;

export interface RevokeNowDeps {
  readonly audit: AuditLog;
  readonly lifecycle: Pick<TerminationLifecycle, 'apply'>;
  readonly clock: Clock;
  /** @default - `operator-<uuid>` */
  readonly newEventId?: () => string;
}

export interface RevokeNowOutcome {
  readonly eventId: string;
  readonly personId: string;
  readonly executionName: string;
  /** The execution started; absent if the lifecycle started none (a repeated or cancelled event). */
  readonly executionArn?: string;
  readonly lifecycle: LifecycleOutcome;
}

export async function revokeNow(input: RevokeNowInput, deps: RevokeNowDeps): Promise<RevokeNowOutcome> {
  const now = deps.clock.now();
  const at = now.toISOString();
  const eventId = deps.newEventId?.() ?? `${OPERATOR_SOURCE}-${randomUUID()}`;
  const event: LifecycleEvent = parseOrThrow(
    lifecycleEventSchema,
    {
      eventId,
      source: OPERATOR_SOURCE,
      occurredAt: at,
      effectiveAt: at,
      kind: 'termination',
      terminationType: 'involuntary',
      urgent: true,
      person: input.person,
    },
    'invalid revoke-now request',
  );
  const name = executionName(OPERATOR_SOURCE, eventId);
  await deps.audit.append(
    auditEntry(
      {
        eventId,
        step: 'RECEIVED',
        personId: event.person.employeeId,
        actor: 'operator',
        detail: {
          source: OPERATOR_SOURCE,
          sourceKind: OPERATOR_SOURCE,
          executionName: name,
          effectiveAt: event.effectiveAt,
          requestedBy: input.by,
          ...(input.reason && { reason: input.reason }),
          event,
        },
      },
      now,
    ),
  );
  const workflowInput: WorkflowInput = { event, receivedAt: at };
  const lifecycle = await deps.lifecycle.apply(event, name, workflowInput, now);
  return {
    eventId,
    personId: event.person.employeeId,
    executionName: name,
    ...(lifecycle.action === 'started' && { executionArn: lifecycle.executionArn }),
    lifecycle,
  };
}
