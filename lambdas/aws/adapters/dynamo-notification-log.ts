// NotificationLog on the state table: `pk = NOTIFY#<yyyy-mm-dd>`, `sk = <iso at>#<id>`, so a day's
// notifications are one Query, oldest first; `expiresAt` in epoch seconds for DynamoDB's TTL.
import { type DynamoDBDocumentClient, PutCommand } from '@aws-sdk/lib-dynamodb';
import { type KeptNotification, NotificationLog } from '../../core/model/kept-notifications.ts';
import { documentClient } from './dynamo-audit-log.ts';
import type { DynamoStateProps } from './dynamo-state.ts';

/** The partition of a day's notifications (UTC). */
export function notificationDayKey(at: string): string {
  return `NOTIFY#${at.slice(0, 10)}`;
}

export class DynamoNotificationLog extends NotificationLog {
  private readonly tableName: string;
  private readonly client: DynamoDBDocumentClient;

  constructor(props: DynamoStateProps) {
    super();
    this.tableName = props.tableName;
    this.client = props.client ?? documentClient();
  }

  async keep(n: KeptNotification): Promise<void> {
    const { id, expiresAt, ...attributes } = n;
    await this.client.send(
      new PutCommand({
        TableName: this.tableName,
        Item: {
          pk: notificationDayKey(n.at),
          sk: `${n.at}#${id}`,
          ...attributes,
          expiresAt: Math.floor(Date.parse(expiresAt) / 1000),
        },
      }),
    );
  }
}
