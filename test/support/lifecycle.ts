// In-memory ports of the termination lifecycle: a pending-termination store with the table's
// compare-and-set, and a scheduler that holds one-time schedules until a test (or a clock) fires them.

import type { WorkflowStarter } from '../../lambdas/core/ingest/ports.ts';
import { TerminationLifecycle } from '../../lambdas/core/lifecycle/lifecycle.ts';
import {
  type PendingTermination,
  PendingTerminations,
  type ScheduledStart,
  TerminationScheduler,
} from '../../lambdas/core/lifecycle/ports.ts';
import type { ScimitarConfig } from '../../lambdas/core/model/config.ts';
import { InMemoryAuditLog, InMemorySecretSource, InMemoryWorkflowStarter } from './fakes.ts';
import { RecordingNotifier } from './recorders.ts';

export class InMemoryPendingTerminations extends PendingTerminations {
  readonly records = new Map<string, PendingTermination>();
  /** Runs once before the next replace, as if another writer got there first. */
  beforeNextReplace: (() => void) | undefined;

  async get(personId: string): Promise<PendingTermination | undefined> {
    const record = this.records.get(personId);
    return record && structuredClone(record);
  }

  async replace(next: PendingTermination, expectedVersion: number | undefined): Promise<boolean> {
    const race = this.beforeNextReplace;
    this.beforeNextReplace = undefined;
    race?.();
    if (this.records.get(next.personId)?.version !== expectedVersion) return false;
    this.records.set(next.personId, structuredClone(next));
    return true;
  }
}

/** Schedules by person; `fireDue(now, workflows)` starts those due, deleting them after they run (ActionAfterCompletion DELETE). */
export class InMemoryTerminationScheduler extends TerminationScheduler {
  readonly schedules = new Map<string, ScheduledStart>();
  readonly cancelled: string[] = [];

  async schedule(start: ScheduledStart): Promise<void> {
    this.schedules.set(start.personId, structuredClone(start));
  }

  async cancel(personId: string): Promise<void> {
    this.schedules.delete(personId);
    this.cancelled.push(personId);
  }

  async fireDue(now: Date, workflows: WorkflowStarter): Promise<string[]> {
    const fired: string[] = [];
    for (const [personId, start] of this.schedules) {
      if (start.startAt > now) continue;
      this.schedules.delete(personId);
      await workflows.start(start.executionName, start.input);
      fired.push(start.executionName);
    }
    return fired;
  }
}

/** The lifecycle's ports in memory, wired as ingest wires them, with every source signed by `key`. */
export function lifecycleWorld(config: ScimitarConfig, key: string) {
  const audit = new InMemoryAuditLog();
  const workflows = new InMemoryWorkflowStarter();
  const terminations = new InMemoryPendingTerminations();
  const scheduler = new InMemoryTerminationScheduler();
  const owners = new RecordingNotifier();
  const apply = new TerminationLifecycle({ terminations, scheduler, workflows, audit, owners, config });
  const secrets = new InMemorySecretSource(
    Object.fromEntries(config.sources.map((s) => [s.secretName ?? '', key])),
  );
  return {
    audit,
    workflows,
    terminations,
    scheduler,
    owners,
    secrets,
    lifecycle: { apply, horizonDays: config.scheduleHorizonDays },
  };
}
