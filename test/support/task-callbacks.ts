// A TaskCallback that records what a lane reported, and can play a workflow that stopped waiting.
import { TaskCallback, TaskNotWaitingError } from '../../lambdas/core/revocation/ports.ts';

export class RecordingTaskCallback extends TaskCallback {
  readonly succeeded: { taskToken: string; output: unknown }[] = [];
  readonly failed: { taskToken: string; error: string; cause: string }[] = [];
  /** Tokens whose execution has ended: callbacks for them throw TaskNotWaitingError. */
  readonly ended = new Set<string>();

  async succeed(taskToken: string, output: unknown): Promise<void> {
    if (this.ended.has(taskToken)) throw new TaskNotWaitingError('execution ended');
    this.succeeded.push({ taskToken, output });
  }

  async fail(taskToken: string, error: string, cause: string): Promise<void> {
    if (this.ended.has(taskToken)) throw new TaskNotWaitingError('execution ended');
    this.failed.push({ taskToken, error, cause });
  }
}
