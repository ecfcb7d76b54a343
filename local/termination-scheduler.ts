// The local stand-in for EventBridge Scheduler's one-time schedules: a termination's schedule
// sleeps on the runtime's clock until its start time (so a date 400 days ahead waits, and a test
// moves the clock to it) and then starts the workflow execution by name, as the schedule's
// universal target does. One schedule per person: a reschedule replaces it, a rescind deletes it.
// With --persist the schedules are kept in a file and re-armed when the runtime starts again.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import type { WorkflowStarter } from '../lambdas/core/ingest/ports.ts';
import { type ScheduledStart, TerminationScheduler } from '../lambdas/core/lifecycle/ports.ts';
import type { LocalClock } from './clock.ts';

export interface LocalTerminationSchedulerProps {
  readonly clock: LocalClock;
  /** What a schedule starts when it fires: the local state machine. */
  readonly workflows: WorkflowStarter;
  /** Where the schedules are kept across restarts. @default - in memory only */
  readonly file?: string;
  /** A start that failed (on AWS: retried, then the schedules' dead-letter queue). */
  readonly onError: (start: ScheduledStart, err: unknown) => void;
}

interface Armed {
  readonly start: ScheduledStart;
  readonly stop: AbortController;
}

export class LocalTerminationScheduler extends TerminationScheduler {
  private readonly armed = new Map<string, Armed>();

  constructor(private readonly props: LocalTerminationSchedulerProps) {
    super();
    if (props.file && existsSync(props.file)) {
      const kept = JSON.parse(readFileSync(props.file, 'utf8')) as (ScheduledStart & { startAt: string })[];
      for (const start of kept) this.arm({ ...start, startAt: new Date(start.startAt) });
    }
  }

  async schedule(start: ScheduledStart): Promise<void> {
    this.disarm(start.personId);
    this.arm(start);
    this.save();
  }

  async cancel(personId: string): Promise<void> {
    this.disarm(personId);
    this.save();
  }

  /** The schedules waiting, earliest first. */
  list(): ScheduledStart[] {
    return [...this.armed.values()].map((a) => a.start).sort((a, b) => +a.startAt - +b.startAt);
  }

  /** Stops every schedule (the runtime stops); the file keeps them for the next start. */
  stop(): void {
    for (const { stop } of this.armed.values()) stop.abort();
    this.armed.clear();
  }

  private arm(start: ScheduledStart): void {
    const armed: Armed = { start, stop: new AbortController() };
    this.armed.set(start.personId, armed);
    this.props.clock
      .sleepUntil(start.startAt, armed.stop.signal)
      .then(async () => {
        // Deleted after it runs (ActionAfterCompletion DELETE).
        this.armed.delete(start.personId);
        this.save();
        await this.props.workflows.start(start.executionName, start.input);
      })
      .catch((err: unknown) => {
        if (!armed.stop.signal.aborted) this.props.onError(start, err);
      });
  }

  private disarm(personId: string): void {
    this.armed.get(personId)?.stop.abort();
    this.armed.delete(personId);
  }

  private save(): void {
    if (this.props.file) writeFileSync(this.props.file, JSON.stringify(this.list(), null, 2));
  }
}
