// Progress shown live while a command waits: on a terminal the screen is redrawn in place; into a
// pipe or a file a screen is printed only when it changes, so a log of it reads as a history.
import { setTimeout as sleep } from 'node:timers/promises';
import { renderTargets, targetStates } from '../timeline.ts';
import type { EventView } from './stack-reads.ts';

interface Output {
  write(text: string): unknown;
  readonly isTTY?: boolean;
}

export class LiveView {
  private shown = 0;
  private last = '';

  constructor(
    private readonly out: Output = process.stdout,
    /** Progress only, not a result: shown on a terminal, left out of a pipe or a file. */
    private readonly transient = false,
  ) {}

  /** A view of progress on stderr: on a terminal only, so stdout and stderr carry results and errors alone. */
  static progress(out: Output = process.stderr): LiveView {
    return new LiveView(out, true);
  }

  /** Shows `screen` (a footer such as the time waited is redrawn, never a reason to print again). */
  show(screen: string, footer = ''): void {
    if (this.transient && !this.out.isTTY) return;
    if (screen === this.last && !this.out.isTTY) return;
    const text = footer ? `${screen}\n${footer}` : screen;
    if (this.out.isTTY && this.shown > 0) this.out.write(`\x1b[${this.shown}A\x1b[0J`);
    this.out.write(`${text}\n`);
    this.shown = text.split('\n').length;
    this.last = screen;
  }
}

export interface FollowOptions {
  /** @default 120_000 */
  readonly timeoutMs?: number;
  /** @default 500 */
  readonly intervalMs?: number;
  readonly view?: LiveView;
}

/**
 * Reads events until each one's execution has ended (or the time is up), showing each target's
 * state as it changes; returns the last views read.
 */
export async function followEvents(
  read: (eventId: string) => Promise<EventView>,
  events: readonly { eventId: string; name: string }[],
  options: FollowOptions = {},
): Promise<{ views: EventView[]; ended: boolean }> {
  const view = options.view ?? new LiveView();
  const started = Date.now();
  for (;;) {
    const views = await Promise.all(events.map((e) => read(e.eventId)));
    const screen = views
      .map(
        (s, i) =>
          `\n${events[i]?.name} (${s.execution?.status ?? 'starting'})\n${renderTargets(targetStates(s.audit))}`,
      )
      .join('\n');
    view.show(screen, `  [${((Date.now() - started) / 1000).toFixed(1)} s]`);
    const ended = views.every((s) => s.execution && s.execution.status !== 'RUNNING');
    if (ended || Date.now() - started > (options.timeoutMs ?? 120_000)) return { views, ended };
    await sleep(options.intervalMs ?? 500);
  }
}
