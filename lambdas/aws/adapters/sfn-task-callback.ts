// TaskCallback over Step Functions SendTaskSuccess / SendTaskFailure. A token whose execution
// ended (timed out, redriven message) maps to TaskNotWaitingError so the lane records a redrive.
import {
  InvalidToken,
  SendTaskFailureCommand,
  SendTaskSuccessCommand,
  SFNClient,
  TaskDoesNotExist,
  TaskTimedOut,
} from '@aws-sdk/client-sfn';
import { TaskCallback, TaskNotWaitingError } from '../../core/revocation/ports.ts';

// SendTaskFailure caps error at 256 and cause at 32768 characters.
const clip = (text: string, max: number) => (text.length > max ? `${text.slice(0, max - 1)}…` : text);

export class SfnTaskCallback extends TaskCallback {
  constructor(private readonly client: SFNClient = new SFNClient({})) {
    super();
  }

  async succeed(taskToken: string, output: unknown): Promise<void> {
    await this.call(() =>
      this.client.send(new SendTaskSuccessCommand({ taskToken, output: JSON.stringify(output) })),
    );
  }

  async fail(taskToken: string, error: string, cause: string): Promise<void> {
    await this.call(() =>
      this.client.send(
        new SendTaskFailureCommand({ taskToken, error: clip(error, 256), cause: clip(cause, 32_768) }),
      ),
    );
  }

  private async call(send: () => Promise<unknown>): Promise<void> {
    try {
      await send();
    } catch (err) {
      if (err instanceof TaskTimedOut || err instanceof TaskDoesNotExist || err instanceof InvalidToken) {
        throw new TaskNotWaitingError(`the workflow no longer waits for this task (${err.name})`, {
          cause: err,
        });
      }
      throw err;
    }
  }
}
