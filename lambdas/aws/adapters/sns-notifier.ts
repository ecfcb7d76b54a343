// Notifier over SNS. Owner notifications carry `targetId` and `owner` message attributes so that
// each owner's email subscription receives only their own targets' tasks (subscription filter policy).
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { type Notification, Notifier } from '../../core/model/ports.ts';

// SNS email subjects: at most 100 printable ASCII characters, no line breaks.
function subjectLine(subject: string): string {
  const ascii = subject.replace(/[^\x20-\x7e]/g, '?');
  return ascii.length > 100 ? `${ascii.slice(0, 99)}…`.replace('…', '.') : ascii;
}

// The owner topic's subscriptions filter on targetId (lib/alerting.ts); owner helps humans and rules.
function messageAttributes(
  notification: Notification,
): Record<string, { DataType: string; StringValue: string }> {
  const attributes: Record<string, { DataType: string; StringValue: string }> = {};
  if (notification.owner) attributes.owner = { DataType: 'String', StringValue: notification.owner };
  if (notification.targetId) attributes.targetId = { DataType: 'String', StringValue: notification.targetId };
  return attributes;
}

export class SnsNotifier extends Notifier {
  constructor(
    private readonly topicArn: string,
    private readonly client: SNSClient = new SNSClient({}),
  ) {
    super();
  }

  async notify(notification: Notification): Promise<void> {
    await this.client.send(
      new PublishCommand({
        TopicArn: this.topicArn,
        Subject: subjectLine(notification.subject),
        Message: notification.message,
        MessageAttributes: messageAttributes(notification),
      }),
    );
  }
}
