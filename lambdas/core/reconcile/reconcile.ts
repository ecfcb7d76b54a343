// Reconciliation: reads every account of every SCIM target, a page at a time, and classifies each
// against the leaver ledger, the HR roster and the target's allow-list. Drift (a leaver's account
// still active) goes back to the target's lane; orphans are flagged (and deactivated when configured);
// due deletions of deactivate-then-delete targets are queued. Progress is saved after every page, so
// an invocation that runs out of time stops cleanly and the next one continues; a target that fails
// is recorded as incomplete, never as clean.
import type { ScimitarConfig, ScimTargetConfig } from '../model/config.ts';
import { targetsInRevocationOrder } from '../model/config.ts';
import { ValidationError } from '../model/errors.ts';
import type { AuditLog, Clock } from '../model/ports.ts';
import type { LaneQueue, RevocationBudget } from '../revocation/ports.ts';
import type { EntitlementDriftReport } from './entitlement-drift.ts';
import { reconcileTarget } from './pass.ts';
import type {
  AccountCountRecorder,
  AccountPager,
  LeaverIndex,
  ReconciliationStore,
  RosterSource,
} from './ports.ts';
import { type Roster, RosterUnavailableError } from './roster.ts';
import { emptyCounts, type FindingsList, type RunCounts } from './state.ts';

export interface ReconcileDeps {
  readonly config: ScimitarConfig;
  /** The SCIM client of a target (scimClientFor in production). */
  readonly scim: (target: ScimTargetConfig) => AccountPager;
  readonly store: ReconciliationStore;
  readonly leavers: LeaverIndex;
  readonly roster: RosterSource;
  readonly queue: LaneQueue;
  readonly budget: RevocationBudget & AccountCountRecorder;
  readonly audit: AuditLog;
  readonly clock: Clock;
  /** @default setTimeout */
  readonly sleep?: (ms: number) => Promise<void>;
  /**
   * Pages are checkpointed at most this often (by `clock`), and always at the listing's end or a
   * pause. 0: after every page.
   * @default CHECKPOINT_EVERY_MS (scan.ts)
   */
  readonly checkpointEveryMs?: number;
  /**
   * How long a lane queue keeps a message (the stack's `queueRetention`, which it gives every lane
   * and the reconciler's LANE_QUEUE_RETENTION_SECONDS): a remediation or entitlement removal a pass
   * queued counts as still waiting for this long (remediate.ts).
   * @default REQUEUE_AFTER_MS (remediate.ts: LANE_QUEUE_RETENTION_DAYS)
   */
  readonly laneQueueRetentionMs?: number;
}

export interface ReconcileRequest {
  /** Target ids to reconcile. @default every SCIM target, privileged first */
  readonly targets?: readonly string[];
  /** Milliseconds this invocation has left (Lambda's getRemainingTimeInMillis). @default unlimited */
  readonly remainingMs?: () => number;
  /** Time kept back for saving progress, on top of twice the slowest page so far. @default 10_000 */
  readonly reserveMs?: number;
  /** Abandon a pass in progress and start over. @default false */
  readonly restart?: boolean;
  /** Skip targets whose last pass finished at or after this time: a continued round does each once. */
  readonly since?: string;
  /** Page size asked for (the target's quirks.maxPageSize caps it). */
  readonly pageSize?: number;
  /** Account states examined per sweep step. @default 500 */
  readonly sweepBatch?: number;
  /**
   * Orphan and drift accounts listed per finished target (read from their persisted states); the
   * rest are counted. 0 lists none. @default DEFAULT_FINDINGS_LIMIT (100)
   */
  readonly findingsLimit?: number;
}

export type TargetStatus =
  /** Every account was read and classified. */
  | 'complete'
  /** The pass failed; what it found is kept, but the target is not known to be clean. */
  | 'incomplete'
  /** Out of time: progress saved, the next invocation continues. */
  | 'paused'
  /** Another invocation holds this target's pass. */
  | 'busy'
  /** Already reconciled in this round. */
  | 'done';

export interface TargetOutcome {
  readonly targetId: string;
  readonly tier: ScimTargetConfig['tier'];
  readonly reportOnly: boolean;
  readonly status: TargetStatus;
  readonly runId?: string;
  readonly counts: RunCounts;
  readonly error?: string;
  /** Pages (and sweep steps) this invocation completed for the target. */
  readonly steps: number;
  /**
   * The orphan and drift accounts this pass found, when it finished (complete or incomplete) and
   * found any: capped at `findingsLimit`, the rest counted.
   */
  readonly findings?: FindingsList;
  /** The entitlement drift check of a complete pass, for a target with `entitlements`. */
  readonly entitlements?: EntitlementDriftReport;
}

export interface ReconcileResult {
  readonly outcomes: readonly TargetOutcome[];
  /** Some target waits for another invocation. */
  readonly paused: boolean;
  /** This invocation saved some progress (a continuation without progress would loop). */
  readonly progressed: boolean;
}

export async function reconcile(request: ReconcileRequest, deps: ReconcileDeps): Promise<ReconcileResult> {
  const targets = selectTargets(deps.config, request.targets);
  const outcomes: TargetOutcome[] = [];
  let roster: Roster | RosterUnavailableError;
  try {
    roster = await usableRoster(deps);
  } catch (err) {
    if (!(err instanceof RosterUnavailableError)) throw err;
    roster = err;
  }
  let outOfTime = false;
  for (const target of targets) {
    const base = { targetId: target.id, tier: target.tier, reportOnly: target.mode === 'report-only' };
    if (outOfTime) {
      outcomes.push({ ...base, status: 'paused', counts: emptyCounts(), steps: 0 });
      continue;
    }
    const outcome = await reconcileTarget(target, roster, request, deps);
    outcomes.push(outcome);
    if (outcome.status === 'paused') outOfTime = true;
  }
  return {
    outcomes,
    paused: outcomes.some((o) => o.status === 'paused'),
    progressed: outcomes.some((o) => o.steps > 0 || o.status === 'complete' || o.status === 'incomplete'),
  };
}

function selectTargets(config: ScimitarConfig, ids: readonly string[] | undefined): ScimTargetConfig[] {
  const scim = targetsInRevocationOrder(config).filter((t): t is ScimTargetConfig => t.kind === 'scim');
  if (ids === undefined) return scim;
  const unknown = ids.filter((id) => !scim.some((t) => t.id === id));
  if (unknown.length > 0) {
    throw new ValidationError(
      'invalid reconciliation request',
      unknown.map(
        (id) =>
          `target ${JSON.stringify(id)} is not a SCIM target of the config; allowed: ${scim.map((t) => t.id).join(', ')}`,
      ),
    );
  }
  return scim.filter((t) => ids.includes(t.id));
}

async function usableRoster(deps: ReconcileDeps): Promise<Roster> {
  const roster = await deps.roster.current();
  if (!roster) {
    throw new RosterUnavailableError(
      'no HR roster has been supplied: without it no account can be called an orphan; upload one (docs/reconciliation.md)',
    );
  }
  const maxHours = deps.config.reconciliation.rosterMaxAgeHours;
  const ageMs = deps.clock.now().getTime() - Date.parse(roster.asOf);
  if (ageMs > maxHours * 3_600_000) {
    throw new RosterUnavailableError(
      `the HR roster is from ${roster.asOf}, older than reconciliation.rosterMaxAgeHours (${maxHours}); upload a current export`,
    );
  }
  return roster;
}
