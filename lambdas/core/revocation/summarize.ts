// Closes one event's revocation: the outcome per target, COMPLETED or PARTIAL in the audit log,
// the ledger for targets whose lane never answered, latency per target (event received →
// verified revoked), and an alert naming the targets that failed.
import { auditEntry } from '../model/audit.ts';
import type { LaneFailure, LaneResult, SummarizeInput, Summary } from '../model/messages.ts';
import type { AuditLog, Clock, Notifier } from '../model/ports.ts';
import { approveBurstCommand, approveCommand } from './blast-radius.ts';
import type { LeaverLedger } from './ports.ts';

export interface SummarizeDeps {
  readonly audit: AuditLog;
  readonly ledger: LeaverLedger;
  /** Operators' alert topic. */
  readonly alerts: Notifier;
  readonly clock: Clock;
}

export interface TargetLatency {
  readonly targetId: string;
  readonly latencyMs: number;
}

export async function summarize(
  input: SummarizeInput,
  deps: SummarizeDeps,
): Promise<{ summary: Summary; latencies: TargetLatency[] }> {
  const { plan, results } = input;
  const now = deps.clock.now();
  const received = Date.parse(plan.receivedAt);
  const latencies: TargetLatency[] = [];
  const targets: Summary['targets'] = [];
  const failures: { targetId: string; reason: string }[] = [];
  // A mover's change revokes nothing: the leaver ledger is not its to write, failed or not.
  const mover = plan.kind === 'change';

  for (const result of results) {
    if (result.status === 'failed') {
      const failure = result as LaneFailure;
      failures.push({
        targetId: failure.targetId,
        reason: `${failure.error}: ${failure.cause ?? ''}`.trim(),
      });
      targets.push({ targetId: failure.targetId, status: 'failed' });
      // The worker records its own failures; a lane that timed out or never reached its worker did not.
      const lane = plan.lanes.find((l) => l.targetId === failure.targetId);
      if (!mover)
        await deps.ledger.record({
          personId: plan.personId,
          targetId: failure.targetId,
          outcome: 'failed',
          eventId: plan.eventId,
          at: now.toISOString(),
          ...(lane && { matchAttribute: lane.matchAttribute, matchValue: lane.matchValue }),
        });
      continue;
    }
    const done = result as LaneResult;
    // Held at the write by the blast-radius guard (the lane audited REFUSED and kept the ledger).
    if (done.status === 'refused') {
      failures.push({
        targetId: done.targetId,
        reason: `held by the blast-radius guard, nothing written; release it: ${approveCommand(plan.eventId)}; a known layoff: let the rest through with ${approveBurstCommand(done.targetId)}`,
      });
    }
    const latencyMs = done.verifiedAt ? Math.max(0, Date.parse(done.verifiedAt) - received) : undefined;
    if (latencyMs !== undefined) latencies.push({ targetId: done.targetId, latencyMs });
    targets.push({
      targetId: done.targetId,
      status: done.status,
      ...(latencyMs !== undefined ? { latencyMs } : {}),
    });
  }
  for (const settled of plan.settled) {
    targets.push({ targetId: settled.targetId, status: settled.status });
    if (settled.status === 'failed' || settled.status === 'refused') {
      failures.push({ targetId: settled.targetId, reason: settled.reason });
      if (mover) continue;
      // In the ledger, with the match where the plan had one: the reconciler then sees the
      // person's still-active account as drift and re-queues it, rather than missing it.
      await deps.ledger.record({
        personId: plan.personId,
        targetId: settled.targetId,
        outcome: settled.status,
        eventId: plan.eventId,
        at: now.toISOString(),
        ...(settled.matchAttribute && settled.matchValue
          ? { matchAttribute: settled.matchAttribute, matchValue: settled.matchValue }
          : {}),
      });
    }
  }

  const outcome = failures.length === 0 ? 'COMPLETED' : 'PARTIAL';
  const summary: Summary = {
    eventId: plan.eventId,
    personId: plan.personId,
    outcome,
    failedTargets: failures.map((f) => f.targetId),
    targets,
  };
  await deps.audit.append(
    auditEntry(
      {
        eventId: plan.eventId,
        step: outcome,
        personId: plan.personId,
        actor: 'summarize',
        detail: {
          targets,
          failures,
          dryRun: plan.dryRun,
          ...(plan.cancelled && { cancelled: plan.cancelled }),
        },
      },
      now,
    ),
  );
  if (failures.length > 0) {
    const targetCount = `${failures.length} target${failures.length === 1 ? '' : 's'}`;
    await deps.alerts.notify({
      subject: mover
        ? `scimitar: entitlement update incomplete for employee ${plan.personId} (${targetCount})`
        : `scimitar: revocation incomplete for employee ${plan.personId} (${targetCount})`,
      message: [
        mover
          ? `Event ${plan.eventId} (a mover): managed groups the new role does not grant may remain in these targets:`
          : `Event ${plan.eventId}: access may remain in these targets:`,
        ...failures.map((f) => `- ${f.targetId}: ${f.reason}`),
        mover
          ? 'See the runbook "Failed entitlement update" in docs/operations.md; the audit log has every step.'
          : 'See the runbook "Failed revocation" in docs/operations.md; the audit log has every step.',
      ].join('\n'),
      eventId: plan.eventId,
    });
  }
  return { summary, latencies };
}
