// Stand-ins for reconciliation's ports that have no local emulator here: a lane queue that records
// what was re-queued, and a roster held in memory.
import type { LaneMessage } from '../../lambdas/core/model/messages.ts';
import { RosterSource } from '../../lambdas/core/reconcile/ports.ts';
import type { Roster } from '../../lambdas/core/reconcile/roster.ts';
import { LaneQueue } from '../../lambdas/core/revocation/ports.ts';

export class RecordingLaneQueue extends LaneQueue {
  readonly sent: { targetId: string; message: LaneMessage }[] = [];
  async send(targetId: string, message: LaneMessage): Promise<void> {
    this.sent.push({ targetId, message });
  }
  /** Takes the recorded messages (a worker draining the queue). */
  drain(): { targetId: string; message: LaneMessage }[] {
    return this.sent.splice(0);
  }
}

export class StaticRoster extends RosterSource {
  constructor(public roster: Roster | undefined) {
    super();
  }
  async current(): Promise<Roster | undefined> {
    return this.roster;
  }
}
