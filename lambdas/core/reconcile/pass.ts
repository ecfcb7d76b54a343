// One target's pass within one invocation: takes the target's lease, resumes or starts the pass,
// scans its pages (scan.ts), sweeps the accounts it no longer lists, and saves a checkpoint after
// every step, so an invocation that runs out of time stops cleanly and the next one continues.
// A pass that fails is recorded as incomplete, never as clean.
import type { ScimTargetConfig } from '../model/config.ts';
import { ScimError } from '../scim/index.ts';
import {
  checkEntitlementDrift,
  driftSummary,
  EntitlementDriftCheckError,
  type EntitlementDriftReport,
} from './entitlement-drift.ts';
import { FindingIds } from './finding-ids.ts';
import { ReconcileConflictError, type ReconciliationStore } from './ports.ts';
import type { ReconcileDeps, ReconcileRequest, TargetOutcome, TargetStatus } from './reconcile.ts';
import { type Roster, RosterUnavailableError } from './roster.ts';
import { scan } from './scan.ts';
import {
  DEFAULT_FINDINGS_LIMIT,
  emptyCounts,
  type QueuedRemediation,
  type RunCounts,
  type RunProgress,
  type RunResult,
  type TargetReconciliation,
} from './state.ts';
import { sweep } from './sweep.ts';

/** A lease when the time left is unknown (local runs): longer than any Lambda invocation. */
const DEFAULT_LEASE_MS = 15 * 60_000;

/** The mutable side of one target's pass within one invocation. */
export interface Pass {
  state: TargetReconciliation;
  progress: RunProgress;
  counts: RunCounts;
  steps: number;
  slowestStepMs: number;
  /**
   * The accounts this pass listed so far, SCIM id to state fingerprint (read back when a pass
   * resumes): how the sweep tells vanished accounts without rewriting every unchanged state.
   */
  seen: Map<string, string>;
  /**
   * What the complete pass `progress.knownFrom` listed, not yet listed by this one: an account
   * listed with the same fingerprint is unchanged. Both maps hold about 100 bytes an account
   * (10-20 MB for 100,000), never states.
   */
  known: Map<string, string>;
  /**
   * The remediations waiting in the lane (the states' `queued`) of the accounts in `known`: only
   * those with one, a few percent of a target (drift, and orphans with deactivateOrphans).
   */
  knownQueued: Map<string, QueuedRemediation>;
  /** The orphan and drift accounts this invocation judged, the few a findings list shows. */
  findingIds: FindingIds;
}

