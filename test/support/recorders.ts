// Small honest stand-ins for ports that have no local emulator here: they record what they get.
import type { LaneMessage } from '../../lambdas/core/model/messages.ts';
import { Clock, type Notification, Notifier } from '../../lambdas/core/model/ports.ts';
import { DeadLetterQueue } from '../../lambdas/core/revocation/ports.ts';

export class RecordingNotifier extends Notifier {
  readonly sent: Notification[] = [];
  async notify(notification: Notification): Promise<void> {
    this.sent.push(notification);
  }
}

export class FixedClock extends Clock {
  constructor(private current: Date) {
    super();
  }
  now(): Date {
    return new Date(this.current);
  }
  advance(ms: number): void {
    this.current = new Date(this.current.getTime() + ms);
  }
}

export class RecordingDeadLetterQueue extends DeadLetterQueue {
  readonly parked: { message: LaneMessage; failure: { error: string; cause: string; at: string } }[] = [];
  async park(message: LaneMessage, failure: { error: string; cause: string; at: string }): Promise<void> {
    this.parked.push({ message, failure });
  }
}

/** Where a lane sends a failure no workflow reports, recorded: for lane tests about something else. */
export function recordingFailureChannels(redriveCommand = 'npm run scimitar -- redrive app') {
  return { deadLetters: new RecordingDeadLetterQueue(), alerts: new RecordingNotifier(), redriveCommand };
}
