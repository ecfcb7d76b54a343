// Live progress: redrawn in place on a terminal, printed only on change into a pipe; following
// events ends when every execution has ended.
import { describe, expect, it } from 'vitest';
import { auditEntry } from '../../../lambdas/core/model/audit.ts';
import { followEvents, LiveView } from '../../../local/cli/live-view.ts';
import type { EventView } from '../../../local/cli/stack-reads.ts';

function output(isTTY: boolean) {
  const written: string[] = [];
  return { isTTY, written, write: (text: string) => written.push(text) };
}

describe('CLI: live progress', () => {
  it('prints a screen into a pipe only when it changes, whatever its footer', () => {
    const out = output(false);
    const view = new LiveView(out);
    view.show('code  pending', '[0.1 s]');
    view.show('code  pending', '[0.2 s]');
    view.show('code  verified', '[0.3 s]');
    expect(out.written).toEqual(['code  pending\n[0.1 s]\n', 'code  verified\n[0.3 s]\n']);
  });

  it('redraws in place on a terminal: up over the lines shown, clear, write', () => {
    const out = output(true);
    const view = new LiveView(out);
    view.show('a\nb', '[0.1 s]');
    view.show('a\nb', '[0.2 s]');
    expect(out.written).toEqual(['a\nb\n[0.1 s]\n', '\x1b[3A\x1b[0J', 'a\nb\n[0.2 s]\n']);
  });

  it('shows progress only on a terminal, so a pipe carries results alone', () => {
    const pipe = output(false);
    LiveView.progress(pipe).show('moving 3 dead letters… 1 moved');
    expect(pipe.written).toEqual([]);
    const terminal = output(true);
    LiveView.progress(terminal).show('moving 3 dead letters… 1 moved');
    expect(terminal.written).toEqual(['moving 3 dead letters… 1 moved\n']);
  });

  it('follows an event until its execution ends, showing each target as it changes', async () => {
    const now = new Date('2026-07-01T10:00:00.000Z');
    const running: EventView = {
      eventId: 'ev',
      execution: { name: 'n', executionArn: 'arn', status: 'RUNNING' },
      audit: [],
      pending: null,
    };
    const done: EventView = {
      ...running,
      execution: { ...running.execution, status: 'SUCCEEDED' } as EventView['execution'],
      audit: [
        auditEntry(
          {
            eventId: 'ev',
            step: 'PLANNED',
            personId: 'E1',
            actor: 'plan',
            detail: { lanes: [{ targetId: 'code' }] },
          },
          now,
        ),
        auditEntry(
          { eventId: 'ev', step: 'VERIFIED', personId: 'E1', actor: 'worker', targetId: 'code' },
          now,
        ),
      ],
    };
    const reads = [running, running, done];
    const out = output(false);
    const { ended, views } = await followEvents(
      async () => reads.shift() ?? done,
      [{ eventId: 'ev', name: 'Ada' }],
      {
        intervalMs: 1,
        view: new LiveView(out),
      },
    );
    expect(ended).toBe(true);
    expect(views[0]?.execution?.status).toBe('SUCCEEDED');
    expect(out.written).toHaveLength(2);
    expect(out.written[0]).toContain('Ada (RUNNING)');
    expect(out.written[1]).toMatch(/Ada \(SUCCEEDED\)\n.*code/);
  });

  it('gives up following after its time limit, saying it has not ended', async () => {
    const running: EventView = { eventId: 'ev', execution: null, audit: [], pending: null };
    const { ended } = await followEvents(async () => running, [{ eventId: 'ev', name: 'Ada' }], {
      intervalMs: 1,
      timeoutMs: 5,
      view: new LiveView(output(false)),
    });
    expect(ended).toBe(false);
  });
});