export async function reconcileTarget(
  target: ScimTargetConfig,
  roster: Roster | RosterUnavailableError,
  request: ReconcileRequest,
  deps: ReconcileDeps,
): Promise<TargetOutcome> {
  const { store, clock } = deps;
  const base = { targetId: target.id, tier: target.tier, reportOnly: target.mode === 'report-only' };
  const remaining = request.remainingMs ?? (() => Number.POSITIVE_INFINITY);
  const leaseUntil = () =>
    new Date(clock.now().getTime() + Math.min(remaining(), DEFAULT_LEASE_MS)).toISOString();

  let state = await store.target(target.id);
  const now = clock.now();
  if (state.current && state.leaseUntil && Date.parse(state.leaseUntil) > now.getTime()) {
    return { ...base, status: 'busy', runId: state.current.runId, counts: state.current.counts, steps: 0 };
  }
  if (!state.current && request.since && state.last && state.last.finishedAt >= request.since) {
    return { ...base, status: 'done', runId: state.last.runId, counts: state.last.counts, steps: 0 };
  }
  const resumed = state.current !== undefined && !request.restart;
  // Only a complete pass, with nothing abandoned since, leaves states its fingerprints describe.
  const knownFrom =
    state.current === undefined && state.lastComplete && state.last?.runId === state.lastComplete.runId
      ? state.lastComplete.runId
      : undefined;
  const progress: RunProgress =
    state.current && resumed
      ? resumedProgress(state.current, state.leaseUntil !== undefined)
      : {
          runId: `${now.toISOString().replace(/[-:.]/g, '')}-${Math.random().toString(36).slice(2, 6)}`,
          startedAt: now.toISOString(),
          phase: 'scan',
          pagesDone: 0,
          counts: emptyCounts(),
          invocations: 1,
          ...(knownFrom !== undefined && { knownFrom }),
        };
  try {
    state = await store.saveTarget({ ...state, current: progress, leaseUntil: leaseUntil() });
  } catch (err) {
    if (err instanceof ReconcileConflictError)
      return { ...base, status: 'busy', counts: emptyCounts(), steps: 0 };
    throw err;
  }
  const pass: Pass = {
    state,
    progress,
    // A pass saved before a count existed resumes with it at 0.
    counts: { ...emptyCounts(), ...progress.counts },
    steps: 0,
    slowestStepMs: 0,
    seen: new Map(),
    known: new Map(),
    knownQueued: new Map(),
    findingIds: new FindingIds(request.findingsLimit ?? DEFAULT_FINDINGS_LIMIT),
  };
  const reserve = request.reserveMs ?? 10_000;
  const timeShort = () => remaining() < reserve + 2 * pass.slowestStepMs;
  /** Moves the pass on in memory only: the next checkpoint saves it. */
  const advance = (change: Partial<RunProgress>) => {
    pass.progress = { ...pass.progress, ...change, counts: { ...pass.counts } };
  };
  const checkpoint = async (change: Partial<RunProgress>, release = false) => {
    advance(change);
    const { leaseUntil: _held, ...rest } = pass.state;
    pass.state = await store.saveTarget({
      ...rest,
      current: pass.progress,
      ...(release ? {} : { leaseUntil: leaseUntil() }),
    });
  };
  const outcome = (status: TargetStatus, error?: string): TargetOutcome => ({
    ...base,
    status,
    runId: pass.progress.runId,
    counts: { ...pass.counts },
    steps: pass.steps,
    ...(error !== undefined && { error }),
  });

  try {
    if (roster instanceof RosterUnavailableError) throw roster;
    const { runId, pagesDone, knownFrom: known } = pass.progress;
    if (!resumed) {
      // A new pass: what abandoned passes listed must not count as seen by this one.
      await store.forgetListed(target.id, known);
    } else {
      for await (const { listed } of store.listed(target.id, runId, pagesDone)) {
        for (const [id, print] of listed) pass.seen.set(id, print);
      }
    }

    if (pass.progress.phase === 'scan' && known !== undefined) {
      for await (const { listed, queued } of store.listed(target.id, known)) {
        for (const [id, print] of listed) if (!pass.seen.has(id)) pass.known.set(id, print);
        for (const [id, remediation] of queued) if (!pass.seen.has(id)) pass.knownQueued.set(id, remediation);
      }
    }
    let vanished: string[] | undefined;
    if (pass.progress.phase === 'scan') {
      const finished = await scan(target, roster, pass, { request, deps, timeShort, checkpoint, advance });
      if (!finished) {
        await checkpoint({}, true);
        return outcome('paused');
      }
      // What the last complete pass listed and this one did not. With nothing abandoned or crashed
      // since, the states that pass left are exactly what it listed: these are the ones to remove,
      // and the sweep need not read every state. (A sweep resumed in another invocation reads them.)
      if (known !== undefined) vanished = [...pass.known.keys()];
      pass.known.clear();
      pass.knownQueued.clear();
      await checkpoint({ phase: 'sweep' });
    }
    if (!(await sweep(target.id, vanished, pass, { store, request, timeShort, checkpoint }))) {
      await checkpoint({}, true);
      return outcome('paused');
    }
    // Every account is classified now: the managed groups' members can be judged.
    const entitlements = await entitlementDrift(target, roster, request, deps, pass);
    // Removals still waiting count with the remediations still waiting (ReconcileAlreadyQueued).
    if (entitlements) pass.counts.alreadyQueued += entitlements.alreadyQueued;
    const finishedAt = clock.now().toISOString();
    await deps.budget.setAccountCount(target.id, pass.counts.accounts, finishedAt);
    const result: RunResult = {
      runId: pass.progress.runId,
      startedAt: pass.progress.startedAt,
      finishedAt,
      status: 'complete',
      counts: { ...pass.counts },
      ...(entitlements && { entitlements: driftSummary(entitlements) }),
    };
    const { current: _c, leaseUntil: _l, ...rest } = pass.state;
    pass.state = await store.saveTarget({ ...rest, last: result, lastComplete: result });
    const done = await withFindings(
      { ...outcome('complete'), ...(entitlements && { entitlements }) },
      request,
      store,
      pass,
    );
    // What it listed is the next pass's fingerprints. The pass stands without this: the next
    // pass forgets leftovers before it starts.
    await store.forgetListed(target.id, pass.progress.runId).catch(() => {});
    return done;
  } catch (err) {
    if (err instanceof ReconcileConflictError) return outcome('busy', err.message);
    const error = describeError(err);
    const result: RunResult = {
      runId: pass.progress.runId,
      startedAt: pass.progress.startedAt,
      finishedAt: clock.now().toISOString(),
      status: 'incomplete',
      counts: { ...pass.counts },
      error,
    };
    // The next run starts over: a failed listing's position is not trusted.
    const { current: _c, leaseUntil: _l, ...rest } = pass.state;
    try {
      pass.state = await store.saveTarget({ ...rest, last: result });
    } catch (saveErr) {
      return outcome('incomplete', `${error}; and the result could not be saved: ${describeError(saveErr)}`);
    }
    return withFindings(outcome('incomplete', error), request, store, pass);
  }
}

