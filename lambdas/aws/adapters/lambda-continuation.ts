// Continues a reconciliation that ran out of time: the function invokes itself asynchronously with
// the round's request, and the next invocation resumes from the saved checkpoints.
import { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { ReconcileContinuation, type ReconcileInvocation } from '../../core/reconcile/ports.ts';

export class LambdaReconcileContinuation extends ReconcileContinuation {
  constructor(
    /** The reconciler's own name (AWS_LAMBDA_FUNCTION_NAME). */
    private readonly functionName: string,
    private readonly client: LambdaClient = new LambdaClient({}),
  ) {
    super();
  }

  async resume(invocation: ReconcileInvocation): Promise<void> {
    await this.client.send(
      new InvokeCommand({
        FunctionName: this.functionName,
        InvocationType: 'Event',
        Payload: new TextEncoder().encode(JSON.stringify(invocation)),
      }),
    );
  }
}
