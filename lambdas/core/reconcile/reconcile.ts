// Reconciliation: reads every account of every SCIM target, a page at a time, and classifies each
// against the leaver ledger, the HR roster and the target's allow-list. Drift (a leaver's account
// still active) goes back to the target's lane; orphans are flagged (and deactivated when configured);
// due deletions of deactivate-then-delete targets are queued. Progress is saved after every page, so
// an invocation that runs out of time stops cleanly and the next one continues; a target that fails
// is recorded as incomplete, never as clean.
import { createHash } from 'node:crypto';
import { type AuditStep, auditEntry } from '../model/audit.ts';
import { type ScimitarConfig, type ScimTargetConfig, targetsInRevocationOrder } from '../model/config.ts';
import { ScimitarError, ValidationError } from '../model/errors.ts';
import { type LaneMessage, laneMessageSchema } from '../model/messages.ts';
import type { AuditLog, Clock, LedgerRecord, RevocationBudget } from '../model/ports.ts';
import { revocationLimit, windowStart } from '../revocation/plan.ts';
import {
  type ListedPage,
  type ListPosition,
  type ScimAccount,
  ScimError,
  ScimRetryableError,
} from '../scim/index.ts';
import {
  type AccountCountRecorder,
  type AccountState,
  type Classification,
  DEFAULT_FINDINGS_LIMIT,
  emptyCounts,
  type FindingsList,
  type LaneQueue,
  type LeaverIndex,
  type MatchAttempt,
  ReconcileConflictError,
  type ReconciliationStore,
  type RunCounts,
  type RunProgress,
  type RunResult,
  type TargetReconciliation,
} from './ports.ts';
import {
  accountValues,
  normalise,
  type Roster,
  RosterIndex,
  type RosterSource,
  RosterUnavailableError,
} from './roster.ts';

/** The part of the SCIM client reconciliation reads with. */
export interface AccountPager {
  listAccountPages(options?: {
    pageSize?: number;
    from?: ListPosition;
  }): AsyncGenerator<ListedPage<ScimAccount>, void, undefined>;
}

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
}

export interface ReconcileResult {
  readonly outcomes: readonly TargetOutcome[];
  /** Some target waits for another invocation. */
  readonly paused: boolean;
  /** This invocation saved some progress (a continuation without progress would loop). */
  readonly progressed: boolean;
}

/** A listing that cannot be trusted to show each account once. */
export class ReconcilePagingError extends ScimitarError {
  constructor(message: string) {
    super(message);
    this.name = 'ReconcilePagingError';
  }
}

const PAGE_RETRIES = 3;
/** A lease when the time left is unknown (local runs): longer than any Lambda invocation. */
const DEFAULT_LEASE_MS = 15 * 60_000;

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

/** The mutable side of one target's pass within one invocation. */
interface Pass {
  state: TargetReconciliation;
  progress: RunProgress;
  counts: RunCounts;
  steps: number;
  slowestStepMs: number;
}

