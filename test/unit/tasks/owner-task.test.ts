import { describe, expect, it } from 'vitest';
import {
  dueAfter,
  isOverdue,
  normalizeTaskId,
  type OwnerTask,
  TASK_ID_PATTERN,
  taskIdOf,
} from '../../../lambdas/core/tasks/owner-task.ts';

const at = (iso: string) => new Date(iso);

describe('owner task: id', () => {
  it('is printable, short, and the same for the same event and target', () => {
    const id = taskIdOf('evt-1', 'payroll');
    expect(id).toMatch(TASK_ID_PATTERN);
    expect(id).toHaveLength(10);
    expect(taskIdOf('evt-1', 'payroll')).toBe(id);
  });

  it('differs by event and by target, and cannot be made ambiguous by joining the two', () => {
    const ids = new Set([
      taskIdOf('evt-1', 'payroll'),
      taskIdOf('evt-2', 'payroll'),
      taskIdOf('evt-1', 'badge'),
      taskIdOf('evt-1p', 'ayroll'),
    ]);
    expect(ids.size).toBe(4);
  });

  it('accepts an id typed in lower case with spaces, and refuses what cannot be an id', () => {
    const id = taskIdOf('evt-1', 'payroll');
    expect(normalizeTaskId(` ${id.toLowerCase()} `)).toBe(id);
    expect(normalizeTaskId('T-1234567')).toBeUndefined();
    expect(normalizeTaskId('T-ABCDEFGI')).toBeUndefined(); // I is not in Crockford's alphabet
    expect(normalizeTaskId('evt-1')).toBeUndefined();
  });
});

describe('owner task: due time in business days (Monday to Friday, UTC)', () => {
  it('counts weekdays only: Monday plus 2 is Wednesday, Friday plus 2 is Tuesday, same time', () => {
    expect(dueAfter(at('2026-11-30T10:00:00Z'), 2).toISOString()).toBe('2026-12-02T10:00:00.000Z');
    expect(dueAfter(at('2026-12-04T10:00:00Z'), 2).toISOString()).toBe('2026-12-08T10:00:00.000Z');
    expect(dueAfter(at('2026-12-03T23:30:00Z'), 1).toISOString()).toBe('2026-12-04T23:30:00.000Z');
  });

  it('starts a task created on a weekend on Monday at midnight UTC', () => {
    expect(dueAfter(at('2026-12-05T10:00:00Z'), 2).toISOString()).toBe('2026-12-09T00:00:00.000Z');
    expect(dueAfter(at('2026-12-06T23:59:00Z'), 1).toISOString()).toBe('2026-12-08T00:00:00.000Z');
  });

  it('is overdue once open at or past its due time, never once acknowledged', () => {
    const task: OwnerTask = {
      taskId: taskIdOf('e', 't'),
      eventId: 'e',
      personId: 'P',
      person: 'Ada',
      targetId: 't',
      targetName: 'T',
      owner: 'o@example.com',
      createdAt: '2026-11-30T10:00:00.000Z',
      dueAt: '2026-12-02T10:00:00.000Z',
      status: 'open',
    };
    expect(isOverdue(task, at('2026-12-02T09:59:59Z'))).toBe(false);
    expect(isOverdue(task, at('2026-12-02T10:00:00Z'))).toBe(true);
    expect(isOverdue({ ...task, status: 'acked' }, at('2026-12-09T00:00:00Z'))).toBe(false);
  });
});
