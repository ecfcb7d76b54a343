// The workflow's Plan and Summarize functions' wiring, shared by their Lambda entries and the
// local runtime: tables from the function's environment (AUDIT_TABLE, STATE_TABLE), topics from
// OWNER_TOPIC_ARN and ALERT_TOPIC_ARN unless a notifier is given (the local SNS stand-in).
import type { Logger } from '@aws-lambda-powertools/logger';
import type { Metrics } from '@aws-lambda-powertools/metrics';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { SecretSource } from '../../core/credentials/secret-source.ts';
import { LifecycleWorkflowResumer } from '../../core/ingest/lcw-resume.ts';
import type { ScimitarConfig } from '../../core/model/config.ts';
import type { Clock, Notifier } from '../../core/model/ports.ts';
import { ReconciledPrivilegedHolders } from '../../core/revocation/priority.ts';
import { createPlanHandler } from '../../handlers/plan.ts';
import { createSummarizeHandler } from '../../handlers/summarize.ts';
import { DynamoAuditLog } from '../adapters/dynamo-audit-log.ts';
import { DynamoOwnerTasks } from '../adapters/dynamo-owner-tasks.ts';
import { DynamoPendingTerminations } from '../adapters/dynamo-pending-terminations.ts';
import { DynamoReconciliationStore } from '../adapters/dynamo-reconciliation.ts';
import { DynamoLeaverLedger } from '../adapters/dynamo-state.ts';
import { SecretsManagerSecretSource } from '../adapters/secrets-source.ts';
import { SnsNotifier } from '../adapters/sns-notifier.ts';
import { type FunctionEnv, requireEnv } from '../env.ts';
import { keptNotifier } from './kept-notifications.ts';

interface StepWiring {
  readonly env: FunctionEnv;
  /** @default - a client from the Lambda's environment */
  readonly dynamo?: DynamoDBDocumentClient;
  readonly clock: Clock;
  readonly logger: Logger;
}

const tables = (w: StepWiring) => {
  const client = w.dynamo ? { client: w.dynamo } : {};
  return {
    audit: new DynamoAuditLog({ tableName: requireEnv('AUDIT_TABLE', w.env), ...client }),
    state: { tableName: requireEnv('STATE_TABLE', w.env), ...client },
  };
};

/** The Plan step's handler. */
export function wirePlan(
  w: StepWiring & {
    readonly config: ScimitarConfig;
    /** @default - the owner topic, OWNER_TOPIC_ARN */
    readonly owners?: Notifier;
  },
) {
  const { audit, state } = tables(w);
  return createPlanHandler({
    config: w.config,
    audit,
    // Claimed before planning; the blast-radius budget is spent by the lanes, at the write.
    terminations: new DynamoPendingTerminations(state),
    // A leaver the last reconciliation saw in a privileged-tier target is urgent (read-only here).
    privileged: new ReconciledPrivilegedHolders(w.config, new DynamoReconciliationStore(state)),
    owners: keptNotifier(w.owners ?? new SnsNotifier(requireEnv('OWNER_TOPIC_ARN', w.env)), 'owner', {
      state,
      clock: w.clock,
      logger: w.logger,
    }),
    // Each manual target's leaver becomes an owner task, open until acknowledged.
    tasks: new DynamoOwnerTasks(state),
    clock: w.clock,
    logger: w.logger,
  });
}

/** The Summarize step's handler. */
export function wireSummarize(
  w: StepWiring & {
    readonly metrics: Metrics;
    /** @default - the alert topic, ALERT_TOPIC_ARN */
    readonly alerts?: Notifier;
    /** Entra ID Lifecycle Workflows sources are resumed with the outcome. @default - none resumed */
    readonly config?: Pick<ScimitarConfig, 'sources'>;
    /** Where the entra-lcw sources' Graph credentials are read. @default - Secrets Manager */
    readonly secrets?: SecretSource;
  },
) {
  const { audit, state } = tables(w);
  const alerts = keptNotifier(w.alerts ?? new SnsNotifier(requireEnv('ALERT_TOPIC_ARN', w.env)), 'alert', {
    state,
    clock: w.clock,
    logger: w.logger,
  });
  const resumes = w.config?.sources.some((s) => s.kind === 'entra-lcw' && s.resume);
  return createSummarizeHandler({
    audit,
    ledger: new DynamoLeaverLedger(state),
    alerts,
    clock: w.clock,
    logger: w.logger,
    metrics: w.metrics,
    ...(resumes &&
      w.config && {
        lcw: new LifecycleWorkflowResumer({
          config: w.config,
          secrets: w.secrets ?? new SecretsManagerSecretSource(),
          audit,
          alerts,
          clock: w.clock,
        }),
      }),
  });
}
