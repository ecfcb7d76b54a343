// Small honest stand-ins for ports that have no local emulator here: they record what they get.
import { Clock, type Notification, Notifier } from '../../lambdas/core/ports.ts';

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
