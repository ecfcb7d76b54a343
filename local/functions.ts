// The stack's functions as the local runtime runs them: each built by its handler factory or its
// wiring module (lambdas/aws/wiring/*, shared with the Lambda entries) with the template's
// environment made local, acting as its own role for the IAM proof, its errors counted as
// Lambda's Errors metric.
import type { Logger } from '@aws-lambda-powertools/logger';
import type { SQSClient } from '@aws-sdk/client-sqs';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { DynamoCanaryStatus } from '../lambdas/aws/adapters/dynamo-canary-status.ts';
import { auditTableSchema, stateTableSchema } from '../lambdas/aws/adapters/table-schemas.ts';
import { LANE_ENV } from '../lambdas/aws/target-env.ts';
import { wireCanary } from '../lambdas/aws/wiring/canary.ts';
import { wirePull } from '../lambdas/aws/wiring/pull.ts';
import { wireReconcile } from '../lambdas/aws/wiring/reconcile.ts';
import { wirePlan, wireSummarize } from '../lambdas/aws/wiring/workflow-steps.ts';
import { type CanaryResult, CanaryStatus } from '../lambdas/core/credentials/canary.ts';
import type { SecretSource } from '../lambdas/core/credentials/secret-source.ts';
import type { TerminationScheduler } from '../lambdas/core/lifecycle/ports.ts';
import type { ScimitarConfig, ScimTargetConfig } from '../lambdas/core/model/config.ts';
import { countOf } from '../lambdas/core/model/count-noun.ts';
import { RECONCILE_METRICS } from '../lambdas/core/model/metrics.ts';
import type { Clock, Notifier } from '../lambdas/core/model/ports.ts';
import {
  ReconcileContinuation,
  type ReconcileInvocation,
  type RosterSource,
} from '../lambdas/core/reconcile/ports.ts';
import type { ReconcileResult } from '../lambdas/core/reconcile/reconcile.ts';
import type { ScimClient } from '../lambdas/core/scim/index.ts';
import type { OperatorAnswer } from '../lambdas/handlers/operator.ts';
import type { LocalStack } from '../lib/asl.ts';
import { configFor } from '../lib/config-projection.ts';
import { actAs, LOCAL_NAMES } from './aws-calls.ts';
import type { LocalClock } from './clock.ts';
import type { LocalCloudWatch } from './cloudwatch.ts';
import { localOperator } from './operator-function.ts';
import type { LocalSecretSource, LocalSecretStore } from './secrets.ts';
import type { TaskTokenRegistry } from './task-tokens.ts';
import type { LocalTopology } from './topology.ts';
import { type AslDefinition, type LocalLambda, LocalWorkflow, type LocalWorkflowProps } from './workflow.ts';

export interface LocalFunctionsProps {
  readonly config: ScimitarConfig;
  readonly stack: LocalStack;
  readonly topology: LocalTopology;
  /** The IAM proof's key of the stack (local/aws-calls.ts registerStack). */
  readonly stackKey: string;
  readonly dynamo: DynamoDBDocumentClient;
  readonly sqs: SQSClient;
  /** URL of any lane queue in fauxqs: the local LANE_QUEUE_URL_PREFIX is its prefix. */
  readonly laneQueueUrl: string;
  readonly secrets: LocalSecretSource;
  readonly store: LocalSecretStore;
  readonly roster: RosterSource;
  readonly scim: (target: ScimTargetConfig) => ScimClient;
  readonly cloudwatch: LocalCloudWatch;
  readonly clock: Clock;
  readonly logger: (name: string) => Logger;
  readonly print: (line: string) => void;
  /** Per request of a canary probe. @default the core's */
  readonly scimTimeoutMs?: number;
  /** The operator function's workflow and execution history: the runtime's state machine. */
  readonly workflow: LocalWorkflow;
  /** The schedules revoke-now deletes when it replaces a future termination. */
  readonly scheduler: TerminationScheduler;
  /** The owner topic, for the pull function's Workday polls (a rescind after the start). */
  readonly owners?: Notifier;
}

/** Who acts, for the IAM proof. */
export const acting = (stack: string, entry: string, targetId?: string) => ({
  entry,
  stack,
  ...(targetId ? { targetId } : {}),
});

/** A function's environment as the template sets it, its tables and lane queues made local. */
export function localEnvironment(
  props: Pick<LocalFunctionsProps, 'stack' | 'topology' | 'laneQueueUrl'>,
  entry: string,
) {
  const localTable = new Map([
    [auditTableSchema('').KeySchema?.[0]?.AttributeName, LOCAL_NAMES.auditTable],
    [stateTableSchema('').KeySchema?.[0]?.AttributeName, LOCAL_NAMES.stateTable],
  ]);
  const fn = Object.values(props.stack.functions).find((f) => f.entry === entry);
  if (!fn) throw new Error(`the stack has no ${entry} function`);
  const env: Record<string, string> = { ...fn.environment };
  for (const [name, value] of Object.entries(env)) {
    const table = props.topology.tables.find((t) => t.ref === value);
    if (table) env[name] = localTable.get(table.partitionKey) ?? value;
  }
  if (env[LANE_ENV.queueUrlPrefix]) {
    env[LANE_ENV.queueUrlPrefix] = props.laneQueueUrl.slice(0, props.laneQueueUrl.lastIndexOf('/') + 1);
  }
  return env;
}

