// The pull function's wiring, shared by its Lambda entry and the local runtime: the roster store and
// the Workday polls' cursors on STATE_TABLE, and for polls the ingest core's ports as the ingest
// function wires them (AUDIT_TABLE, STATE_MACHINE_ARN, SCHEDULE_*, OWNER_TOPIC_ARN), built only when
// a source polls: a roster-only deployment needs none of them.
import type { Logger } from '@aws-lambda-powertools/logger';
import type { Metrics } from '@aws-lambda-powertools/metrics';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { SecretSource } from '../../core/credentials/secret-source.ts';
import { Ingestor } from '../../core/ingest/ingest.ts';
import type { WorkflowStarter } from '../../core/ingest/ports.ts';
import type { TerminationScheduler } from '../../core/lifecycle/ports.ts';
import type { ScimitarConfig } from '../../core/model/config.ts';
import type { Clock, Notifier } from '../../core/model/ports.ts';
import { HrisReader } from '../../core/pull/hris-request.ts';
import { RosterPull } from '../../core/pull/roster-pull.ts';
import { TerminationPoll } from '../../core/pull/termination-poll.ts';
import type { RosterStore } from '../../core/reconcile/ports.ts';
import { createPullHandler } from '../../handlers/pull.ts';
import { DynamoPollCursors } from '../adapters/dynamo-poll-cursors.ts';
import { DynamoRosterStore } from '../adapters/dynamo-roster.ts';
import { SecretsManagerSecretSource } from '../adapters/secrets-source.ts';
import { type FunctionEnv, requireEnv } from '../env.ts';
import { ingestPorts } from './ingest.ts';

export interface PullWiring {
  readonly config: ScimitarConfig;
  readonly env: FunctionEnv;
  /** @default - a client from the Lambda's environment */
  readonly dynamo?: DynamoDBDocumentClient;
  /** @default - Secrets Manager */
  readonly secrets?: SecretSource;
  /** Where the pulled roster goes. @default - the roster on the state table */
  readonly store?: RosterStore;
  /** @default - Step Functions, STATE_MACHINE_ARN */
  readonly workflows?: WorkflowStarter;
  /** @default - EventBridge Scheduler one-time schedules in SCHEDULE_GROUP */
  readonly scheduler?: TerminationScheduler;
  /** @default - the owner topic, OWNER_TOPIC_ARN */
  readonly owners?: Notifier;
  /** @default - HTTP with a 30 s timeout, throttles waited out up to 30 s */
  readonly reader?: HrisReader;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly metrics: Metrics;
}

/** The pull function's handler. */
export function wirePull(w: PullWiring) {
  const client = w.dynamo ? { client: w.dynamo } : {};
  const secrets = w.secrets ?? new SecretsManagerSecretSource();
  const reader = w.reader ?? new HrisReader();
  const state = () => ({ tableName: requireEnv('STATE_TABLE', w.env), ...client });
  const roster =
    w.config.roster &&
    new RosterPull({
      config: w.config,
      store: w.store ?? new DynamoRosterStore(state()),
      secrets,
      reader,
      clock: w.clock,
    });
  const polled = TerminationPoll.pollableSources(w.config.sources);
  const poll =
    polled.length > 0
      ? (() => {
          const { audit, workflows, lifecycle } = ingestPorts(w);
          const ingestor = new Ingestor({
            sources: polled,
            secrets,
            auditLog: audit,
            workflows,
            lifecycle: { apply: lifecycle, horizonDays: w.config.scheduleHorizonDays },
          });
          return new TerminationPoll({
            sources: polled,
            cursors: new DynamoPollCursors(state()),
            ingestor,
            secrets,
            reader,
            clock: w.clock,
          });
        })()
      : undefined;
  return createPullHandler({
    ...(roster && { roster }),
    ...(poll && { poll }),
    logger: w.logger,
    metrics: w.metrics,
  });
}
