// Releasing a revocation the blast-radius guard held: an operator approves the event, APPROVED
// records who, and each held target's lane message goes to its queue again, marked approved, so
// the lane writes past the guard (and spends nothing). A rescinded termination is never released.
import * as z from 'zod';
import type { PendingTerminations } from '../lifecycle/ports.ts';
import { type AuditEntry, auditEntry } from '../model/audit.ts';
import type { ScimitarConfig } from '../model/config.ts';
import { ScimitarError } from '../model/errors.ts';
import { personSchema } from '../model/event.ts';
import { type Lane, type LaneMessage, planSchema } from '../model/messages.ts';
import type { AuditLog, Clock } from '../model/ports.ts';
import { leaverLane } from './plan.ts';
import type { LaneQueue } from './ports.ts';

export const approveInputSchema = z
  .object({
    eventId: z.string().min(1).max(200),
    /** Who approves: recorded in APPROVED. */
    approvedBy: z.string().trim().min(1).max(500),
    /** Why, in the operator's words: recorded in APPROVED. @default - "released from the blast-radius guard by an operator" */
    reason: z.string().trim().min(1).max(500).optional(),
  })
  .strict();
export type ApproveInput = z.infer<typeof approveInputSchema>;

export interface ApproveDeps {
  readonly config: Pick<ScimitarConfig, 'targets'>;
  readonly audit: AuditLog;
  readonly lanes: LaneQueue;
  readonly clock: Clock;
  /** @default - not checked (a runtime without the termination lifecycle) */
  readonly terminations?: PendingTerminations;
}

export interface ApproveOutcome {
  readonly eventId: string;
  readonly approvedBy: string;
  /** The held targets sent to their lanes again. */
  readonly targets: readonly string[];
}

/** An approval that cannot be carried out: the reason says why, for the operator. */
export class ApproveRefusedError extends ScimitarError {
  constructor(message: string) {
    super(message);
    this.name = 'ApproveRefusedError';
  }
}

const receivedSchema = z.object({ event: z.object({ person: personSchema }) });

export async function approveHeld(input: ApproveInput, deps: ApproveDeps): Promise<ApproveOutcome> {
  const { eventId, approvedBy } = input;
  const entries = await deps.audit.forEvent(eventId);
  const received = receivedSchema.safeParse(entries.find((e) => e.step === 'RECEIVED')?.detail);
  const plan = planSchema.safeParse(
    entries.find((e) => e.step === 'PLANNED' && e.actor === 'plan')?.detail?.plan,
  );
  if (!received.success || !plan.success) {
    throw new ApproveRefusedError(
      `event ${eventId} has no recorded revocation to approve (no RECEIVED and PLANNED entries)`,
    );
  }
  const person = received.data.event.person;
  const pending = await deps.terminations?.get(person.employeeId);
  if (pending?.eventId === eventId && pending.status === 'cancelled') {
    throw new ApproveRefusedError(
      `event ${eventId} was cancelled by a ${pending.cancelledBy?.kind ?? 'rescind'} at ${pending.cancelledAt}: nothing to release`,
    );
  }
  const lanes = heldLanes(entries, plan.data, deps.config);
  if (lanes.length === 0) {
    throw new ApproveRefusedError(`event ${eventId} has no revocation held by the blast-radius guard`);
  }
  const now = deps.clock.now();
  const targets = lanes.map((l) => l.targetId);
  await deps.audit.append(
    auditEntry(
      {
        eventId,
        step: 'APPROVED',
        personId: person.employeeId,
        actor: 'operator',
        detail: {
          approvedBy,
          targets,
          reason: input.reason ?? 'released from the blast-radius guard by an operator',
        },
      },
      now,
    ),
  );
  for (const lane of lanes) {
    const message: LaneMessage = {
      eventId,
      receivedAt: plan.data.receivedAt,
      dryRun: plan.data.dryRun,
      person,
      lane,
      approvedBy,
    };
    await deps.lanes.send(lane.targetId, message);
  }
  return { eventId, approvedBy, targets };
}

/**
 * The lanes of targets whose revocation was held and not verified since: held at the write (the
 * plan's lane) or, for a plan that spent the budget itself, refused by the plan (rebuilt from the
 * target's config and the match the plan recorded).
 */
function heldLanes(
  entries: readonly AuditEntry[],
  plan: z.infer<typeof planSchema>,
  config: Pick<ScimitarConfig, 'targets'>,
): Lane[] {
  const held = new Set(entries.filter((e) => e.step === 'REFUSED' && e.targetId).map((e) => e.targetId));
  for (const e of entries) if (e.step === 'VERIFIED' && e.targetId) held.delete(e.targetId);
  return [...held].flatMap((targetId) => {
    const lane = plan.lanes.find((l) => l.targetId === targetId);
    if (lane) return [lane];
    const settled = plan.settled.find((s) => s.targetId === targetId && s.status === 'refused');
    const target = config.targets.find((t) => t.id === targetId);
    if (!settled?.matchValue || (target?.kind !== 'scim' && target?.kind !== 'session')) return [];
    return [leaverLane(target, settled.matchValue)];
  });
}