/** The canary and the reconciler, through their handlers. */
export function localFunctions(props: LocalFunctionsProps) {
  const { config, cloudwatch, clock, print } = props;
  const as = (entry: string) => acting(props.stackKey, entry);
  const invoke = async <R>(entry: string, run: () => Promise<R>): Promise<R> => {
    try {
      return await actAs(as(entry), run);
    } catch (err) {
      cloudwatch.functionError(entry);
      throw err;
    }
  };

  // The local runtime sees each probe's result on its way to the status table. A failed probe's
  // problems are noted at once, before the handler publishes its metrics: an alarm evaluated in
  // between (another function's run) would otherwise say "no reason recorded".
  let seen: CanaryResult[] = [];
  const status = new (class extends CanaryStatus {
    private readonly table = wireCanaryStatus(props);
    async record(result: CanaryResult) {
      seen.push(result);
      if (!result.ok) cloudwatch.metrics.note('CanaryFailed', result.targetId, result.problems.join('; '));
      await this.table.record(result);
    }
    read(targetId: string) {
      return this.table.read(targetId);
    }
  })();
  // Each function sees only its projection of the config, as its bundle does (lib/config-projection.ts).
  const canary = wireCanary({
    config: configFor('canary', config),
    env: localEnvironment(props, 'canary'),
    store: props.store,
    secrets: props.secrets,
    status,
    // Its probes take each target's shared budget on the state table.
    dynamo: props.dynamo,
    clock,
    logger: props.logger('canary'),
    metrics: cloudwatch.metricsFor('canary'),
    ...(props.scimTimeoutMs !== undefined && { timeoutMs: props.scimTimeoutMs }),
  });
  const noteProbes = async (results: readonly CanaryResult[]) => {
    for (const r of results.filter((r) => !r.ok))
      cloudwatch.metrics.note('CanaryFailed', r.targetId, r.problems.join('; '));
    await cloudwatch.evaluate();
  };
  const checkTargets = async (targetIds?: readonly string[]): Promise<CanaryResult[]> => {
    seen = [];
    // A run that measured the probes but not every credential's age still answers with the probes.
    await invoke('canary', () => canary(targetIds ? { targetIds } : {})).catch((err: unknown) =>
      print(`canary: ${(err as Error).message}`),
    );
    const results = seen;
    await noteProbes(results);
    return results;
  };

  const reconcileHandler = wireReconcile({
    config: configFor('reconcile', config),
    env: localEnvironment(props, 'reconcile'),
    secrets: props.secrets,
    clock,
    dynamo: props.dynamo,
    sqs: props.sqs,
    roster: props.roster,
    scim: props.scim,
    // The function invoking itself asynchronously, as on Lambda.
    continuation: new (class extends ReconcileContinuation {
      async resume(invocation: ReconcileInvocation) {
        void invoke('reconcile', () => reconcileHandler(invocation)).catch((err: unknown) =>
          print(`reconcile: ${(err as Error).message}`),
        );
      }
    })(),
    logger: props.logger('reconcile'),
    metrics: cloudwatch.metricsFor('reconcile'),
  });
  const reconcile = async (
    request: { targets?: readonly string[]; restart?: boolean } = {},
  ): Promise<ReconcileResult> => {
    const result = await invoke('reconcile', () =>
      reconcileHandler({
        source: 'cli',
        ...(request.targets?.length ? { targets: request.targets } : {}),
        restart: request.restart ?? false,
      }),
    );
    await noteFindings(result);
    return result;
  };
  const noteFindings = async (result: ReconcileResult) => {
    for (const o of result.outcomes) {
      cloudwatch.metrics.note(
        RECONCILE_METRICS.privilegedFindings,
        o.targetId,
        `${countOf(o.counts.orphan, 'orphan')} and ${countOf(o.counts.drift, 'drift account')}`,
      );
      if (o.error) cloudwatch.metrics.note(RECONCILE_METRICS.incomplete, o.targetId, o.error);
    }
    await cloudwatch.evaluate();
  };
  // The operator function (`<stack>-operator`): every operator write, as the CLI invokes it.
  const operatorHandler = localOperator({
    config,
    env: localEnvironment(props, 'operator'),
    dynamo: props.dynamo,
    sqs: props.sqs,
    workflow: props.workflow,
    scheduler: props.scheduler,
    clock,
    logger: props.logger('operator'),
  });
  const operator = (payload: unknown): Promise<OperatorAnswer> =>
    invoke('operator', () => operatorHandler(payload));
  // The pull function (roster pull, Workday polls), when the stack has one: its wiring, with the
  // runtime's state machine and termination scheduler, as ingest has them.
  const hasPull = Object.values(props.stack.functions).some((f) => f.entry === 'pull');
  const pullHandler =
    hasPull &&
    wirePull({
      config: configFor('pull', config),
      env: localEnvironment(props, 'pull'),
      dynamo: props.dynamo,
      secrets: props.secrets,
      workflows: props.workflow,
      scheduler: props.scheduler,
      ...(props.owners && { owners: props.owners }),
      clock,
      logger: props.logger('pull'),
      metrics: cloudwatch.metricsFor('pull'),
    });
  const pull = pullHandler
    ? async (payload: unknown) => {
        try {
          return await invoke('pull', () => pullHandler(payload));
        } finally {
          await cloudwatch.evaluate();
        }
      }
    : undefined;
  // As Lambda's Invoke runs them (local/aws-endpoint): the handler's own answer for the payload.
  const hosted = {
    operator: (payload: unknown) => operator(payload),
    canary: async (payload: unknown) => {
      seen = [];
      const run = await invoke('canary', () => canary(payload));
      await noteProbes(seen);
      return run;
    },
    reconcile: async (payload: unknown) => {
      const result = await invoke('reconcile', () => reconcileHandler(payload as ReconcileInvocation));
      await noteFindings(result);
      return result;
    },
  };
  return { checkTargets, reconcile, canaryStatus: status, hosted, operator, pull };
}

