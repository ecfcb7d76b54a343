// The sweep of a pass: removes the states of accounts the target no longer lists, a batch at a time,
// checkpointed, so an invocation that runs out of time stops cleanly and the next one continues.
import type { Pass } from './pass.ts';
import type { ReconciliationStore } from './ports.ts';
import type { ReconcileRequest } from './reconcile.ts';
import type { RunProgress } from './state.ts';

export interface SweepContext {
  readonly store: ReconciliationStore;
  readonly request: ReconcileRequest;
  readonly timeShort: () => boolean;
  readonly checkpoint: (change: Partial<RunProgress>) => Promise<void>;
}

/**
 * Sweeps; false when time ran short (checkpoint and pause). `vanished`, when the scan just told
 * them (what the last complete pass listed and this one did not), are removed by key: the states
 * that pass left are exactly what it listed. Otherwise every state is read, from `sweepFrom` on,
 * and those the pass did not list are removed.
 */
export async function sweep(
  targetId: string,
  vanished: readonly string[] | undefined,
  pass: Pass,
  { store, request, timeShort, checkpoint }: SweepContext,
): Promise<boolean> {
  const batch = request.sweepBatch ?? 500;
  const step = async (work: () => Promise<number>) => {
    const started = performance.now();
    pass.counts.removed += await work();
    pass.steps += 1;
    pass.slowestStepMs = Math.max(pass.slowestStepMs, performance.now() - started);
  };
  if (vanished !== undefined) {
    // Checkpointed once, at the pass's end: an invocation that stops halfway leaves the next one
    // to sweep by reading the states.
    for (let i = 0; i < vanished.length; i += batch) {
      if (timeShort()) return false;
      const ids = vanished.slice(i, i + batch);
      await step(async () => {
        await store.removeAccounts(targetId, ids);
        return ids.length;
      });
    }
    return true;
  }
  for (;;) {
    if (timeShort()) return false;
    let next: string | undefined;
    await step(async () => {
      const swept = await store.sweep(targetId, (id) => pass.seen.has(id), {
        ...(pass.progress.sweepFrom !== undefined && { from: pass.progress.sweepFrom }),
        limit: batch,
      });
      next = swept.next;
      return swept.removed;
    });
    const { sweepFrom: _done, ...rest } = pass.progress;
    pass.progress = rest;
    await checkpoint(next === undefined ? {} : { sweepFrom: next });
    if (next === undefined) return true;
  }
}
