// Every alert and owner notification is also kept in the state table, so `scimitar alarms` can
// show what was sent on AWS as locally (SNS keeps nothing to read back). A decorator around any
// Notifier: the notification is sent first (telling people matters most), then kept; a failure to
// keep it is reported, never turned into a failed notification (which would be sent again).
import { randomUUID } from 'node:crypto';
import { type Clock, type Notification, Notifier } from './ports.ts';

/** How long a kept notification stays readable. */
export const KEPT_NOTIFICATION_DAYS = 90;

export type NotificationKind = 'alert' | 'owner';

/** What is kept of a notification: no message body (it may name the person at length). */
export interface KeptNotification {
  readonly id: string;
  readonly kind: NotificationKind;
  readonly subject: string;
  readonly owner?: string;
  readonly targetId?: string;
  readonly eventId?: string;
  /** When it was sent (ISO 8601). */
  readonly at: string;
  /** When it is forgotten (ISO 8601): {@link KEPT_NOTIFICATION_DAYS} after `at`. */
  readonly expiresAt: string;
}

/** Where kept notifications go; the state table's adapter keys them by day. */
export abstract class NotificationLog {
  abstract keep(notification: KeptNotification): Promise<void>;
}

export class KeepingNotifier extends Notifier {
  constructor(
    private readonly inner: Notifier,
    private readonly props: {
      readonly kind: NotificationKind;
      readonly log: NotificationLog;
      readonly clock: Clock;
      /** Told when a sent notification could not be kept. */
      readonly onUnkept: (err: unknown, notification: KeptNotification) => void;
    },
  ) {
    super();
  }

  async notify(notification: Notification): Promise<void> {
    await this.inner.notify(notification);
    const now = this.props.clock.now();
    const kept: KeptNotification = {
      id: randomUUID().slice(0, 8),
      kind: this.props.kind,
      subject: notification.subject,
      ...(notification.owner && { owner: notification.owner }),
      ...(notification.targetId && { targetId: notification.targetId }),
      ...(notification.eventId && { eventId: notification.eventId }),
      at: now.toISOString(),
      expiresAt: new Date(now.getTime() + KEPT_NOTIFICATION_DAYS * 86_400_000).toISOString(),
    };
    try {
      await this.props.log.keep(kept);
    } catch (err) {
      this.props.onUnkept(err, kept);
    }
  }
}
