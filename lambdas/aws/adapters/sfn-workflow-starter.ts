// WorkflowStarter over Step Functions StartExecution. The execution name is the dedupe key: a
// second start of a name already used answers with the existing execution instead of a new one.
import { ExecutionAlreadyExists, SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { type WorkflowStart, WorkflowStarter } from '../../core/ingest/ports.ts';

const STATE_MACHINE_ARN = /^arn:[a-z-]+:states:[a-z0-9-]+:\d{12}:stateMachine:[A-Za-z0-9_-]{1,80}$/;
/**
 * A start answered with a startDate older than the call by more than this was not started by the
 * call. Generous against clock drift; a true duplicate arriving sooner is reported as new, which
 * is harmless (Step Functions still ran it once).
 */
const EARLIER_START_MS = 1000;

export interface SfnWorkflowStarterProps {
  readonly stateMachineArn: string;
  /** @default - a new SFNClient for the function's region */
  readonly client?: SFNClient;
  /** @default - the system clock */
  readonly now?: () => Date;
}

/** The ARN of the execution `name` of a state machine: Step Functions derives it the same way. */
export function executionArnFor(stateMachineArn: string, name: string): string {
  return `${stateMachineArn.replace(':stateMachine:', ':execution:')}:${name}`;
}

export class SfnWorkflowStarter extends WorkflowStarter {
  private readonly stateMachineArn: string;
  private readonly client: SFNClient;
  private readonly now: () => Date;

  constructor(props: SfnWorkflowStarterProps) {
    super();
    if (!STATE_MACHINE_ARN.test(props.stateMachineArn)) {
      throw new Error(
        `SfnWorkflowStarter: stateMachineArn "${props.stateMachineArn}" is not a state machine ARN ` +
          '(arn:<partition>:states:<region>:<account>:stateMachine:<name>)',
      );
    }
    this.stateMachineArn = props.stateMachineArn;
    this.client = props.client ?? new SFNClient({});
    this.now = props.now ?? (() => new Date());
  }

  async start(name: string, input: unknown): Promise<WorkflowStart> {
    const calledAt = this.now().getTime();
    try {
      const output = await this.client.send(
        new StartExecutionCommand({
          stateMachineArn: this.stateMachineArn,
          name,
          input: JSON.stringify(input),
        }),
      );
      if (!output.executionArn) throw new Error(`StartExecution of ${name} answered without an executionArn`);
      // Same name and same input on a Standard workflow is idempotent: Step Functions answers 200
      // with the running execution's ARN and its original startDate, not an error.
      const alreadyStarted =
        output.startDate !== undefined && output.startDate.getTime() < calledAt - EARLIER_START_MS;
      return { executionArn: output.executionArn, alreadyStarted };
    } catch (err) {
      // Same name, different input (receivedAt differs per delivery), or the first run has ended.
      if (err instanceof ExecutionAlreadyExists) {
        return { executionArn: executionArnFor(this.stateMachineArn, name), alreadyStarted: true };
      }
      throw err;
    }
  }
}
