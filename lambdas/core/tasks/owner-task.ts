// An owner task: a manual target has no automated revocation, so each leaver there is a task for
// the target's owner, open from the moment the owner is told until the owner acknowledges it
// (`scimitar ack`), and overdue after `ownerTasks.dueBusinessDays` business days.
import { createHash } from 'node:crypto';
import * as z from 'zod';

export const ownerTaskStatuses = ['open', 'acked'] as const;
export type OwnerTaskStatus = (typeof ownerTaskStatuses)[number];

export const ownerTaskSchema = z.object({
  /** `T-` and 8 characters of Crockford base32, printable and short enough to type: {@link taskIdOf}. */
  taskId: z.string(),
  eventId: z.string(),
  personId: z.string(),
  /** How the owner was told who leaves (display name or user name, employee id). */
  person: z.string(),
  targetId: z.string(),
  targetName: z.string(),
  /** The owner's email, as the target's config gives it. */
  owner: z.string(),
  /** When the owner was told. */
  createdAt: z.string(),
  /** When the task becomes overdue: {@link dueAfter}. */
  dueAt: z.string(),
  status: z.enum(ownerTaskStatuses),
  ackedAt: z.string().optional(),
  ackedBy: z.string().optional(),
  note: z.string().optional(),
});
export type OwnerTask = z.infer<typeof ownerTaskSchema>;

// Crockford's base32: no I, L, O or U, so an id read aloud or retyped is not mistaken.
const ALPHABET = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
export const TASK_ID_PATTERN = /^T-[0-9A-HJKMNP-TV-Z]{8}$/;

/**
 * The task of an event at a target: derived from both, so a retried plan finds the task it made
 * (never a second one) and anyone holding the audit's MANUAL_TASK entry can name its task.
 * 40 bits of SHA-256: a collision among a million tasks is about one chance in two million.
 */
export function taskIdOf(eventId: string, targetId: string): string {
  const digest = createHash('sha256').update(`${eventId}\u0000${targetId}`).digest();
  let bits = 0n;
  for (const byte of digest.subarray(0, 5)) bits = (bits << 8n) | BigInt(byte);
  let id = '';
  for (let i = 0; i < 8; i++) {
    id = (ALPHABET[Number(bits & 31n)] ?? '0') + id;
    bits >>= 5n;
  }
  return `T-${id}`;
}

/** A task id as a person typed it (any case, spaces around), or undefined when it cannot be one. */
export function normalizeTaskId(input: string): string | undefined {
  const id = input.trim().toUpperCase();
  return TASK_ID_PATTERN.test(id) ? id : undefined;
}

const DAY_MS = 86_400_000;
const isWeekend = (d: Date) => d.getUTCDay() === 0 || d.getUTCDay() === 6;

/**
 * When a task created at `createdAt` is due: `businessDays` days later, counting Monday to Friday
 * (UTC) only. A task created on a weekend starts its clock on Monday at 00:00 UTC: Friday 10:00
 * plus 2 is Tuesday 10:00, Saturday 10:00 plus 2 is Wednesday 00:00. Holidays are not known.
 */
export function dueAfter(createdAt: Date, businessDays: number): Date {
  let at = new Date(createdAt.getTime());
  if (isWeekend(at)) {
    at = new Date(Date.UTC(at.getUTCFullYear(), at.getUTCMonth(), at.getUTCDate()));
    while (isWeekend(at)) at = new Date(at.getTime() + DAY_MS);
  }
  for (let left = businessDays; left > 0; ) {
    at = new Date(at.getTime() + DAY_MS);
    if (!isWeekend(at)) left--;
  }
  return at;
}

/** Open and past its due time at `now`. */
export function isOverdue(task: OwnerTask, now: Date): boolean {
  return task.status === 'open' && Date.parse(task.dueAt) <= now.getTime();
}
