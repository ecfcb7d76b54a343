// The port of owner tasks: where they are kept (the state table on AWS and in the local runtime).
// An abstract class, as in model/ports.ts; the DynamoDB adapter lives in lambdas/aws/adapters.
import type { OwnerTask } from './owner-task.ts';

/** What an owner said when acknowledging a task. */
export interface TaskAck {
  readonly ackedAt: string;
  readonly ackedBy: string;
  readonly note?: string;
}

export abstract class OwnerTaskBoard {
  /** Stores a new open task; false when the task exists already (a retried plan), which is left as it is. */
  abstract open(task: OwnerTask): Promise<boolean>;
  abstract get(taskId: string): Promise<OwnerTask | undefined>;
  /** Every open task, oldest first. */
  abstract listOpen(): Promise<OwnerTask[]>;
  /** Closes an open task with the ack (conditional on its being open); false when it was not open. */
  abstract close(taskId: string, ack: TaskAck): Promise<boolean>;
}
