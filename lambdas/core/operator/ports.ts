// Ports of the operator's commands: what became of a workflow execution, by name. Abstract
// classes, as in model/ports.ts; the Step Functions adapter lives in lambdas/aws/adapters, the
// local one in local/.
import { ScimitarError } from '../model/errors.ts';

/** Step Functions' execution statuses. */
export type ExecutionStatus =
  | 'RUNNING'
  | 'SUCCEEDED'
  | 'FAILED'
  | 'TIMED_OUT'
  | 'ABORTED'
  | 'PENDING_REDRIVE';

/** The workflow's executions, looked up by name. */
export abstract class ExecutionHistory {
  /** The status of the execution `name`; undefined when no execution of that name exists. */
  abstract status(name: string): Promise<ExecutionStatus | undefined>;
}

/** An operator's command names something that does not exist (an event, a task). */
export class OperatorNotFoundError extends ScimitarError {
  constructor(message: string) {
    super(message);
    this.name = 'OperatorNotFoundError';
  }
}

/** An operator's command cannot be carried out in the current state; the message says why and what to do. */
export class OperatorConflictError extends ScimitarError {
  constructor(message: string) {
    super(message);
    this.name = 'OperatorConflictError';
  }
}