function wireCanaryStatus(props: LocalFunctionsProps) {
  return new DynamoCanaryStatus({
    tableName: localEnvironment(props, 'canary').STATE_TABLE ?? LOCAL_NAMES.stateTable,
    client: props.dynamo,
  });
}

/** The state machine as synthesized, its Plan and Summarize tasks running their wired handlers. */
export function localWorkflow(w: {
  readonly config: ScimitarConfig;
  /** Where Summarize reads an entra-lcw source's Graph credentials. @default - none: such tasks are not resumed */
  readonly secrets?: SecretSource;
  readonly stack: LocalStack;
  readonly topology: LocalTopology;
  readonly dynamo: DynamoDBDocumentClient;
  readonly alerts: Notifier;
  readonly owners: Notifier;
  readonly clock: LocalClock;
  readonly logger: (name: string) => Logger;
  readonly cloudwatch: LocalCloudWatch;
  readonly sqs: SQSClient;
  readonly tokens: TaskTokenRegistry;
  readonly stateMachineName: string;
  /** The lane queue of a target, in fauxqs. */
  readonly queueUrlOf: (targetId: string) => string | undefined;
  /** The priority queue of a target, in fauxqs. */
  readonly priorityQueueUrlOf: (targetId: string) => string | undefined;
  /** Runs work as a function of the stack (the IAM proof). */
  readonly act: <T>(entry: string, work: () => T) => T;
  readonly options: Pick<LocalWorkflowProps, 'acting' | 'journal'>;
}): LocalWorkflow {
  const { clock, cloudwatch } = w;
  const env = (entry: string) => localEnvironment({ ...w, laneQueueUrl: '' }, entry);
  const plan = wirePlan({
    config: configFor('plan', w.config),
    env: env('plan'),
    dynamo: w.dynamo,
    owners: w.owners,
    clock,
    logger: w.logger('plan'),
  });
  const summarize = wireSummarize({
    config: configFor('summarize', w.config),
    ...(w.secrets && { secrets: w.secrets }),
    env: env('summarize'),
    dynamo: w.dynamo,
    alerts: w.alerts,
    clock,
    logger: w.logger('summarize'),
    metrics: cloudwatch.metricsFor('summarize'),
  });
  const byEntry: Record<string, LocalLambda> = {
    plan: (input) => w.act('plan', () => plan(input)),
    summarize: (input) => w.act('summarize', () => summarize(input)),
  };
  const { asl } = w.stack;
  return new LocalWorkflow({
    definition: asl.definition as unknown as AslDefinition,
    lambdas: Object.fromEntries(
      Object.entries(asl.functions).map(([arn, entry]) => [arn, byEntry[entry] as LocalLambda]),
    ),
    sqs: w.sqs,
    queueUrlFor: (synthesized) => {
      const urgent = asl.priorityQueues[synthesized];
      const targetId = asl.queues[synthesized];
      const url =
        urgent !== undefined
          ? w.priorityQueueUrlOf(urgent)
          : targetId === undefined
            ? undefined
            : w.queueUrlOf(targetId);
      if (!url) throw new Error(`no local queue for ${synthesized}`);
      return url;
    },
    tokens: w.tokens,
    stateMachineName: w.stateMachineName,
    ...w.options,
    clock,
    onExecutionEnd: (e) =>
      cloudwatch.executionEnded(
        e.status,
        `${e.error}: Execution ${e.executionArn} failed: ${e.error}: ${e.cause ?? ''}`,
      ),
  });
}
