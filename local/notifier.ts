// The local stand-in for SNS: notifications are kept in memory (tests read them), printed, and
// appended as JSON lines to a file when the runtime has a data directory.
import { appendFileSync } from 'node:fs';
import { type Notification, Notifier } from '../lambdas/core/model/ports.ts';
import { localArns, recordAwsCall } from './aws-calls.ts';

export interface SentNotification extends Notification {
  readonly topic: string;
  readonly at: string;
}

export class LocalNotifier extends Notifier {
  readonly sent: SentNotification[] = [];

  constructor(
    private readonly topic: string,
    private readonly options: { print?: (line: string) => void; file?: string } = {},
  ) {
    super();
  }

  async notify(notification: Notification): Promise<void> {
    recordAwsCall({ action: 'sns:Publish', resources: [localArns.topic(this.topic)] });
    const sent = { ...notification, topic: this.topic, at: new Date().toISOString() };
    this.sent.push(sent);
    this.options.print?.(
      `[${this.topic}] ${notification.subject}${notification.owner ? ` → ${notification.owner}` : ''}`,
    );
    if (this.options.file) appendFileSync(this.options.file, `${JSON.stringify(sent)}\n`);
  }
}
