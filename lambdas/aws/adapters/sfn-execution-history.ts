// ExecutionHistory over Step Functions DescribeExecution: an execution's ARN is derived from the
// state machine's and the name, so one call answers, and "no such execution" is an answer.
import { DescribeExecutionCommand, ExecutionDoesNotExist, SFNClient } from '@aws-sdk/client-sfn';
import { ExecutionHistory, type ExecutionStatus } from '../../core/operator/ports.ts';
import { executionArnFor } from './sfn-workflow-starter.ts';

export class SfnExecutionHistory extends ExecutionHistory {
  constructor(
    private readonly stateMachineArn: string,
    private readonly client: SFNClient = new SFNClient({}),
  ) {
    super();
  }

  async status(name: string): Promise<ExecutionStatus | undefined> {
    try {
      const out = await this.client.send(
        new DescribeExecutionCommand({ executionArn: executionArnFor(this.stateMachineArn, name) }),
      );
      return out.status as ExecutionStatus | undefined;
    } catch (err) {
      if (err instanceof ExecutionDoesNotExist) return undefined;
      throw err;
    }
  }
}