async function reconcileTarget(
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
  const progress: RunProgress =
    state.current && !request.restart
      ? { ...state.current, invocations: state.current.invocations + 1 }
      : {
          runId: `${now.toISOString().replace(/[-:.]/g, '')}-${Math.random().toString(36).slice(2, 6)}`,
          startedAt: now.toISOString(),
          phase: 'scan',
          pagesDone: 0,
          counts: emptyCounts(),
          invocations: 1,
        };
  try {
    state = await store.saveTarget({ ...state, current: progress, leaseUntil: leaseUntil() });
  } catch (err) {
    if (err instanceof ReconcileConflictError)
      return { ...base, status: 'busy', counts: emptyCounts(), steps: 0 };
    throw err;
  }
  const pass: Pass = { state, progress, counts: { ...progress.counts }, steps: 0, slowestStepMs: 0 };
  const reserve = request.reserveMs ?? 10_000;
  const timeShort = () => remaining() < reserve + 2 * pass.slowestStepMs;
  const checkpoint = async (change: Partial<RunProgress>, release = false) => {
    pass.progress = { ...pass.progress, ...change, counts: { ...pass.counts } };
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
    if (pass.progress.phase === 'scan') {
      const finished = await scan(target, roster, pass, { request, deps, timeShort, checkpoint });
      if (!finished) {
        await checkpoint({}, true);
        return outcome('paused');
      }
      await checkpoint({ phase: 'sweep' });
    }
    for (;;) {
      if (timeShort()) {
        await checkpoint({}, true);
        return outcome('paused');
      }
      const started = performance.now();
      const step = await store.sweep(target.id, pass.progress.runId, {
        ...(pass.progress.sweepFrom !== undefined && { from: pass.progress.sweepFrom }),
        limit: request.sweepBatch ?? 500,
      });
      pass.counts.removed += step.removed;
      pass.steps += 1;
      pass.slowestStepMs = Math.max(pass.slowestStepMs, performance.now() - started);
      const { sweepFrom: _done, ...rest } = pass.progress;
      pass.progress = rest;
      await checkpoint(step.next === undefined ? {} : { sweepFrom: step.next });
      if (step.next === undefined) break;
    }
    const finishedAt = clock.now().toISOString();
    await deps.budget.setAccountCount(target.id, pass.counts.accounts, finishedAt);
    const result: RunResult = {
      runId: pass.progress.runId,
      startedAt: pass.progress.startedAt,
      finishedAt,
      status: 'complete',
      counts: { ...pass.counts },
    };
    const { current: _c, leaseUntil: _l, ...rest } = pass.state;
    pass.state = await store.saveTarget({ ...rest, last: result, lastComplete: result });
    return withFindings(outcome('complete'), request, store);
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
    return withFindings(outcome('incomplete', error), request, store);
  }
}

/**
 * Adds the pass's orphan and drift accounts to a finished target's outcome, from the account
 * states the pass saved (its run id). Skipped when it found none, so a clean pass reads nothing more.
 */
