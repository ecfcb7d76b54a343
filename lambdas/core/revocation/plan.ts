// Plans one event's revocation when it runs (at its effective time): first claims the person's
// pending termination (a rescind that came first wins), then which targets, how each is matched,
// how soon (urgent lanes go before the bulk in every target: priority.ts), and what the plan settles
// itself (manual tasks, delegated targets, people the target cannot be matched by). Audits PLANNED
// and every settled target.

import { claimTermination, unclaimedReason } from '../lifecycle/claim.ts';
import type { PendingTerminations } from '../lifecycle/ports.ts';
import { type AuditEntry, auditEntry, type NewAuditEntry } from '../model/audit.ts';
import {
  type LaneTargetConfig,
  type ScimitarConfig,
  type TargetConfig,
  targetsInRevocationOrder,
} from '../model/config.ts';
import {
  type Lane,
  type Plan,
  planSchema,
  type SettledTarget,
  type WorkflowInput,
} from '../model/messages.ts';
import type { AuditLog, Clock, Notifier } from '../model/ports.ts';
import { planMover } from '../movers/plan.ts';
import { sessionLane } from '../sessions/plan.ts';
import { eventMatch } from '../targets/person-match.ts';
import { type OwnerTask, taskIdOf } from '../tasks/owner-task.ts';
import type { OwnerTaskBoard } from '../tasks/ports.ts';
import { openOwnerTask } from '../tasks/tasks.ts';
import { BlastRadiusGuard, heldReason } from './blast-radius.ts';
import { leaverLaneAction } from './leaver-action.ts';
import type { RevocationBudget } from './ports.ts';
import { lanePriority, type PrivilegedHolders, type UrgentReason, urgentReasons } from './priority.ts';

export interface PlanDeps {
  readonly config: ScimitarConfig;
  readonly audit: AuditLog;
  /**
   * Spends the blast-radius budget at plan time, for every SCIM target planned. Give it only where
   * the lanes have no guard of their own (LaneDeps.blastRadius), which spends it at the write, for
   * writes that happen.
   * @default - not spent by the plan
   */
  readonly budget?: RevocationBudget;
  /**
   * The person's pending termination, claimed before planning (scheduled → started): a termination
   * rescinded or superseded first plans nothing.
   * @default - not claimed (events ingested without the lifecycle)
   */
  readonly terminations?: PendingTerminations;
  /**
   * Where the person holds an account in a privileged-tier target: such a leaver is urgent.
   * @default - nobody is known as privileged (involuntary and revoke-now still make a leaver urgent)
   */
  readonly privileged?: PrivilegedHolders;
  /** Reaches target owners (manual and delegated targets). */
  readonly owners: Notifier;
  /**
   * Where each manual target's leaver becomes an owner task, open until acknowledged
   * (`scimitar ack`), before its owner is told.
   * @default - no tasks kept: owners are told, nobody follows up
   */
  readonly tasks?: OwnerTaskBoard;
  readonly clock: Clock;
}

