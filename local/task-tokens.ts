// Task tokens of the local workflow: an SQS `.waitForTaskToken` state registers a token and
// waits; the worker's SendTaskSuccess/Failure (through LocalTaskCallback) settles it. A token
// nobody waits for any more answers like Step Functions: TaskNotWaitingError.
import { randomUUID } from 'node:crypto';
import { TaskCallback, TaskNotWaitingError } from '../lambdas/core/revocation/ports.ts';
import { localArns, recordAwsCall } from './aws-calls.ts';

/** A task failure as Step Functions reports it to a Catch: error name and cause. */
export class TaskFailedError extends Error {
  constructor(
    readonly error: string,
    readonly causeText: string,
  ) {
    super(causeText);
    // aws-local-stepfunctions matches Catch/Retry ErrorEquals against the error's name.
    this.name = error;
  }
}

interface Waiter {
  resolve(output: unknown): void;
  reject(err: Error): void;
}

export class TaskTokenRegistry {
  private readonly waiting = new Map<string, Waiter>();

  /** A new token and the promise its task state awaits. */
  issue(): { token: string; settled: Promise<unknown> } {
    const token = `local-task-${randomUUID()}`;
    const settled = new Promise<unknown>((resolve, reject) => this.waiting.set(token, { resolve, reject }));
    return { token, settled };
  }

  /** Forgets a token (its state timed out or its execution ended). */
  abandon(token: string, reason: Error): void {
    const waiter = this.waiting.get(token);
    this.waiting.delete(token);
    waiter?.reject(reason);
  }

  get pending(): number {
    return this.waiting.size;
  }

  settle(token: string, outcome: { output: unknown } | { error: string; cause: string }): void {
    const waiter = this.waiting.get(token);
    if (!waiter)
      throw new TaskNotWaitingError('no local workflow waits for this task token (execution ended)');
    this.waiting.delete(token);
    if ('output' in outcome) waiter.resolve(outcome.output);
    else waiter.reject(new TaskFailedError(outcome.error, outcome.cause));
  }
}

export class LocalTaskCallback extends TaskCallback {
  constructor(
    private readonly registry: TaskTokenRegistry,
    /** The state machine the tokens belong to (recorded as the callback's resource). @default 'scimitar' */
    private readonly stateMachineName = 'scimitar',
  ) {
    super();
  }

  private record(action: string): void {
    recordAwsCall({ action, resources: [localArns.stateMachine(this.stateMachineName)] });
  }

  async succeed(taskToken: string, output: unknown): Promise<void> {
    this.record('states:SendTaskSuccess');
    // As SendTaskSuccess: the output travels as JSON.
    this.registry.settle(taskToken, { output: JSON.parse(JSON.stringify(output)) });
  }

  async fail(taskToken: string, error: string, cause: string): Promise<void> {
    this.record('states:SendTaskFailure');
    this.registry.settle(taskToken, { error, cause });
  }
}
