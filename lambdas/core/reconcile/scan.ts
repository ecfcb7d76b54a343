// Scanning a target: reads its pages from the saved position on (retrying the odd 503), and
// classifies, remediates and records each page's accounts before the checkpoint moves on.
import type { ScimTargetConfig } from '../model/config.ts';
import { ScimitarError } from '../model/errors.ts';
import { type ListedPage, type ScimAccount, ScimRetryableError } from '../scim/index.ts';
import { Classifier, LeaverLookup, type Verdict } from './classify.ts';
import { inParallel } from './in-parallel.ts';
import type { Pass } from './pass.ts';
import type { PageRecord } from './ports.ts';
import type { ReconcileDeps, ReconcileRequest } from './reconcile.ts';
import { Remediator } from './remediate.ts';
import type { Roster } from './roster.ts';
import {
  type AccountState,
  type QueuedRemediation,
  type RunProgress,
  sameQueued,
  stateChanged,
  stateFingerprint,
} from './state.ts';

/** A listing that cannot be trusted to show each account once. */
export class ReconcilePagingError extends ScimitarError {
  constructor(message: string) {
    super(message);
    this.name = 'ReconcilePagingError';
  }
}

const PAGE_RETRIES = 3;
/** A page's remediations in flight at once (each a guard take, an audit entry and a queue send, or none). */
const REMEDIATION_CONCURRENCY = 8;

export interface ScanContext {
  readonly request: ReconcileRequest;
  readonly deps: ReconcileDeps;
  readonly timeShort: () => boolean;
  readonly checkpoint: (change: Partial<RunProgress>) => Promise<void>;
  /** Moves the pass on in memory; the next checkpoint saves it. */
  readonly advance: (change: Partial<RunProgress>) => void;
}

/**
 * Pages are checkpointed at most this often (and always at the listing's end or a pause): a
 * resumed pass reads again the pages since the last one, whose listings it saves again under the
 * same keys. A checkpoint per page would cost a write per page; at a page of 100 accounts that is
 * a tenth of the write work of the whole pass for nothing a resume needs.
 */
export const CHECKPOINT_EVERY_MS = 2_000;

/**
 * Reads pages from the saved position on; true when the listing ended, false when out of time.
 * The next page is fetched while this one is judged and saved (one page ahead at most, so memory
 * holds two pages), unless time is short; the checkpoint still follows the page's writes, so a
 * resumed pass never skips one.
 */
