// Scanning a target: reads its pages from the saved position on (retrying the odd 503), and
// classifies, remediates and records each page's accounts before the checkpoint moves on.
import type { ScimTargetConfig } from '../model/config.ts';
import { ScimitarError } from '../model/errors.ts';
import { type ScimAccount, ScimRetryableError } from '../scim/index.ts';
import { Classifier, LeaverLookup } from './classify.ts';
import type { Pass } from './pass.ts';
import type { ReconcileDeps, ReconcileRequest } from './reconcile.ts';
import { Remediator } from './remediate.ts';
import type { Roster } from './roster.ts';
import type { AccountState, RunProgress } from './state.ts';

/** A listing that cannot be trusted to show each account once. */
export class ReconcilePagingError extends ScimitarError {
  constructor(message: string) {
    super(message);
    this.name = 'ReconcilePagingError';
  }
}

const PAGE_RETRIES = 3;

export interface ScanContext {
  readonly request: ReconcileRequest;
  readonly deps: ReconcileDeps;
  readonly timeShort: () => boolean;
  readonly checkpoint: (change: Partial<RunProgress>) => Promise<void>;
}

/** Reads pages from the saved position on; true when the listing ended, false when out of time. */
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
        await judgePage(page.resources, pass, { target, deps, classifier, remediator });
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

/** What judges one page's accounts. */
interface PageJudges {
  readonly target: ScimTargetConfig;
  readonly deps: ReconcileDeps;
  readonly classifier: Classifier;
  readonly remediator: Remediator;
}

/**
 * Classifies, remediates and records one page's accounts. An account this run saved from an earlier
 * page is skipped (the server repeated it); a page of nothing but repeats cannot be paged past.
 */
async function judgePage(
  accounts: readonly ScimAccount[],
  pass: Pass,
  { target, deps, classifier, remediator }: PageJudges,
): Promise<void> {
  const { store, clock } = deps;
  const { runId, pagesDone } = pass.progress;
  const before = await store.accountsByIds(
    target.id,
    accounts.map((a) => a.id),
  );
  const now = clock.now().toISOString();
  const states: AccountState[] = [];
  for (const account of accounts) {
    const previous = before.get(account.id);
    // Saved by an earlier page of this run: the server gave it again (a shifted or ignored position).
    if (previous?.runId === runId && previous.page <= pagesDone) continue;
    const verdict = classifier.classify(account);
    pass.counts.accounts += 1;
    pass.counts[verdict.classification] += 1;
    await remediator.act(account, verdict, previous, pass);
    states.push({
      targetId: target.id,
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
      `target ${target.id}: every account of page ${pagesDone + 1} was already read in this run; the server does not honour the saved position, so the listing cannot be completed`,
    );
  }
  await store.putAccounts(states);
}
