// `scimitar tasks` and `scimitar ack`: owner tasks of manual targets, on a stack (deployed or the
// local runtime) through AWS APIs only. `tasks` reads the open tasks from the state table (the
// operator policy's dynamodb:Query); `ack` goes through the operator function, the only door for an
// operator's writes, which audits TASK_ACKED with the caller's identity.
import type { LambdaClient } from '@aws-sdk/client-lambda';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { DynamoOwnerTasks } from '../../lambdas/aws/adapters/dynamo-owner-tasks.ts';
import { isOverdue, normalizeTaskId, type OwnerTask } from '../../lambdas/core/tasks/owner-task.ts';
import { UsageError } from '../send-event.ts';
import { invokeOperator, OperatorRefusedError } from './operator.ts';
import type { StackContext } from './stack.ts';

/**
 * What the task commands need of a stack: the part of StackContext (local/cli/stack.ts) they use,
 * so a StackContext is one as it is.
 */
export interface TaskStack {
  readonly stackName: string;
  readonly dynamo: DynamoDBDocumentClient;
  readonly lambda: LambdaClient;
  /** A CloudFormation output of the stack; a UsageError naming it when absent. */
  output(name: string): string;
  /** The caller's identity (STS), recorded as who acknowledged. */
  whoami(): Promise<string>;
}

/**
 * Runs one AWS call, turning its failure into an error a person can act on (stack.ts's awsCall
 * bound to the stack). @default - the call as it is
 */
export type AwsCaller = <T>(action: string, resource: string, call: () => Promise<T>) => Promise<T>;
const direct: AwsCaller = (_action, _resource, call) => call();

export interface TasksOptions {
  readonly json?: boolean;
  readonly now?: Date;
  readonly print?: (line: string) => void;
  readonly aws?: AwsCaller;
}

/** `scimitar tasks`: every open owner task, oldest (most overdue) first. */
export async function listTasks(stack: TaskStack, options: TasksOptions = {}): Promise<OwnerTask[]> {
  const print = options.print ?? console.log;
  const aws = options.aws ?? direct;
  const tableName = stack.output('StateTableName');
  const board = new DynamoOwnerTasks({ tableName, client: stack.dynamo });
  const open = await aws('dynamodb:Query', `table ${tableName}`, () => board.listOpen());
  if (options.json) {
    print(JSON.stringify(open, null, 2));
    return open;
  }
  const now = options.now ?? new Date();
  if (open.length === 0) {
    print(`no open owner tasks in ${stack.stackName}`);
    return open;
  }
  const overdue = open.filter((t) => isOverdue(t, now)).length;
  print(
    `${open.length} open owner task${open.length === 1 ? '' : 's'} in ${stack.stackName}` +
      (overdue > 0 ? `, ${overdue} overdue (the OwnerTaskOverdue alarm):` : ':'),
  );
  const rows = open.map((t) => [
    t.taskId,
    isOverdue(t, now) ? `OVERDUE since ${t.dueAt}` : `due ${t.dueAt}`,
    `${t.targetName} (${t.targetId})`,
    t.person,
    t.owner,
    `event ${t.eventId}`,
  ]);
  const widths = rows[0]?.map((_, i) => Math.max(...rows.map((r) => r[i]?.length ?? 0))) ?? [];
  for (const row of rows)
    print(
      `  ${row
        .map((cell, i) => cell.padEnd(widths[i] ?? 0))
        .join('  ')
        .trimEnd()}`,
    );
  print('When an owner has closed the account: scimitar ack <task> --by <who> [--note <what was done>]');
  return open;
}

export interface AckOptions {
  /** Who acknowledges, as a person says it (the owner's name); recorded beside the caller's identity. */
  readonly by?: string;
  readonly note?: string;
  readonly print?: (line: string) => void;
}

/** `scimitar ack <task>`: closes an open owner task through the operator function, audited as TASK_ACKED. */
export async function ackTask(
  stack: StackContext,
  taskInput: string | undefined,
  options: AckOptions = {},
): Promise<OwnerTask> {
  const print = options.print ?? console.log;
  if (!taskInput) {
    throw new UsageError(
      'usage: scimitar ack <task> --by <who> [--note TEXT]  (`scimitar tasks` lists the open ones)',
      2,
    );
  }
  const taskId = normalizeTaskId(taskInput);
  if (!taskId) {
    throw new UsageError(
      `"${taskInput}" is not a task id: they look like T-7K2M9QXA (\`scimitar tasks\` lists the open ones)`,
      2,
    );
  }
  const caller = await stack.whoami();
  const by = options.by?.trim() ? `${options.by.trim()} (${caller})` : caller;
  const note = options.note?.trim();
  let task: OwnerTask;
  try {
    ({ task } = await invokeOperator<{ task: OwnerTask }>(stack, {
      op: 'ack',
      taskId,
      by,
      ...(note && { note }),
    }));
  } catch (err) {
    if (err instanceof OperatorRefusedError)
      throw new UsageError(`ack refused (${err.code}): ${err.message}`);
    throw err;
  }
  print(
    `${task.taskId} acknowledged by ${task.ackedBy} at ${task.ackedAt}: ${task.targetName} (${task.targetId}), ${task.person}` +
      (task.note ? `\n  note: ${task.note}` : ''),
  );
  print(`audited as TASK_ACKED on event ${task.eventId}`);
  return task;
}