async function withFindings(
  outcome: TargetOutcome,
  request: ReconcileRequest,
  store: ReconciliationStore,
): Promise<TargetOutcome> {
  const limit = request.findingsLimit ?? DEFAULT_FINDINGS_LIMIT;
  const found = outcome.counts.orphan + outcome.counts.drift;
  if (found === 0 || outcome.runId === undefined) return outcome;
  if (limit === 0) return { ...outcome, findings: { accounts: [], more: found, limit } };
  try {
    return { ...outcome, findings: await store.findings(outcome.targetId, { limit, runId: outcome.runId }) };
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

interface ScanContext {
  readonly request: ReconcileRequest;
  readonly deps: ReconcileDeps;
  readonly timeShort: () => boolean;
  readonly checkpoint: (change: Partial<RunProgress>) => Promise<void>;
}

/** Reads pages from the saved position on; true when the listing ended, false when out of time. */
async function scan(
  target: ScimTargetConfig,
  roster: Roster,
  pass: Pass,
  ctx: ScanContext,
): Promise<boolean> {
  const { deps, request } = ctx;
  const sleep = deps.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  const judge = new Judge(target, roster, await LeaverLookup.load(deps.leavers, target.id), deps);
  let retries = 0;
  for (;;) {
    const position = pass.progress.position;
    const walk = deps.scim(target).listAccountPages({
      ...(request.pageSize !== undefined && { pageSize: request.pageSize }),
      ...(position && { from: position }),
    });
    try {
      for (;;) {
        if (ctx.timeShort()) {
          await walk.return(undefined);
          return false;
        }
        const started = performance.now();
        const next = await walk.next();
        if (next.done) return true; // an empty page ended the listing
        const page = next.value;
        await judge.page(page.resources, pass);
        pass.steps += 1;
        retries = 0;
        pass.slowestStepMs = Math.max(pass.slowestStepMs, performance.now() - started);
        const { position: _p, ...rest } = pass.progress;
        pass.progress = rest;
        await ctx.checkpoint({
          pagesDone: pass.progress.pagesDone + 1,
          ...(page.next && { position: page.next }),
        });
        if (!page.next) return true;
      }
    } catch (err) {
      // A listing of thousands of pages meets the odd 503: read the same page again, a few times.
      if (!(err instanceof ScimRetryableError) || retries >= PAGE_RETRIES) throw err;
      retries += 1;
      await sleep(err.retryAfterMs ?? 1000 * 2 ** (retries - 1));
    }
  }
}

interface Verdict {
  readonly classification: Classification;
  readonly personId?: string;
  readonly reason?: string;
  /** The leaver the account belongs to, after rehire and reuse are ruled out. */
  readonly leaver?: LedgerRecord;
  /** For orphans and drift: the keys tried and what came of them. */
  readonly match?: MatchAttempt;
}

/** Classifies accounts of one target and acts on them. */
class Judge {
  private readonly rosterIndex: RosterIndex;
  private readonly allowList: Set<string>;
  private limit: number | undefined;

  constructor(
    private readonly target: ScimTargetConfig,
    private readonly roster: Roster,
    private readonly leavers: LeaverLookup,
    private readonly deps: ReconcileDeps,
  ) {
    this.rosterIndex = new RosterIndex(roster, target.matchAttribute);
    this.allowList = new Set(target.allowList.map((u) => u.toLowerCase()));
  }

  classify(account: ScimAccount): Verdict {
    const people = this.rosterIndex.match(account);
    const found = this.leavers.findKeyed(account);
    let leaver = found?.record;
    let reason: string | undefined;
    if (leaver) {
      const others = people.filter((p) => p.employeeId !== leaver?.personId);
      if (others.length > 0) {
        reason = `a former holder (leaver ${leaver.personId}) left; the account now matches active ${others.map((p) => p.employeeId).join(', ')}`;
        leaver = undefined;
      } else if (
        this.rosterIndex.hasEmployee(leaver.personId) &&
        Date.parse(this.roster.asOf) > Date.parse(leaver.at)
      ) {
        reason = `rehired: leaver ${leaver.personId} (${leaver.at}) is active in the roster of ${this.roster.asOf}`;
        leaver = undefined;
      }
    }
    const why = reason === undefined ? {} : { reason };
    if (account.active === false) {
      return { classification: 'inactive', ...why, ...(leaver && { leaver, personId: leaver.personId }) };
    }
    if (this.allowList.has(account.userName.toLowerCase())) {
      return { classification: 'accepted', reason: 'on the target allow-list' };
    }
    if (leaver) {
      const match = this.matchAttempt(account, people, found, leaver, reason);
      return { classification: 'drift', leaver, personId: leaver.personId, ...why, match };
    }
    if (people.length === 1) return { classification: 'managed', personId: people[0]?.employeeId, ...why };
    if (people.length > 1) {
      return {
        classification: 'managed',
        reason: `matches ${people.length} active people: ${people.map((p) => p.employeeId).join(', ')}`,
      };
    }
    return {
      classification: 'orphan',
      ...why,
      match: this.matchAttempt(account, people, found, leaver, reason),
    };
  }

  /** What was tried to place an orphan or drift account, for the people who review the list. */
  private matchAttempt(
    account: ScimAccount,
    people: readonly { employeeId: string }[],
    found: KeyedLeaver | undefined,
    leaver: LedgerRecord | undefined,
    setAside: string | undefined,
  ): MatchAttempt {
    const attribute = this.target.matchAttribute;
    const rosterKeys = accountValues(account, attribute).map((v) => `${attribute} ${JSON.stringify(v)}`);
    const roster = `the roster of ${this.roster.asOf}`;
    let rosterResult: string;
    if (rosterKeys.length === 0) {
      rosterResult = `the account has no ${attribute} (the target's matchAttribute), so no roster person can match it`;
    } else if (people.length === 0) {
      rosterResult = `no active person in ${roster} has ${rosterKeys.length === 1 ? 'it' : 'any of them'}`;
    } else {
      const ids = people.map((p) => p.employeeId).join(', ');
      rosterResult =
        leaver && people.every((p) => p.employeeId === leaver.personId)
          ? `matches ${ids}, the leaver, in ${roster}, taken before they left (${leaver.at})`
          : `matches ${ids} in ${roster}`;
    }
    let ledgerResult: string;
    if (!found) ledgerResult = 'no leaver is recorded at this target under any of them';
    else {
      const r = found.record;
      ledgerResult = `leaver ${r.personId} by ${found.key} (ledger: ${r.outcome} at ${r.at}, event ${r.eventId})${leaver ? '' : `, set aside: ${setAside ?? 'not the account holder'}`}`;
    }
    return {
      roster: { keys: rosterKeys, result: rosterResult },
      ledger: { keys: LeaverLookup.keysOf(account), result: ledgerResult },
    };
  }

  async page(accounts: readonly ScimAccount[], pass: Pass): Promise<void> {
    const { store, clock } = this.deps;
    const { runId, pagesDone } = pass.progress;
    const before = await store.accountsByIds(
      this.target.id,
      accounts.map((a) => a.id),
    );
    const now = clock.now().toISOString();
    const states: AccountState[] = [];
    for (const account of accounts) {
      const previous = before.get(account.id);
      // Saved by an earlier page of this run: the server gave it again (a shifted or ignored position).
      if (previous?.runId === runId && previous.page <= pagesDone) continue;
      const verdict = this.classify(account);
      pass.counts.accounts += 1;
      pass.counts[verdict.classification] += 1;
      await this.act(account, verdict, previous, pass);
      states.push({
        targetId: this.target.id,
        scimId: account.id,
        userName: account.userName,
        ...(account.active !== undefined && { active: account.active }),
        classification: verdict.classification,
        ...(verdict.personId !== undefined && { personId: verdict.personId }),
        ...(verdict.reason !== undefined && { reason: verdict.reason }),
        ...(verdict.match !== undefined && { match: verdict.match }),
        firstSeen: previous?.firstSeen ?? now,
        lastSeen: now,
        runId,
        page: pagesDone + 1,
      });
    }
    if (accounts.length > 0 && states.length === 0) {
      throw new ReconcilePagingError(
        `target ${this.target.id}: every account of page ${pagesDone + 1} was already read in this run; the server does not honour the saved position, so the listing cannot be completed`,
      );
    }
    await store.putAccounts(states);
  }

  private async act(
    account: ScimAccount,
    verdict: Verdict,
    previous: AccountState | undefined,
    pass: Pass,
  ): Promise<void> {
    const { config, clock } = this.deps;
    const target = this.target;
    const changed = previous?.classification !== verdict.classification;
    let kind: 'drift' | 'orphan' | 'deletion';
    let action: 'deactivate' | 'delete';
    if (verdict.classification === 'drift') {
      kind = 'drift';
      action = target.leaverAction === 'delete' ? 'delete' : 'deactivate';
    } else if (verdict.classification === 'orphan' && config.reconciliation.deactivateOrphans) {
      kind = 'orphan';
      action = 'deactivate';
    } else if (verdict.classification === 'inactive' && this.deletionDue(verdict.leaver)) {
      kind = 'deletion';
      action = 'delete';
    } else return;

    const now = clock.now();
    const personId = verdict.leaver?.personId ?? `orphan:${target.id}:${account.id}`;
    const eventId = `reconcile-${pass.progress.runId}-${createHash('sha256').update(`${target.id}\n${account.id}`).digest('hex').slice(0, 16)}`;
    const detail = {
      runId: pass.progress.runId,
      classification: verdict.classification,
      action,
      accountId: account.id,
      userName: account.userName,
      ...(verdict.leaver && {
        ledger: { eventId: verdict.leaver.eventId, outcome: verdict.leaver.outcome, at: verdict.leaver.at },
      }),
    };
    const audit = (step: AuditStep, extra: Record<string, unknown> = {}) =>
      this.deps.audit.append(
        auditEntry(
          {
            eventId,
            step,
            personId,
            targetId: target.id,
            actor: 'reconciler',
            detail: { ...detail, ...extra },
          },
          now,
        ),
      );

    if (target.mode === 'report-only') {
      if (changed && kind !== 'orphan') {
        await audit('REPORTED', { reason: 'target is report-only: scimitar never writes to it' });
      }
      return;
    }
    if (config.dryRun) {
      if (changed) await audit('DRY_RUN', { wouldDo: action, reason: 'dry run' });
      return;
    }
    this.limit ??= revocationLimit(config, await this.deps.budget.accountCount(target.id));
    const window = windowStart(now, config.blastRadius.windowMinutes);
    if (!(await this.deps.budget.tryConsume(target.id, window, this.limit))) {
      pass.counts.refused += 1;
      await audit('REFUSED', {
        reason: `blast-radius guard: target "${target.id}" already had ${this.limit} revocations in the ${config.blastRadius.windowMinutes}-minute window from ${window}; the next run tries again`,
      });
      return;
    }
    const message: LaneMessage = {
      eventId,
      receivedAt: now.toISOString(),
      dryRun: false,
      person: { employeeId: personId },
      lane: {
        targetId: target.id,
        tier: target.tier,
        action,
        // The account as listed, found by its userName and pinned by its SCIM id: should the account
        // go and its name pass to someone else before the lane runs, the lane refuses to write.
        matchAttribute: 'userName',
        matchValue: account.userName,
        accountId: account.id,
        removeFromGroups: target.removeFromGroups,
        reportOnly: false,
      },
    };
    const checked = laneMessageSchema.safeParse(message);
    if (!checked.success) {
      pass.counts.refused += 1;
      await audit('FAILED', {
        reason: `cannot address the account in a lane message: ${checked.error.message}`,
      });
      return;
    }
    await this.deps.queue.send(target.id, checked.data);
    pass.counts.remediated += 1;
    await audit('REMEDIATED', { kind });
  }

  private deletionDue(leaver: LedgerRecord | undefined): boolean {
    const { target } = this;
    if (leaver?.outcome !== 'revoked') return false;
    if (target.leaverAction !== 'deactivate-then-delete' || target.deleteAfterDays === undefined)
      return false;
    return this.deps.clock.now().getTime() - Date.parse(leaver.at) >= target.deleteAfterDays * 86_400_000;
  }
}

/** The target's leavers, found by the SCIM id the lane saw or by the identifier it matched on. */
export class LeaverLookup {
  private readonly byAccount = new Map<string, LedgerRecord>();
  private readonly byKey = new Map<string, LedgerRecord>();

  static async load(index: LeaverIndex, targetId: string): Promise<LeaverLookup> {
    const lookup = new LeaverLookup();
    for await (const record of index.forTarget(targetId)) lookup.add(record);
    return lookup;
  }

  add(record: LedgerRecord): void {
    const keep = (map: Map<string, LedgerRecord>, key: string) => {
      const held = map.get(key);
      if (!held || held.at < record.at) map.set(key, record);
    };
    if (record.accountId) keep(this.byAccount, record.accountId);
    if (record.userName) keep(this.byKey, `userName:${normalise('userName', record.userName)}`);
    if (record.matchAttribute && record.matchValue) {
      keep(this.byKey, `${record.matchAttribute}:${normalise(record.matchAttribute, record.matchValue)}`);
    }
  }

  find(account: ScimAccount): LedgerRecord | undefined {
    return this.findKeyed(account)?.record;
  }

  /** The leaver and the key that found them (`SCIM id "…"`, `email "…"`): the latest record wins. */
  findKeyed(account: ScimAccount): KeyedLeaver | undefined {
    const byId = this.byAccount.get(account.id);
    if (byId) return { record: byId, key: scimIdKey(account.id) };
    let found: KeyedLeaver | undefined;
    for (const attribute of LEDGER_ATTRIBUTES) {
      for (const value of accountValues(account, attribute)) {
        const record = this.byKey.get(`${attribute}:${normalise(attribute, value)}`);
        if (record && (!found || found.record.at < record.at)) {
          found = { record, key: `${attribute} ${JSON.stringify(value)}` };
        }
      }
    }
    return found;
  }

  /** The keys `findKeyed` tries for an account, in its order. */
  static keysOf(account: ScimAccount): string[] {
    return [
      scimIdKey(account.id),
      ...LEDGER_ATTRIBUTES.flatMap((attribute) =>
        accountValues(account, attribute).map((value) => `${attribute} ${JSON.stringify(value)}`),
      ),
    ];
  }
}

const LEDGER_ATTRIBUTES = ['userName', 'email', 'externalId'] as const;
const scimIdKey = (id: string) => `SCIM id ${JSON.stringify(id)}`;

/** A leaver found for an account, and by which key. */
export interface KeyedLeaver {
  readonly record: LedgerRecord;
  readonly key: string;
}