/** A pass's entitlement drift check (entitlement-drift.ts); its failure leaves the pass incomplete. */
async function entitlementDrift(
  target: ScimTargetConfig,
  roster: Roster,
  request: ReconcileRequest,
  deps: ReconcileDeps,
  pass: Pass,
): Promise<EntitlementDriftReport | undefined> {
  try {
    return await checkEntitlementDrift(
      target,
      roster,
      { runId: pass.progress.runId, findingsLimit: request.findingsLimit ?? DEFAULT_FINDINGS_LIMIT },
      deps,
    );
  } catch (err) {
    throw new EntitlementDriftCheckError(
      `entitlement drift check of the managed groups failed (${describeError(err)}); the accounts were reconciled`,
      { cause: err },
    );
  }
}

/**
 * A pass continued by another invocation. After a crash (the lease was still set) a page may have
 * been written past its checkpoint, so the fingerprints of the pass before are no longer trusted.
 */
function resumedProgress(current: RunProgress, crashed: boolean): RunProgress {
  const { knownFrom: _known, ...rest } = current;
  return { ...(crashed ? rest : current), invocations: current.invocations + 1 };
}

/**
 * Adds the pass's orphan and drift accounts to a finished target's outcome, from the persisted
 * states of the accounts the pass listed: after a complete pass's sweep that is every state left;
 * an incomplete pass filters by its seen set. A complete pass scanned in one invocation knows which
 * to show (pass.findingIds) and reads only those. An unchanged state keeps the time it was written, so
 * `lastSeen` is raised to the pass's start: it listed them no earlier. Skipped when it found none,
 * so a clean pass reads nothing more.
 */
async function withFindings(
  outcome: TargetOutcome,
  request: ReconcileRequest,
  store: ReconciliationStore,
  pass: Pass,
): Promise<TargetOutcome> {
  const limit = request.findingsLimit ?? DEFAULT_FINDINGS_LIMIT;
  const found = outcome.counts.orphan + outcome.counts.drift;
  if (found === 0 || outcome.runId === undefined) return outcome;
  if (limit === 0) return { ...outcome, findings: { accounts: [], more: found, limit } };
  try {
    const list =
      outcome.status === 'complete' && pass.progress.invocations === 1
        ? await pass.findingIds.list(outcome.targetId, found, store)
        : await store.findings(outcome.targetId, {
            limit,
            ...(outcome.status !== 'complete' && { seen: (id: string) => pass.seen.has(id) }),
          });
    const since = pass.progress.startedAt;
    const accounts = list.accounts.map((a) => (a.lastSeen < since ? { ...a, lastSeen: since } : a));
    return { ...outcome, findings: { ...list, accounts } };
  } catch (err) {
    // The pass itself stands; only its list is missing, and says why.
    return { ...outcome, findings: { accounts: [], more: found, limit, error: describeError(err) } };
  }
}

function describeError(err: unknown): string {
  if (err instanceof ScimError) {
    return `${err.name}: ${err.message}${err.status ? ` (${err.method} ${err.path} answered ${err.status})` : ''}`;
  }
  return err instanceof Error ? `${err.name}: ${err.message}` : String(err);
}