export async function planRevocation(input: WorkflowInput, deps: PlanDeps): Promise<Plan> {
  const { event, receivedAt } = input;
  const { config, clock } = deps;
  // A retried plan (Step Functions retries a Lambda task on service errors) returns the plan it
  // recorded, so budget is not taken twice and owners are not told twice.
  const recorded = (await deps.audit.forEvent(event.eventId)).find(
    (e) => e.step === 'PLANNED' && e.actor === 'plan',
  );
  const earlier = planSchema.safeParse(recorded?.detail?.plan);
  if (earlier.success) return earlier.data;

  const now = clock.now();
  const personId = event.person.employeeId;
  const dryRun = config.dryRun;
  const lanes: Lane[] = [];
  const settled: SettledTarget[] = [];
  const entries: NewAuditEntry[] = [];
  const note = (step: AuditEntry['step'], targetId: string | undefined, detail: Record<string, unknown>) =>
    entries.push({ eventId: event.eventId, step, personId, targetId, actor: 'plan', detail });

  const claim =
    event.kind === 'termination' && deps.terminations
      ? await claimTermination(deps.terminations, personId, event.eventId, now)
      : ({ kind: 'untracked' } as const);
  const cancelled =
    claim.kind === 'cancelled' || claim.kind === 'superseded' ? unclaimedReason(claim) : undefined;

  let urgent: UrgentReason[] = [];
  if (event.kind === 'termination' && !cancelled) {
    urgent = urgentReasons(event, (await deps.privileged?.targetsOf(personId)) ?? []);
    const priority = lanePriority(urgent);
    const guard = deps.budget && new BlastRadiusGuard(config, deps.budget);
    for (const target of targetsInRevocationOrder(config)) {
      if (target.kind === 'scim' || target.kind === 'session') {
        const decision = await planScimTarget(target, input, deps, guard, now);
        if ('lane' in decision) lanes.push({ ...decision.lane, priority });
        else {
          settled.push(decision.settled);
          note(decision.settled.status === 'refused' ? 'REFUSED' : 'FAILED', target.id, {
            reason: decision.settled.reason,
            ...decision.detail,
          });
        }
      } else {
        const status = target.kind === 'manual' ? 'manual-task' : 'delegated';
        const reason = ownerTask(target, input);
        settled.push({ targetId: target.id, status, reason });
        if (dryRun) note('DRY_RUN', target.id, { wouldNotify: target.owner, status });
        else {
          const task =
            target.kind === 'manual' && deps.tasks
              ? await openOwnerTask(
                  deps.tasks,
                  {
                    taskId: taskIdOf(event.eventId, target.id),
                    eventId: event.eventId,
                    personId,
                    person: personLabel(input),
                    targetId: target.id,
                    targetName: target.displayName,
                    owner: target.owner,
                  },
                  config.ownerTasks.dueBusinessDays,
                  now,
                )
              : undefined;
          await deps.owners.notify({
            subject: task ? `${reason} (task ${task.taskId})` : reason,
            message: ownerMessage(target, input, task),
            owner: target.owner,
            targetId: target.id,
            eventId: input.event.eventId,
          });
          note(target.kind === 'manual' ? 'MANUAL_TASK' : 'DELEGATED', target.id, {
            owner: target.owner,
            coverage: target.coverage,
            ...(task && { taskId: task.taskId, dueAt: task.dueAt }),
          });
        }
      }
    }
  }

  // A mover: each target with entitlement rules gets a lane that updates the managed groups.
  if (event.kind === 'change') {
    const mover = planMover(config, event);
    lanes.push(...mover.lanes);
    for (const target of mover.settled) {
      settled.push(target);
      note('FAILED', target.targetId, { reason: target.reason, notMatchable: true });
    }
  }

  // The Wait state sleeps until then: the claimed start (ingest decided it: an involuntary exit
  // revokes at once), else, for an event ingested without the lifecycle, its effective time.
  const effectiveAt =
    claim.kind === 'claimed' ? claim.pending.startAt : new Date(event.effectiveAt).toISOString();
  const plan: Plan = {
    eventId: event.eventId,
    personId,
    receivedAt,
    effectiveAt,
    dryRun,
    lanes,
    settled,
    ...(cancelled && { cancelled }),
    ...(event.kind === 'change' && { kind: 'change' as const }),
  };
  note('PLANNED', undefined, {
    kind: event.kind,
    effectiveAt,
    ...(claim.kind === 'claimed' && { claimedAt: claim.pending.startedAt }),
    ...(cancelled && { reason: cancelled }),
    dryRun,
    lanes: lanes.map((l) => ({ targetId: l.targetId, action: l.action, reportOnly: l.reportOnly })),
    ...(urgent.length > 0 && { urgent }),
    settled,
    ...(event.kind === 'termination'
      ? {}
      : event.kind === 'change'
        ? { reason: "a change event revokes nothing: it updates the person's managed groups" }
        : { reason: `a ${event.kind} event revokes nothing` }),
    plan,
  });
  // PLANNED first in the log, then what the plan settled.
  const planned = entries.pop();
  if (planned) entries.unshift(planned);
  // Made in this order (their ids sort so), written at once.
  const made = entries.map((entry) => auditEntry(entry, now));
  await Promise.all(made.map((entry) => deps.audit.append(entry)));

  return plan;
}

