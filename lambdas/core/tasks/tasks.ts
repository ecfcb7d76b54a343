// What happens to owner tasks: the plan opens one per leaver and manual target when it tells the
// owner; an operator (or the owner) acknowledges it, audited as TASK_ACKED; the scheduled check
// counts the ones past due. Speaks through ports only.
import * as z from 'zod';
import { onceAuditEntry } from '../model/audit.ts';
import { ScimitarError } from '../model/errors.ts';
import type { AuditLog, Clock } from '../model/ports.ts';
import { parseOrThrow } from '../model/validation.ts';
import { dueAfter, isOverdue, normalizeTaskId, type OwnerTask } from './owner-task.ts';
import type { OwnerTaskBoard, TaskAck } from './ports.ts';

/** Base of the refusals an ack can meet; `code` is the operator function's answer code for it. */
export abstract class OwnerTaskError extends ScimitarError {
  abstract readonly code: 'NOT_FOUND' | 'CONFLICT';
}

export class OwnerTaskNotFoundError extends OwnerTaskError {
  readonly code = 'NOT_FOUND';
  constructor(taskId: string) {
    super(`no owner task ${taskId}: \`scimitar tasks\` lists the open ones (ids look like T-7K2M9QXA)`);
    this.name = 'OwnerTaskNotFoundError';
  }
}

export class OwnerTaskAlreadyAckedError extends OwnerTaskError {
  readonly code = 'CONFLICT';
  constructor(taskId: string, by: string | undefined, at: string | undefined) {
    super(`owner task ${taskId} was acknowledged already${by ? ` by ${by}` : ''}${at ? ` at ${at}` : ''}`);
    this.name = 'OwnerTaskAlreadyAckedError';
  }
}

export interface OpenTaskRequest {
  readonly taskId: string;
  readonly eventId: string;
  readonly personId: string;
  readonly person: string;
  readonly targetId: string;
  readonly targetName: string;
  readonly owner: string;
}

/** Opens the task (once: a retried plan keeps the first), due after `dueBusinessDays` business days. */
export async function openOwnerTask(
  board: OwnerTaskBoard,
  request: OpenTaskRequest,
  dueBusinessDays: number,
  now: Date,
): Promise<OwnerTask> {
  const task: OwnerTask = {
    ...request,
    createdAt: now.toISOString(),
    dueAt: dueAfter(now, dueBusinessDays).toISOString(),
    status: 'open',
  };
  if (await board.open(task)) return task;
  return (await board.get(task.taskId)) ?? task;
}

export const ackTaskInputSchema = z
  .object({
    taskId: z.string().transform((id, ctx) => {
      const normal = normalizeTaskId(id);
      if (!normal) ctx.addIssue({ code: 'custom', message: 'must be a task id like T-7K2M9QXA' });
      return normal ?? id;
    }),
    /** Who acknowledges: the caller's identity (and what --by added). */
    by: z.string().trim().min(1).max(500),
    note: z.string().trim().min(1).max(1000).optional(),
  })
  .strict();
export type AckTaskInput = z.input<typeof ackTaskInputSchema>;

export interface AckTaskDeps {
  readonly tasks: OwnerTaskBoard;
  readonly audit: AuditLog;
  readonly clock: Clock;
}

/**
 * Acknowledges an open task: TASK_ACKED in the audit log (one per task, whoever races), then the
 * task closed. An ack whose entry was written but whose task stayed open (a crash between the two)
 * is completed by the next attempt, which then answers that the task was acknowledged already.
 */
export async function ackOwnerTask(input: AckTaskInput, deps: AckTaskDeps): Promise<OwnerTask> {
  const { taskId, by, note } = parseOrThrow(ackTaskInputSchema, input, 'invalid ack request');
  const task = await deps.tasks.get(taskId);
  if (!task) throw new OwnerTaskNotFoundError(taskId);
  if (task.status !== 'open') throw new OwnerTaskAlreadyAckedError(taskId, task.ackedBy, task.ackedAt);
  const now = deps.clock.now();
  const ack: TaskAck = { ackedAt: now.toISOString(), ackedBy: by, ...(note && { note }) };
  const written = await deps.audit.appendOnce(
    onceAuditEntry(
      {
        eventId: task.eventId,
        step: 'TASK_ACKED',
        personId: task.personId,
        targetId: task.targetId,
        actor: 'operator',
        detail: {
          taskId,
          by,
          ...(note && { note }),
          owner: task.owner,
          openedAt: task.createdAt,
          dueAt: task.dueAt,
        },
      },
      taskId,
      now,
    ),
  );
  if (!written) {
    const earlier = await recordedAck(deps.audit, task);
    await deps.tasks.close(taskId, earlier ?? ack);
    throw new OwnerTaskAlreadyAckedError(taskId, earlier?.ackedBy, earlier?.ackedAt);
  }
  if (!(await deps.tasks.close(taskId, ack))) {
    const closed = await deps.tasks.get(taskId);
    throw new OwnerTaskAlreadyAckedError(taskId, closed?.ackedBy, closed?.ackedAt);
  }
  return { ...task, status: 'acked', ...ack };
}

async function recordedAck(audit: AuditLog, task: OwnerTask): Promise<TaskAck | undefined> {
  const entry = (await audit.forEvent(task.eventId)).find(
    (e) => e.step === 'TASK_ACKED' && e.detail?.taskId === task.taskId,
  );
  if (!entry) return undefined;
  const by = typeof entry.detail?.by === 'string' ? entry.detail.by : 'unknown';
  const note = typeof entry.detail?.note === 'string' ? entry.detail.note : undefined;
  return { ackedAt: entry.at, ackedBy: by, ...(note && { note }) };
}

/**
 * The operator function's `ack` op (payload `{ op: 'ack', taskId, by, note? }` without `op`):
 * answers the closed task. Throws ValidationError (INVALID), OwnerTaskNotFoundError (NOT_FOUND) or
 * OwnerTaskAlreadyAckedError (CONFLICT); OwnerTaskError's `code` names the answer.
 */
export async function ackTaskOp(deps: AckTaskDeps, input: unknown): Promise<{ task: OwnerTask }> {
  const { op: _op, ...rest } = (input ?? {}) as Record<string, unknown>;
  return { task: await ackOwnerTask(rest as AckTaskInput, deps) };
}

export interface OwnerTaskCheck {
  readonly open: number;
  /** Open tasks past due, most overdue first. */
  readonly overdue: readonly OwnerTask[];
}

/** The scheduled check: how many tasks are open, which are overdue. */
export async function checkOwnerTasks(board: OwnerTaskBoard, now: Date): Promise<OwnerTaskCheck> {
  const open = await board.listOpen();
  const overdue = open.filter((t) => isOverdue(t, now)).sort((a, b) => a.dueAt.localeCompare(b.dueAt));
  return { open: open.length, overdue };
}
