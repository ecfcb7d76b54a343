// Notifications kept in the state table (NOTIFY#<day>) for `scimitar alarms`, against dynalite.
import { QueryCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { keptNotifier } from '../../../lambdas/aws/wiring/kept-notifications.ts';
import { type Notification, Notifier } from '../../../lambdas/core/model/ports.ts';
import { type LocalDynamo, startDynalite } from '../../support/dynalite.ts';
import { FixedClock, RecordingNotifier } from '../../support/recorders.ts';

const AT = new Date('2026-12-02T18:30:00.000Z');

let dynamo: LocalDynamo;
beforeAll(async () => {
  dynamo = await startDynalite();
});
afterAll(async () => {
  await dynamo.close();
});

async function keptOn(day: string) {
  const { Items } = await dynamo.client.send(
    new QueryCommand({
      TableName: dynamo.stateTable,
      KeyConditionExpression: 'pk = :pk',
      ExpressionAttributeValues: { ':pk': `NOTIFY#${day}` },
    }),
  );
  return Items ?? [];
}

const warnings: unknown[][] = [];
const logger = { warn: (...args: unknown[]) => void warnings.push(args) };

describe('kept notifications', () => {
  it('sends, then keeps the notification under its day, without its message, forgotten after 90 days', async () => {
    const sent = new RecordingNotifier();
    const owners = keptNotifier(sent, 'owner', {
      state: { tableName: dynamo.stateTable, client: dynamo.client },
      clock: new FixedClock(AT),
      logger,
    });
    const notification: Notification = {
      subject: 'scimitar: revoke access of Ada in Payroll',
      message: 'Ada Lovelace leaves (involuntary) ...',
      owner: 'payroll-owner@example.com',
      targetId: 'payroll',
      eventId: 'evt-1',
    };
    await owners.notify(notification);
    expect(sent.sent).toEqual([notification]);
    const [item, ...more] = await keptOn('2026-12-02');
    expect(more).toEqual([]);
    expect(item).toEqual({
      pk: 'NOTIFY#2026-12-02',
      sk: expect.stringMatching(/^2026-12-02T18:30:00\.000Z#[0-9a-f]{8}$/),
      kind: 'owner',
      subject: notification.subject,
      owner: 'payroll-owner@example.com',
      targetId: 'payroll',
      eventId: 'evt-1',
      at: AT.toISOString(),
      expiresAt: AT.getTime() / 1000 + 90 * 86_400,
    });
  });

  it('keeps nothing of a notification that could not be sent, and fails as the send did', async () => {
    const failing = new (class extends Notifier {
      async notify(): Promise<void> {
        throw new Error('SNS is down');
      }
    })();
    const alerts = keptNotifier(failing, 'alert', {
      state: { tableName: dynamo.stateTable, client: dynamo.client },
      clock: new FixedClock(new Date('2026-12-03T01:00:00Z')),
      logger,
    });
    await expect(alerts.notify({ subject: 'ALARM', message: 'x' })).rejects.toThrow(/SNS is down/);
    expect(await keptOn('2026-12-03')).toEqual([]);
  });

  it('still counts a sent notification as sent when keeping it fails, and warns', async () => {
    const sent = new RecordingNotifier();
    const alerts = keptNotifier(sent, 'alert', {
      state: { tableName: 'no-such-table', client: dynamo.client },
      clock: new FixedClock(AT),
      logger,
    });
    await alerts.notify({ subject: 'ALARM: revocation failed', message: 'x' });
    expect(sent.sent).toHaveLength(1);
    expect(warnings.at(-1)?.[1]).toMatchObject({ kind: 'alert', subject: 'ALARM: revocation failed' });
  });
});
