// `alarms` (alias `notifications`): the stack's alarms as CloudWatch holds them now, those firing
// first, and the alerts and owner notifications of the last days, as the stack keeps them in the
// state table (`pk = NOTIFY#<yyyy-mm-dd>`, `sk = <iso at>#<id>`).
import { type MetricAlarm, paginateDescribeAlarms } from '@aws-sdk/client-cloudwatch';
import { paginateQuery } from '@aws-sdk/lib-dynamodb';
import { awsCall, type StackContext } from './stack.ts';

export interface KeptNotification {
  readonly kind: 'alert' | 'owner';
  readonly subject: string;
  readonly at: string;
  readonly owner?: string;
  readonly targetId?: string;
  readonly eventId?: string;
}

export interface AlarmView {
  readonly name: string;
  readonly state: string;
  readonly since?: string;
  readonly reason?: string;
}

const STATE_ORDER: Record<string, number> = { ALARM: 0, INSUFFICIENT_DATA: 1, OK: 2 };

/** Every alarm of the stack (its alarms' names start with `<stackName>-`), firing ones first. */
export async function stackAlarms(ctx: StackContext): Promise<AlarmView[]> {
  const prefix = `${ctx.stackName}-`;
  const alarms = await awsCall(ctx, 'cloudwatch:DescribeAlarms', `alarms ${prefix}*`, async () => {
    const all: MetricAlarm[] = [];
    for await (const page of paginateDescribeAlarms(
      { client: ctx.cloudwatch },
      { AlarmNamePrefix: prefix },
    )) {
      all.push(...(page.MetricAlarms ?? []));
    }
    return all;
  });
  return alarms
    .map((a) => ({
      name: (a.AlarmName ?? '').slice(prefix.length),
      state: a.StateValue ?? 'INSUFFICIENT_DATA',
      ...(a.StateUpdatedTimestamp ? { since: a.StateUpdatedTimestamp.toISOString() } : {}),
      ...(a.StateReason ? { reason: a.StateReason } : {}),
    }))
    .sort(
      (a, b) => (STATE_ORDER[a.state] ?? 3) - (STATE_ORDER[b.state] ?? 3) || a.name.localeCompare(b.name),
    );
}

/** The UTC days from `days - 1` days before `now` to `now`, newest first. */
export function recentDays(now: Date, days: number): string[] {
  return Array.from({ length: days }, (_, i) =>
    new Date(now.getTime() - i * 86_400_000).toISOString().slice(0, 10),
  );
}

/** The notifications kept for the last `days` days, newest first. */
export async function recentNotifications(
  ctx: StackContext,
  now: Date,
  days: number,
): Promise<KeptNotification[]> {
  const table = ctx.output('StateTableName');
  const kept: KeptNotification[] = [];
  for (const day of recentDays(now, days)) {
    await awsCall(ctx, 'dynamodb:Query', table, async () => {
      const pages = paginateQuery(
        { client: ctx.dynamo },
        {
          TableName: table,
          KeyConditionExpression: 'pk = :pk',
          ExpressionAttributeValues: { ':pk': `NOTIFY#${day}` },
          ScanIndexForward: false,
        },
      );
      for await (const page of pages) kept.push(...((page.Items ?? []) as KeptNotification[]));
    });
  }
  return kept.sort((a, b) => b.at.localeCompare(a.at));
}

const MARK: Record<string, string> = { ALARM: '✖', OK: '✔', INSUFFICIENT_DATA: '?' };

export function renderAlarms(alarms: readonly AlarmView[]): string {
  if (alarms.length === 0) return 'alarms: none found';
  const count = (state: string) => alarms.filter((a) => a.state === state).length;
  const width = Math.max(...alarms.map((a) => a.name.length));
  const lines = alarms.map(
    (a) =>
      `  ${MARK[a.state] ?? '?'} ${a.state.padEnd(17)} ${a.name.padEnd(width)}${a.since ? `  since ${a.since}` : ''}${
        a.state === 'ALARM' && a.reason ? `\n      ${a.reason}` : ''
      }`,
  );
  return `alarms: ${count('ALARM')} in ALARM, ${count('OK')} OK, ${count('INSUFFICIENT_DATA')} without data\n${lines.join('\n')}`;
}

export function renderNotifications(kept: readonly KeptNotification[], days: number, limit: number): string {
  const shown = kept.slice(0, limit);
  const alerts = shown.filter((n) => n.kind === 'alert');
  const owners = shown.filter((n) => n.kind === 'owner');
  const more =
    kept.length > shown.length ? `\n  (${kept.length - shown.length} older not shown: --list N)` : '';
  return (
    [
      `alerts (last ${days} days):`,
      alerts.map((a) => `  ${a.at}  ${a.subject}`).join('\n') || '  none',
      'owner notifications:',
      owners.map((o) => `  ${o.at}  ${o.owner ?? '?'}: ${o.subject}`).join('\n') || '  none',
    ].join('\n') + more
  );
}
