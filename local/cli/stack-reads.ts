// What `status`, `audit` and the live views read from a stack, through its AWS APIs only (the
// StackContext): an event's audit and its latest execution, a person's timeline, ledger and
// pending termination. The same code reads a deployed stack and the local runtime's emulators.
import { DescribeExecutionCommand, ExecutionDoesNotExist } from '@aws-sdk/client-sfn';
import { DynamoAuditLog } from '../../lambdas/aws/adapters/dynamo-audit-log.ts';
import { DynamoPendingTerminations } from '../../lambdas/aws/adapters/dynamo-pending-terminations.ts';
import { DynamoLeaverLedger } from '../../lambdas/aws/adapters/dynamo-state.ts';
import type { PendingTermination } from '../../lambdas/core/lifecycle/ports.ts';
import { type AuditEntry, compareAuditEntries } from '../../lambdas/core/model/audit.ts';
import type { LedgerRecord } from '../../lambdas/core/revocation/ports.ts';
import { awsCall, type StackContext } from './stack.ts';

export interface ExecutionView {
  readonly name: string;
  readonly executionArn: string;
  readonly status: string;
  readonly error?: string;
}

/** An event as `status` shows it. */
export interface EventView {
  readonly eventId: string;
  /** The latest attempt: the first delivery's execution or its last retry; null before it starts. */
  readonly execution: ExecutionView | null;
  readonly audit: AuditEntry[];
  /** The person's pending termination (this event's, or the one that replaced it). */
  readonly pending: PendingTermination | null;
}

/** A person as `audit` shows them. */
export interface PersonView {
  readonly personId: string;
  readonly audit: AuditEntry[];
  readonly ledger: LedgerRecord[];
  readonly pending: PendingTermination | null;
}

/** The stack's tables, read through the same adapters the functions write with. */
export function stackStores(ctx: StackContext) {
  const auditTable = ctx.output('AuditTableName');
  const stateTable = ctx.output('StateTableName');
  const state = { tableName: stateTable, client: ctx.dynamo };
  const audit = new DynamoAuditLog({ tableName: auditTable, client: ctx.dynamo });
  const ledger = new DynamoLeaverLedger(state);
  const pending = new DynamoPendingTerminations(state);
  return {
    auditTable,
    stateTable,
    state,
    forEvent: (eventId: string) => awsCall(ctx, 'dynamodb:Query', auditTable, () => audit.forEvent(eventId)),
    forPerson: (personId: string) =>
      awsCall(ctx, 'dynamodb:Query', `${auditTable} (index byPerson)`, () => audit.forPerson(personId)),
    ledgerOf: (personId: string) =>
      awsCall(ctx, 'dynamodb:Query', stateTable, () => ledger.forPerson(personId)),
    pendingOf: async (personId: string) =>
      (await awsCall(ctx, 'dynamodb:GetItem', stateTable, () => pending.get(personId))) ?? null,
  };
}

/**
 * An event's audit with what the person's later events did to it (RESCHEDULED, RESCINDED,
 * REHIRED are written under the event that caused them), its latest execution, and the person's
 * pending termination.
 */
export async function readEvent(ctx: StackContext, eventId: string): Promise<EventView> {
  const stores = stackStores(ctx);
  const own = await stores.forEvent(eventId);
  const personId = own.find((e) => e.personId)?.personId;
  let audit = own;
  let pending: PendingTermination | null = null;
  if (personId) {
    const related = (await stores.forPerson(personId)).filter(
      (e) => e.eventId !== eventId && e.detail?.pendingEventId === eventId,
    );
    audit = [...own, ...related].sort(compareAuditEntries);
    pending = await stores.pendingOf(personId);
  }
  return { eventId, execution: await latestExecution(ctx, own), audit, pending };
}

export async function readPerson(ctx: StackContext, personId: string): Promise<PersonView> {
  const stores = stackStores(ctx);
  const [audit, ledger, pending] = await Promise.all([
    stores.forPerson(personId),
    stores.ledgerOf(personId),
    stores.pendingOf(personId),
  ]);
  return { personId, audit, ledger, pending };
}

/** The execution names an event's RECEIVED entries record: the delivery's, then each retry's. */
export function executionNamesOf(entries: readonly AuditEntry[]): string[] {
  const names = entries
    .filter((e) => e.step === 'RECEIVED' && typeof e.detail?.executionName === 'string')
    .map((e) => e.detail?.executionName as string);
  return [...new Set(names)];
}

/** `arn:…:stateMachine:<machine>` → `arn:…:execution:<machine>:<name>`. */
export function executionArnOf(stateMachineArn: string, name: string): string {
  return `${stateMachineArn.replace(':stateMachine:', ':execution:')}:${name}`;
}

async function latestExecution(
  ctx: StackContext,
  entries: readonly AuditEntry[],
): Promise<ExecutionView | null> {
  const name = executionNamesOf(entries).at(-1);
  if (!name) return null;
  const executionArn = executionArnOf(ctx.output('StateMachineArn'), name);
  // A termination scheduled for later has its name recorded but no execution yet.
  const described = await awsCall(ctx, 'states:DescribeExecution', executionArn, () =>
    ctx.sfn.send(new DescribeExecutionCommand({ executionArn })).catch((err: unknown) => {
      if (err instanceof ExecutionDoesNotExist) return undefined;
      throw err;
    }),
  );
  if (!described?.status) return null;
  return {
    name,
    executionArn,
    status: described.status,
    ...(described.error || described.cause
      ? { error: [described.error, described.cause].filter(Boolean).join(': ') }
      : {}),
  };
}