export async function scan(
  target: ScimTargetConfig,
  roster: Roster,
  pass: Pass,
  ctx: ScanContext,
): Promise<boolean> {
  const { deps, request } = ctx;
  const sleep = deps.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  const classifier = new Classifier(target, roster, await LeaverLookup.load(deps.leavers, target.id));
  const remediator = new Remediator(target, deps);
  let retries = 0;
  const every = deps.checkpointEveryMs ?? CHECKPOINT_EVERY_MS;
  const clockMs = () => deps.clock.now().getTime();
  let savedAt = clockMs();
  // Pages judged since the last checkpoint, saved together just before the next one (a write per
  // page of 100 was a tenth of the pass's time on DynamoDB), as one record under the last page's
  // number, the checkpoint's pagesDone: what a resumed pass reads back (`listed` through pagesDone)
  // is the same, with one listing item per checkpoint instead of one per page. Kept across a
  // retried page: the position in memory has moved past them. A failed pass starts over, so
  // losing them is safe.
  let judged: PageRecord[] = [];
  const flush = async () => {
    const [first, ...rest] = judged;
    if (first) await deps.store.recordPages([merged([first, ...rest])]);
    judged = [];
  };
  const save = async (change: Partial<RunProgress>) => {
    await flush();
    await ctx.checkpoint(change);
    savedAt = clockMs();
  };
  for (;;) {
    const position = pass.progress.position;
    const walk = deps.scim(target).listAccountPages({
      ...(request.pageSize !== undefined && { pageSize: request.pageSize }),
      ...(position && { from: position }),
    });
    // Time is checked before a page is asked for, never after: a page read is always judged.
    if (ctx.timeShort()) {
      await walk.return(undefined);
      // Pages judged before a retried page are saved: the pause's checkpoint moves past them.
      await flush();
      return false;
    }
    let ahead: Promise<IteratorResult<ListedPage<ScimAccount>, void>> | undefined = prefetch(walk);
    try {
      for (let pending = ahead; ; ) {
        const started = performance.now();
        const next = await pending;
        ahead = undefined;
        if (next.done) {
          // An empty page ended the listing: the pass's next checkpoint moves past what it judged.
          await flush();
          return true;
        }
        const page = next.value;
        if (page.next && !ctx.timeShort()) ahead = prefetch(walk);
        judged.push(await judgePage(page.resources, pass, { target, deps, classifier, remediator }));
        pass.steps += 1;
        retries = 0;
        pass.slowestStepMs = Math.max(pass.slowestStepMs, performance.now() - started);
        const { position: _p, ...rest } = pass.progress;
        pass.progress = rest;
        const change = {
          pagesDone: pass.progress.pagesDone + 1,
          ...(page.next && { position: page.next }),
        };
        // The last page, or the last before a pause, is always saved.
        if (!page.next || !ahead || clockMs() - savedAt >= every) {
          await save(change);
        } else {
          ctx.advance(change);
        }
        if (!page.next) return true;
        if (!ahead) {
          await walk.return(undefined);
          return false;
        }
        pending = ahead;
      }
    } catch (err) {
      await abandon(walk, ahead);
      // A listing of thousands of pages meets the odd 503: read the same page again, a few times.
      if (!(err instanceof ScimRetryableError) || retries >= PAGE_RETRIES) {
        // The pass ends incomplete; what it judged before the failure is still what it found.
        await flush().catch(() => {});
        throw err;
      }
      retries += 1;
      await sleep(err.retryAfterMs ?? 1000 * 2 ** (retries - 1));
    }
  }
}

/** Pages of one checkpoint as one record, under the last page's number. */
function merged(pages: readonly [PageRecord, ...PageRecord[]]): PageRecord {
  const last = pages.at(-1) ?? pages[0];
  if (pages.length === 1) return last;
  const listed = new Map<string, string>();
  const queued = new Map<string, QueuedRemediation>();
  for (const page of pages) {
    for (const [id, print] of page.listed) listed.set(id, print);
    for (const [id, remediation] of page.queued ?? []) queued.set(id, remediation);
  }
  return { ...last, listed, queued, changed: pages.flatMap((page) => page.changed) };
}

type Walk = AsyncGenerator<ListedPage<ScimAccount>, void, undefined>;

/** The next page, fetched ahead; its failure surfaces when it is awaited, not before. */
function prefetch(walk: Walk): Promise<IteratorResult<ListedPage<ScimAccount>, void>> {
  const next = walk.next();
  next.catch(() => {});
  return next;
}

/** Ends a listing, after the page fetched ahead (if any) settles: a generator runs one call at a time. */
async function abandon(walk: Walk, ahead: Promise<unknown> | undefined): Promise<void> {
  await ahead?.catch(() => {});
  await walk.return(undefined).catch(() => {});
}

/** What judges one page's accounts. */
interface PageJudges {
  readonly target: ScimTargetConfig;
  readonly deps: ReconcileDeps;
  readonly classifier: Classifier;
  readonly remediator: Remediator;
}

/**
 * Classifies, remediates and records one page's accounts. An account an earlier page of this run
 * listed is skipped (the server repeated it); a page of nothing but repeats cannot be paged past.
 * Only states that changed are written: an account listed with the fingerprint the last complete
 * pass recorded is neither read nor written (its queued remediation, if any, comes with the
 * fingerprint), unless its remediation is queued anew; the others' stored states are read and
 * compared.
 */