/** A target with a lane: a SCIM application, or an identity provider's sessions (the same lane, action `revoke-sessions`). */
async function planScimTarget(
  target: LaneTargetConfig,
  { event }: WorkflowInput,
  deps: PlanDeps,
  guard: BlastRadiusGuard | undefined,
  now: Date,
): Promise<{ lane: Lane } | { settled: SettledTarget; detail?: Record<string, unknown> }> {
  const match = eventMatch(event, target.matchAttribute);
  if (match.kind === 'unusable') {
    const fields = match.fields.map((f) => `${f.field} ${f.problem}`).join('; ');
    return {
      settled: {
        targetId: target.id,
        status: 'failed',
        reason: `not matchable: target "${target.id}" matches accounts by ${target.matchAttribute}, and the event's ${target.matchAttribute} is unusable (${fields}); nothing was written there`,
      },
      detail: { notMatchable: true, matchAttribute: target.matchAttribute, unusable: match.fields },
    };
  }
  if (match.kind === 'missing') {
    return {
      settled: {
        targetId: target.id,
        status: 'failed',
        reason: `the event gives no ${target.matchAttribute} for the person, and target "${target.id}" matches accounts by it`,
      },
    };
  }
  const matchValue = match.value;
  const reportOnly = target.kind === 'scim' && target.mode === 'report-only';
  if (guard && !reportOnly && !deps.config.dryRun) {
    const refusal = await guard.take(target.id, now);
    if (refusal) {
      return {
        settled: {
          targetId: target.id,
          status: 'refused',
          reason: heldReason(target.id, refusal, deps.config, event.eventId),
          matchAttribute: target.matchAttribute,
          matchValue,
        },
      };
    }
  }
  return { lane: leaverLane(target, matchValue) };
}

/** The lane of a leaver at a SCIM target, matched by `matchValue`. */
export function leaverLane(target: LaneTargetConfig, matchValue: string): Lane {
  if (target.kind === 'session') return sessionLane(target, matchValue);
  return {
    targetId: target.id,
    tier: target.tier,
    action: leaverLaneAction(target),
    matchAttribute: target.matchAttribute,
    matchValue,
    removeFromGroups: target.removeFromGroups,
    reportOnly: target.mode === 'report-only',
  };
}

function personLabel({ event }: WorkflowInput): string {
  const { employeeId, displayName, userName } = event.person;
  return [displayName ?? userName, `employee ${employeeId}`].filter(Boolean).join(', ');
}

function ownerTask(target: TargetConfig, input: WorkflowInput): string {
  return `scimitar: revoke access of ${personLabel(input)} in ${target.displayName}`;
}

function ownerMessage(target: TargetConfig, input: WorkflowInput, task?: OwnerTask): string {
  const { event } = input;
  const lines = [
    `${personLabel(input)} leaves (${event.terminationType ?? 'termination'}), effective ${event.effectiveAt}.`,
    `${target.displayName} has no automated revocation in scimitar; you are its owner.`,
    target.kind === 'custom'
      ? 'Its revocation is delegated to other automation: confirm that it ran.'
      : 'Disable or delete the account now, then record it per your runbook.',
    `Identifiers: ${JSON.stringify(event.person)}`,
    `Event ${event.eventId} from ${event.source}.`,
  ];
  if (target.kind === 'manual' || target.kind === 'custom')
    lines.push(`Compensating control: ${target.coverage.compensatingControl}`);
  if (task) {
    lines.push(
      `This is task ${task.taskId}, due ${task.dueAt}; it alarms if still open then.`,
      `Once the account is closed: scimitar ack ${task.taskId} --by <you> [--note <what you did>]`,
    );
  }
  return lines.join('\n');
}
