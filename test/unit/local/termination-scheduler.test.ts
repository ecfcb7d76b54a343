// The local stand-in for EventBridge Scheduler's one-time schedules, on a LocalClock: a schedule
// starts its execution at its time however far ahead, a reschedule replaces it, a cancel deletes
// it, and a file keeps the schedules for the next start.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { LocalClock } from '../../../local/clock.ts';
import { LocalTerminationScheduler } from '../../../local/termination-scheduler.ts';
import { eventually } from '../../support/eventually.ts';
import { InMemoryWorkflowStarter } from '../../support/fakes.ts';

const DAY_MS = 86_400_000;

function world(file?: string) {
  const clock = new LocalClock(new Date('2026-12-01T09:00:00Z'));
  const workflows = new InMemoryWorkflowStarter();
  const errors: unknown[] = [];
  const scheduler = new LocalTerminationScheduler({
    clock,
    workflows,
    ...(file ? { file } : {}),
    onError: (_start, err) => errors.push(err),
  });
  const at = (days: number) => new Date(clock.nowMs() + days * DAY_MS);
  return { clock, workflows, scheduler, errors, at };
}

const started = (w: ReturnType<typeof world>) => w.workflows.executions.map((s) => s.name);

describe('local termination scheduler', () => {
  it('starts the execution at its time, 400 days ahead, and not before', async () => {
    const w = world();
    await w.scheduler.schedule({ personId: 'P1', executionName: 'x-1', startAt: w.at(400), input: { n: 1 } });
    await w.clock.advance('399d');
    expect(started(w)).toEqual([]);
    await w.clock.advance('1d');
    await eventually('the start', () => started(w).length === 1);
    expect(w.workflows.executions[0]).toMatchObject({ name: 'x-1', input: { n: 1 } });
    expect(w.scheduler.list()).toEqual([]);
  });

  it("replaces a person's schedule on a reschedule and deletes it on a cancel", async () => {
    const w = world();
    await w.scheduler.schedule({ personId: 'P1', executionName: 'old', startAt: w.at(5), input: {} });
    await w.scheduler.schedule({ personId: 'P1', executionName: 'new', startAt: w.at(10), input: {} });
    await w.scheduler.schedule({ personId: 'P2', executionName: 'gone', startAt: w.at(3), input: {} });
    await w.scheduler.cancel('P2');
    expect(w.scheduler.list().map((s) => s.executionName)).toEqual(['new']);
    await w.clock.advance('10d');
    await eventually('the start', () => started(w).length === 1);
    expect(started(w)).toEqual(['new']);
    expect(w.errors).toEqual([]);
  });

  it('keeps the schedules in its file for the next start, and re-arms them', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'schedules-')), 'schedules.json');
    const first = world(file);
    const startAt = first.at(30);
    await first.scheduler.schedule({ personId: 'P1', executionName: 'kept', startAt, input: {} });
    first.scheduler.stop();
    const second = world(file);
    expect(second.scheduler.list().map((s) => [s.executionName, s.startAt.toISOString()])).toEqual([
      ['kept', startAt.toISOString()],
    ]);
    await second.clock.advance('30d');
    await eventually('the start', () => started(second).length === 1);
    expect(started(first)).toEqual([]);
  });
});