async function judgePage(
  accounts: readonly ScimAccount[],
  pass: Pass,
  { target, deps, classifier, remediator }: PageJudges,
): Promise<PageRecord> {
  const { store, clock } = deps;
  const { runId, pagesDone } = pass.progress;
  // Listed by an earlier page of this run: the server gave it again (a shifted or ignored position).
  const fresh = accounts.filter((a) => !pass.seen.has(a.id));
  if (accounts.length > 0 && fresh.length === 0) {
    throw new ReconcilePagingError(
      `target ${target.id}: every account of page ${pagesDone + 1} was already read in this run; the server does not honour the saved position, so the listing cannot be completed`,
    );
  }
  const now = clock.now().toISOString();
  const judged = new Map<string, Judged>();
  for (const account of fresh) {
    if (judged.has(account.id)) continue; // twice on one page
    const verdict = classifier.classify(account);
    const state: AccountState = {
      targetId: target.id,
      scimId: account.id,
      userName: account.userName,
      ...(account.active !== undefined && { active: account.active }),
      classification: verdict.classification,
      ...(verdict.personId !== undefined && { personId: verdict.personId }),
      ...(verdict.reason !== undefined && { reason: verdict.reason }),
      ...(verdict.match !== undefined && { match: verdict.match }),
      firstSeen: now,
      lastSeen: now,
      runId,
      page: pagesDone + 1,
    };
    const print = stateFingerprint(state);
    // Known unchanged: the stored state says what this one says, and was queued what the listing says.
    const known = pass.known.get(account.id) === print;
    const knownQueued = known ? pass.knownQueued.get(account.id) : undefined;
    pass.known.delete(account.id);
    pass.knownQueued.delete(account.id);
    judged.set(account.id, { account, verdict, state, print, known, knownQueued });
    pass.findingIds.offer(state);
  }
  const unknown = [...judged.values()].filter((j) => !j.known).map((j) => j.account.id);
  const before = await store.accountsByIds(target.id, unknown);
  const listed = new Map<string, string>();
  for (const { account, verdict, print } of judged.values()) {
    pass.counts.accounts += 1;
    pass.counts[verdict.classification] += 1;
    listed.set(account.id, print);
  }
  // Remediated before the page is recorded, as before: a page whose remediation failed is read again.
  await inParallel([...judged.values()], REMEDIATION_CONCURRENCY, async (j) => {
    const previous = j.known
      ? { ...j.state, ...(j.knownQueued && { queued: j.knownQueued }) }
      : before.get(j.account.id);
    j.queued = await remediator.act(j.account, j.verdict, previous, pass);
  });
  const changed: AccountState[] = [];
  const queued = new Map<string, QueuedRemediation>();
  // Known accounts whose remediation was queued anew: their stored states are read for the rest.
  const requeued: Judged[] = [];
  for (const j of judged.values()) {
    if (j.queued) queued.set(j.account.id, j.queued);
    if (j.known) {
      if (!sameQueued(j.knownQueued, j.queued)) requeued.push(j);
      continue;
    }
    const next = nextState(j, before.get(j.account.id));
    if (stateChanged(before.get(j.account.id), next)) changed.push(next);
  }
  if (requeued.length > 0) {
    const stored = await store.accountsByIds(
      target.id,
      requeued.map((j) => j.account.id),
    );
    for (const j of requeued) changed.push(nextState(j, stored.get(j.account.id)));
  }
  for (const [id, print] of listed) pass.seen.set(id, print);
  return { targetId: target.id, runId, page: pagesDone + 1, listed, changed, queued };
}

/** One account of a page as judged: its verdict, its state as this pass sees it, what was queued. */
interface Judged {
  readonly account: ScimAccount;
  readonly verdict: Verdict;
  readonly state: AccountState;
  readonly print: string;
  /** Listed by the last complete pass with this fingerprint: its stored state is not read. */
  readonly known: boolean;
  /** The remediation the last complete pass's listing recorded as waiting (known accounts). */
  readonly knownQueued: QueuedRemediation | undefined;
  /** The remediation waiting after this pass (Remediator.act). */
  queued?: QueuedRemediation | undefined;
}

/** The state to store: this pass's, with the stored first sight and the remediation waiting. */
function nextState(j: Judged, stored: AccountState | undefined): AccountState {
  return {
    ...j.state,
    ...(stored && { firstSeen: stored.firstSeen }),
    ...(j.queued && { queued: j.queued }),
  };
}
