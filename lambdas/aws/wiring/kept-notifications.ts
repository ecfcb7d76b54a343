// Every function that notifies keeps what it sent in the state table (NOTIFY#<day>), on AWS and
// locally alike: its wiring wraps the notifier it was given (SNS, or the local stand-in).
import type { Logger } from '@aws-lambda-powertools/logger';
import { KeepingNotifier, type NotificationKind } from '../../core/model/kept-notifications.ts';
import type { Clock, Notifier } from '../../core/model/ports.ts';
import { DynamoNotificationLog } from '../adapters/dynamo-notification-log.ts';
import type { DynamoStateProps } from '../adapters/dynamo-state.ts';

export function keptNotifier(
  inner: Notifier,
  kind: NotificationKind,
  w: { readonly state: DynamoStateProps; readonly clock: Clock; readonly logger: Pick<Logger, 'warn'> },
): Notifier {
  return new KeepingNotifier(inner, {
    kind,
    log: new DynamoNotificationLog(w.state),
    clock: w.clock,
    onUnkept: (err, n) =>
      w.logger.warn('notification sent but not kept for scimitar alarms', {
        kind: n.kind,
        subject: n.subject,
        error: (err as Error).message,
      }),
  });
}
