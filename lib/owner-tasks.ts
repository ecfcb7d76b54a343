// Owner tasks on the state table (items `TASK#<shard>` / `<taskId>`): who may open, list and
// acknowledge them, and the alarm that fires while one is past due. The check runs in the canary's
// function on the canary's schedule (lambdas/handlers/owner-tasks.ts): no function of its own.
import type { Duration } from 'aws-cdk-lib';
import { Alarm, ComparisonOperator, Metric, TreatMissingData } from 'aws-cdk-lib/aws-cloudwatch';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import { type IGrantable, PolicyStatement } from 'aws-cdk-lib/aws-iam';
import type { ITopic } from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';
import { OWNER_TASK_KEY_PATTERN } from '../lambdas/aws/adapters/dynamo-owner-tasks.ts';
import { METRIC_DIMENSIONS, OWNER_TASK_METRICS } from '../lambdas/core/model/metrics.ts';
import { METRICS_NAMESPACE } from './scimitar-function.ts';

/** Actions on owner-task items only (partition keys `TASK#*`), plus the table key's `keyActions`. */
function grantTaskItems(table: ITable, grantee: IGrantable, actions: string[], keyActions: string[]): void {
  grantee.grantPrincipal.addToPrincipalPolicy(
    new PolicyStatement({
      actions,
      resources: [table.tableArn],
      conditions: { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': [OWNER_TASK_KEY_PATTERN] } },
    }),
  );
  table.encryptionKey?.grant(grantee, ...keyActions);
}

/**
 * Lets the plan open owner tasks: `dynamodb:PutItem` (conditional: a task is never overwritten)
 * and `dynamodb:GetItem` (a retried plan reads the task it made) on `TASK#*` items, plus
 * `kms:Decrypt`, `kms:Encrypt`, `kms:GenerateDataKey` on the table's key.
 */
export function grantOpenOwnerTasks(table: ITable, grantee: IGrantable): void {
  grantTaskItems(
    table,
    grantee,
    ['dynamodb:PutItem', 'dynamodb:GetItem'],
    ['kms:Decrypt', 'kms:Encrypt', 'kms:GenerateDataKey'],
  );
}

/** Lets a checker list open tasks: `dynamodb:Query` on `TASK#*` items, plus `kms:Decrypt`. */
export function grantListOwnerTasks(table: ITable, grantee: IGrantable): void {
  grantTaskItems(table, grantee, ['dynamodb:Query'], ['kms:Decrypt']);
}

/**
 * Lets the operator function acknowledge tasks: `dynamodb:GetItem` and `dynamodb:UpdateItem`
 * (conditional on the task being open) on `TASK#*` items, plus `kms:Decrypt`, `kms:Encrypt`,
 * `kms:GenerateDataKey`. The TASK_ACKED entry needs the audit store's `grantAppend` and
 * `grantReadAudit` (a repeated ack reads the entry it finds).
 */
export function grantAckOwnerTasks(table: ITable, grantee: IGrantable): void {
  grantTaskItems(
    table,
    grantee,
    ['dynamodb:GetItem', 'dynamodb:UpdateItem'],
    ['kms:Decrypt', 'kms:Encrypt', 'kms:GenerateDataKey'],
  );
}

export interface OwnerTaskAlarmProps {
  /** The state table holding the tasks. */
  readonly stateTable: ITable;
  /** The function whose scheduled run checks the tasks (the canary): granted the listing. */
  readonly checker: IGrantable;
  /** Powertools' `service` of the checker: the metric's dimension. */
  readonly checkerService: string;
  /** How often the checker publishes (its schedule, as the canary's alarms use it). */
  readonly period: Duration;
  readonly alarmTopic: ITopic;
}

export class OwnerTaskAlarm extends Construct {
  /** In ALARM while an owner task is open past `ownerTasks.dueBusinessDays`. */
  public readonly alarm: Alarm;

  constructor(scope: Construct, id: string, props: OwnerTaskAlarmProps) {
    super(scope, id);
    grantListOwnerTasks(props.stateTable, props.checker);
    // Published once per check: between checks the alarm keeps its state (missing data ignored);
    // a checker that stopped running is CanaryMissing's concern.
    this.alarm = new Alarm(this, 'OwnerTaskOverdue', {
      alarmDescription:
        "scimitar: an owner task (a manual target's account a person must close by hand) is open past its due time; `scimitar tasks` lists them, overdue first. Runbook: docs/operations.md#owner-task-overdue",
      metric: new Metric({
        namespace: METRICS_NAMESPACE,
        metricName: OWNER_TASK_METRICS.overdue,
        dimensionsMap: { [METRIC_DIMENSIONS.service]: props.checkerService },
        statistic: 'Maximum',
        period: props.period,
      }),
      threshold: 1,
      evaluationPeriods: 1,
      comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      treatMissingData: TreatMissingData.IGNORE,
    });
    this.alarm.addAlarmAction(new SnsAction(props.alarmTopic));
  }
}
