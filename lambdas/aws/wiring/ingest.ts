// The ingest function's wiring, shared by its Lambda entry and the local runtime: the termination
// lifecycle (pending terminations on STATE_TABLE, one-time schedules in SCHEDULE_GROUP started by
// SCHEDULER_ROLE_ARN, owners on OWNER_TOPIC_ARN) in front of the workflow, unless the caller gives
// its own (the local runtime's scheduler over its clock, its SNS stand-in).
import type { Logger } from '@aws-lambda-powertools/logger';
import type { Metrics } from '@aws-lambda-powertools/metrics';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { ArchiveStore } from '../../core/archive/ports.ts';
import type { SecretSource } from '../../core/credentials/secret-source.ts';
import type { WorkflowStarter } from '../../core/ingest/ports.ts';
import { TerminationLifecycle } from '../../core/lifecycle/lifecycle.ts';
import type { TerminationScheduler } from '../../core/lifecycle/ports.ts';
import type { ScimitarConfig } from '../../core/model/config.ts';
import type { Clock, Notifier } from '../../core/model/ports.ts';
import { createIngestHandler } from '../../handlers/ingest.ts';
import { DynamoAuditLog } from '../adapters/dynamo-audit-log.ts';
import { DynamoPendingTerminations } from '../adapters/dynamo-pending-terminations.ts';
import { EventBridgeTerminationScheduler } from '../adapters/eventbridge-termination-scheduler.ts';
import { S3ArchiveStore } from '../adapters/s3-archive-store.ts';
import { SecretsManagerSecretSource } from '../adapters/secrets-source.ts';
import { SfnWorkflowStarter } from '../adapters/sfn-workflow-starter.ts';
import { SnsNotifier } from '../adapters/sns-notifier.ts';
import { type FunctionEnv, requireEnv } from '../env.ts';
import { keptNotifier } from './kept-notifications.ts';

export interface IngestWiring {
  readonly config: ScimitarConfig;
  readonly env: FunctionEnv;
  /** @default - a client from the Lambda's environment */
  readonly dynamo?: DynamoDBDocumentClient;
  /** @default - Secrets Manager */
  readonly secrets?: SecretSource;
  /** @default - Step Functions, STATE_MACHINE_ARN */
  readonly workflows?: WorkflowStarter;
  /** @default - EventBridge Scheduler one-time schedules in SCHEDULE_GROUP */
  readonly scheduler?: TerminationScheduler;
  /** @default - the owner topic, OWNER_TOPIC_ARN */
  readonly owners?: Notifier;
  /** Where raw deliveries are kept. @default - the DELIVERY_BUCKET bucket when set, else not kept */
  readonly rawDeliveries?: ArchiveStore | 'not-kept';
  readonly clock: Clock;
  readonly logger: Logger;
  readonly metrics: Metrics;
}

/** The ingest core's ports as the ingest function wires them (the pull function's Workday polls share them). */
export function ingestPorts(w: Omit<IngestWiring, 'rawDeliveries' | 'metrics'>) {
  const client = w.dynamo ? { client: w.dynamo } : {};
  const audit = new DynamoAuditLog({ tableName: requireEnv('AUDIT_TABLE', w.env), ...client });
  const workflows =
    w.workflows ?? new SfnWorkflowStarter({ stateMachineArn: requireEnv('STATE_MACHINE_ARN', w.env) });
  // A termination is scheduled for its effective time, rescheduled or rescinded.
  const lifecycle = new TerminationLifecycle({
    terminations: new DynamoPendingTerminations({ tableName: requireEnv('STATE_TABLE', w.env), ...client }),
    scheduler: w.scheduler ?? eventBridgeScheduler(w.env),
    workflows,
    audit,
    owners: keptNotifier(w.owners ?? new SnsNotifier(requireEnv('OWNER_TOPIC_ARN', w.env)), 'owner', {
      state: { tableName: requireEnv('STATE_TABLE', w.env), ...client },
      clock: w.clock,
      logger: w.logger,
    }),
    config: w.config,
  });
  return { audit, workflows, lifecycle };
}

/** The ingest function's handler. */
export function wireIngest(w: IngestWiring) {
  const { audit, workflows, lifecycle } = ingestPorts(w);
  const rawDeliveries =
    w.rawDeliveries === 'not-kept'
      ? undefined
      : (w.rawDeliveries ??
        // Set only when the config keeps raw deliveries (audit.rawPayloadRetentionDays > 0).
        (w.env.DELIVERY_BUCKET
          ? new S3ArchiveStore({ bucketName: w.env.DELIVERY_BUCKET, contentType: 'application/octet-stream' })
          : undefined));
  return createIngestHandler({
    sources: w.config.sources,
    secrets: w.secrets ?? new SecretsManagerSecretSource(),
    auditLog: audit,
    workflows,
    lifecycle: { apply: lifecycle, horizonDays: w.config.scheduleHorizonDays },
    ...(rawDeliveries && { rawDeliveries }),
    logger: w.logger,
    clock: w.clock,
    metrics: w.metrics,
  });
}

function eventBridgeScheduler(env: FunctionEnv) {
  return new EventBridgeTerminationScheduler({
    groupName: requireEnv('SCHEDULE_GROUP', env),
    stateMachineArn: requireEnv('STATE_MACHINE_ARN', env),
    roleArn: requireEnv('SCHEDULER_ROLE_ARN', env),
    deadLetterArn: requireEnv('SCHEDULE_DLQ_ARN', env),
  });
}
