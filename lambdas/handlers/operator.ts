// The operator function: the one door for the writes an operator makes (the CLI invokes it with
// the caller's IAM identity). A payload `{ op, ...fields }` is parsed by its op's schema and run
// by its op; the answer is `{ ok: true, result }`, or `{ ok: false, error: { code, message } }`
// for a refusal the operator can act on. Anything else is a function error (a bug, an AWS fault).
// Adding an op is one entry in `operatorOps` (or in the table a caller passes).
import type { Logger } from '@aws-lambda-powertools/logger';
import * as z from 'zod';
import type { WorkflowStarter } from '../core/ingest/ports.ts';
import type { TerminationLifecycle } from '../core/lifecycle/lifecycle.ts';
import { ValidationError } from '../core/model/errors.ts';
import type { AuditLog, Clock } from '../core/model/ports.ts';
import { parseOrThrow } from '../core/model/validation.ts';
import {
  type ExecutionHistory,
  OperatorConflictError,
  OperatorNotFoundError,
} from '../core/operator/ports.ts';
import { retryEvent, retryInputSchema } from '../core/operator/retry.ts';
import { revokeNow, revokeNowInputSchema } from '../core/operator/revoke-now.ts';
import {
  type ApproveDeps,
  ApproveRefusedError,
  approveHeld,
  approveInputSchema,
} from '../core/revocation/approve.ts';
import {
  type ApproveBurstDeps,
  approveBurst,
  approveBurstInputSchema,
} from '../core/revocation/approve-burst.ts';
import type { OwnerTaskBoard } from '../core/tasks/ports.ts';
import { ackTaskInputSchema, ackTaskOp, OwnerTaskError } from '../core/tasks/tasks.ts';

export type OperatorErrorCode = 'INVALID' | 'NOT_FOUND' | 'CONFLICT';
export type OperatorAnswer =
  | { readonly ok: true; readonly result: unknown }
  | { readonly ok: false; readonly error: { readonly code: OperatorErrorCode; readonly message: string } };

/** One operator command: its payload's schema (without `op`) and what it does. */
export interface OperatorOp {
  readonly schema: z.ZodType;
  run(input: unknown): Promise<unknown>;
}

/** An op whose `run` receives what its schema parsed. */
export function operatorOp<S extends z.ZodType>(
  schema: S,
  run: (input: z.output<S>) => Promise<unknown>,
): OperatorOp {
  return { schema, run: (input) => run(input as z.output<S>) };
}

/** Who asks: the caller's identity as the CLI read it (STS), plus a name given with --by. */
const by = z.string().trim().min(1, 'must name who asks (the CLI sends the caller identity)').max(500);

export interface OperatorDeps {
  readonly audit: AuditLog;
  readonly clock: Clock;
  readonly approve: Omit<ApproveDeps, 'audit' | 'clock'>;
  readonly burst: Omit<ApproveBurstDeps, 'audit' | 'clock'>;
  readonly lifecycle: Pick<TerminationLifecycle, 'apply'>;
  readonly workflows: WorkflowStarter;
  readonly executions: ExecutionHistory;
  /** Owner tasks of manual targets (ack). */
  readonly tasks: OwnerTaskBoard;
}

/** The ops every stack has. */
export function operatorOps(deps: OperatorDeps): Record<string, OperatorOp> {
  const { audit, clock } = deps;
  return {
    approve: operatorOp(
      approveInputSchema.omit({ approvedBy: true }).extend({ by }).strict(),
      ({ by: approvedBy, ...rest }) =>
        approveHeld({ ...rest, approvedBy }, { ...deps.approve, audit, clock }),
    ),
    'approve-burst': operatorOp(
      approveBurstInputSchema.omit({ approvedBy: true }).extend({ by }).strict(),
      ({ by: approvedBy, ...rest }) => approveBurst({ ...rest, approvedBy }, { ...deps.burst, audit, clock }),
    ),
    'revoke-now': operatorOp(revokeNowInputSchema, (i) =>
      revokeNow(i, { audit, clock, lifecycle: deps.lifecycle }),
    ),
    retry: operatorOp(retryInputSchema, (i) =>
      retryEvent(i, { audit, clock, workflows: deps.workflows, executions: deps.executions }),
    ),
    ack: operatorOp(ackTaskInputSchema, (i) => ackTaskOp({ tasks: deps.tasks, audit, clock }, i)),
  };
}

const envelopeSchema = z.object({ op: z.string().min(1) }).passthrough();

export function createOperatorHandler(deps: {
  readonly ops: Readonly<Record<string, OperatorOp>>;
  readonly logger: Pick<Logger, 'info' | 'warn'>;
}) {
  const known = Object.keys(deps.ops).sort();
  return async (payload: unknown): Promise<OperatorAnswer> => {
    try {
      const { op: name, ...fields } = parseOrThrow(envelopeSchema, payload, 'invalid operator request');
      const op = Object.hasOwn(deps.ops, name) ? deps.ops[name] : undefined;
      if (!op) {
        throw new ValidationError('invalid operator request', [
          `field "op": "${name}" is no operator command (known: ${known.join(', ')})`,
        ]);
      }
      const input = parseOrThrow(op.schema, fields, `invalid ${name} request`);
      const result = await op.run(input);
      deps.logger.info('operator command done', { op: name, by: (fields as { by?: unknown }).by });
      return { ok: true, result };
    } catch (err) {
      const code = refusalCode(err);
      if (!code) throw err;
      deps.logger.warn('operator command refused', { code, message: (err as Error).message });
      return { ok: false, error: { code, message: (err as Error).message } };
    }
  };
}

/** The code of a refusal the operator can act on; undefined for anything else (rethrown). */
function refusalCode(err: unknown): OperatorErrorCode | undefined {
  if (err instanceof ValidationError) return 'INVALID';
  if (err instanceof OperatorNotFoundError) return 'NOT_FOUND';
  if (err instanceof OwnerTaskError) return err.code;
  if (err instanceof OperatorConflictError || err instanceof ApproveRefusedError) return 'CONFLICT';
  return undefined;
}
