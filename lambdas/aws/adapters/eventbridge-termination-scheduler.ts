// TerminationScheduler over EventBridge Scheduler: one one-time `at(...)` schedule per person in
// the stack's schedule group, deleted after it runs, whose universal target starts the workflow
// execution by name (Step Functions StartExecution), so the name still dedupes.
import { createHash } from 'node:crypto';
import {
  ConflictException,
  CreateScheduleCommand,
  type CreateScheduleCommandInput,
  DeleteScheduleCommand,
  ResourceNotFoundException,
  SchedulerClient,
  UpdateScheduleCommand,
} from '@aws-sdk/client-scheduler';
import { type ScheduledStart, TerminationScheduler } from '../../core/lifecycle/ports.ts';

/** The universal target that calls Step Functions StartExecution with the schedule's input. */
export const START_EXECUTION_TARGET = 'arn:aws:scheduler:::aws-sdk:sfn:startExecution';

export interface EventBridgeTerminationSchedulerProps {
  /** The stack's schedule group: the only one the ingest function may write. */
  readonly groupName: string;
  /** The state machine the schedule starts. */
  readonly stateMachineArn: string;
  /** The role EventBridge Scheduler assumes to start it (states:StartExecution on it only). */
  readonly roleArn: string;
  /** Where a start that failed after its retries goes (an alarmed queue). @default - none: it is dropped */
  readonly deadLetterArn?: string;
  /** @default - a new SchedulerClient for the function's region */
  readonly client?: SchedulerClient;
}

/** A schedule's name for a person: at most 64 of [0-9A-Za-z-_.], and no personal data in it. */
export function scheduleName(personId: string): string {
  return `termination-${createHash('sha256').update(personId).digest('hex').slice(0, 40)}`;
}

/** `at(yyyy-mm-ddThh:mm:ss)` in UTC, to the second (Scheduler takes no milliseconds or zone suffix). */
export function atExpression(when: Date): string {
  return `at(${when.toISOString().slice(0, 19)})`;
}

export class EventBridgeTerminationScheduler extends TerminationScheduler {
  private readonly client: SchedulerClient;

  constructor(private readonly props: EventBridgeTerminationSchedulerProps) {
    super();
    this.client = props.client ?? new SchedulerClient({});
  }

  async schedule(start: ScheduledStart): Promise<void> {
    const input: CreateScheduleCommandInput = {
      Name: scheduleName(start.personId),
      GroupName: this.props.groupName,
      ScheduleExpression: atExpression(start.startAt),
      ScheduleExpressionTimezone: 'UTC',
      FlexibleTimeWindow: { Mode: 'OFF' },
      ActionAfterCompletion: 'DELETE',
      Description: `scimitar: starts the revocation ${start.executionName}`,
      Target: {
        Arn: START_EXECUTION_TARGET,
        RoleArn: this.props.roleArn,
        // Scheduler's most: a throttled or failing start is retried for a day, then dead-lettered.
        RetryPolicy: { MaximumRetryAttempts: 185, MaximumEventAgeInSeconds: 86_400 },
        ...(this.props.deadLetterArn && { DeadLetterConfig: { Arn: this.props.deadLetterArn } }),
        Input: JSON.stringify({
          StateMachineArn: this.props.stateMachineArn,
          Name: start.executionName,
          Input: JSON.stringify(start.input),
        }),
      },
    };
    try {
      await this.client.send(new CreateScheduleCommand(input));
    } catch (err) {
      // The person's schedule exists: a reschedule (or a repeated delivery) replaces it whole.
      if (!(err instanceof ConflictException)) throw err;
      await this.client.send(new UpdateScheduleCommand(input));
    }
  }

  async cancel(personId: string): Promise<void> {
    try {
      await this.client.send(
        new DeleteScheduleCommand({ Name: scheduleName(personId), GroupName: this.props.groupName }),
      );
    } catch (err) {
      // Already gone: it ran (and deleted itself) or was never created.
      if (!(err instanceof ResourceNotFoundException)) throw err;
    }
  }
}
