// The operator's writes go through one door: the stack's operator function (output
// OperatorFunctionName), invoked with the op and who asks. Its refusals come back as answers, not
// failures: `{ ok: false, error: { code, message } }`, shown as the one line they are.
import { InvokeCommand, ResourceNotFoundException } from '@aws-sdk/client-lambda';
import { UsageError } from '../send-event.ts';
import type { Args } from './context.ts';
import { awsCall, type StackContext } from './stack.ts';

export type OperatorOp =
  | { op: 'approve'; eventId: string; by: string; reason?: string }
  | {
      op: 'approve-burst';
      targets: string[] | 'all';
      count: number;
      by: string;
      reason: string;
      until?: string;
    }
  | {
      op: 'revoke-now';
      person: { employeeId: string; userName?: string; emails?: string[]; externalId?: string };
      by: string;
      reason?: string;
    }
  | { op: 'retry'; eventId: string; by: string }
  | { op: 'ack'; taskId: string; by: string; note?: string };

type OperatorAnswer<R> =
  | { ok: true; result: R }
  | { ok: false; error: { code: 'INVALID' | 'NOT_FOUND' | 'CONFLICT'; message: string } };

/** A request the operator function refused: its message, as the function words it. */
export class OperatorRefusedError extends UsageError {
  constructor(
    readonly code: string,
    message: string,
  ) {
    // Invalid input is the caller's to fix (exit 2, as a command called without what it needs).
    super(message, code === 'INVALID' ? 2 : 1);
    this.name = 'OperatorRefusedError';
  }
}

/** Who asks, for the audit log: the caller's identity, with the name given by --by before it. */
export async function operatorIdentity(ctx: StackContext, args: Pick<Args, 'by'>): Promise<string> {
  const arn = await ctx.whoami();
  return args.by ? `${args.by} (${arn})` : arn;
}

/** Invokes the operator function with one op; returns its result or throws its refusal. */
export async function invokeOperator<R>(ctx: StackContext, payload: OperatorOp): Promise<R> {
  const functionName = ctx.output('OperatorFunctionName');
  const answer = await invokeFunction(ctx, functionName, payload);
  const parsed = answer as OperatorAnswer<R> | null;
  if (!parsed || typeof parsed !== 'object' || !('ok' in parsed)) {
    throw new UsageError(
      `the operator function ${functionName} answered ${JSON.stringify(answer)}: not an operator answer; is the stack's operator function up to date (deploy it again)?`,
    );
  }
  if (!parsed.ok) throw new OperatorRefusedError(parsed.error.code, parsed.error.message);
  return parsed.result;
}

/** A function failed: its error as Lambda reports it (errorType, errorMessage). */
export class FunctionFailedError extends UsageError {
  constructor(
    readonly functionName: string,
    readonly errorMessage: string,
    readonly details: readonly string[],
  ) {
    super(`${errorMessage}${details.length ? `\n${details.map((d) => `  - ${d}`).join('\n')}` : ''}`);
    this.name = 'FunctionFailedError';
  }
}

/** Invokes a function of the stack synchronously; a function error becomes a FunctionFailedError. */
export async function invokeFunction(
  ctx: StackContext,
  functionName: string,
  payload: unknown,
): Promise<unknown> {
  const out = await awsCall(ctx, 'lambda:InvokeFunction', functionName, () =>
    ctx.lambda
      .send(
        new InvokeCommand({
          FunctionName: functionName,
          Payload: new TextEncoder().encode(JSON.stringify(payload)),
        }),
      )
      .catch((err: unknown) => {
        if (!(err instanceof ResourceNotFoundException)) throw err;
        throw new UsageError(
          ctx.local
            ? `the local runtime does not host function ${functionName} (${err.message}): restart it after updating scimitar`
            : `no function ${functionName} in ${ctx.region}, though the stack's outputs name it: deploy the current version of scimitar (cdk deploy)`,
        );
      }),
  );
  const text = out.Payload ? new TextDecoder().decode(out.Payload) : '';
  let body: unknown = null;
  try {
    body = text ? JSON.parse(text) : null;
  } catch {
    body = text;
  }
  if (out.FunctionError) {
    const error = (body ?? {}) as { errorMessage?: unknown; problems?: unknown };
    const message =
      typeof error.errorMessage === 'string'
        ? error.errorMessage
        : `function ${functionName} failed: ${text}`;
    const problems = Array.isArray(error.problems) ? error.problems.map(String) : [];
    throw new FunctionFailedError(functionName, message, problems);
  }
  return body;
}
