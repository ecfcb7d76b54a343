// Reason for length: the composition root of the whole local pipeline, a list of its parts.
// The whole pipeline on one machine, hosting the stack the CDK app synthesizes for the config:
// its queues, event sources, schedules and alarms read from the templates (local/topology.ts),
// the same handlers as on AWS wired to local stand-ins (dynalite, fauxqs, the state machine on
// aws-local-stepfunctions, a file of secrets, SNS as a recorded notifier), plus SCIMMY demo
// applications for the targets on localhost.
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { join, resolve } from 'node:path';
import type { SQSClient } from '@aws-sdk/client-sqs';
import { type FauxqsServer, startFauxqs } from 'fauxqs';
import { DynamoAuditLog } from '../lambdas/aws/adapters/dynamo-audit-log.ts';
import { DynamoCanaryStatus } from '../lambdas/aws/adapters/dynamo-canary-status.ts';
import { DynamoReconciliationStore } from '../lambdas/aws/adapters/dynamo-reconciliation.ts';
import { DynamoLeaverLedger, DynamoRevocationBudget } from '../lambdas/aws/adapters/dynamo-state.ts';
import { SqsDeadLetterQueue } from '../lambdas/aws/adapters/sqs-dead-letter-queue.ts';
import { SqsMessageVisibility } from '../lambdas/aws/adapters/sqs-visibility.ts';
import { auditTableSchema, stateTableSchema } from '../lambdas/aws/adapters/table-schemas.ts';
import { LANE_ENV } from '../lambdas/aws/target-env.ts';
import { wireReconcile } from '../lambdas/aws/wiring/reconcile.ts';
import { type CanaryResult, checkTargets } from '../lambdas/core/credentials/canary.ts';
import {
  type ScimitarConfig,
  type ScimTargetConfig,
  targetSecretName,
} from '../lambdas/core/model/config.ts';
import { countOf } from '../lambdas/core/model/count-noun.ts';
import { ValidationError } from '../lambdas/core/model/errors.ts';
import { type Clock, SystemClock } from '../lambdas/core/model/ports.ts';
import { scheduleIntervalMs } from '../lambdas/core/model/schedule.ts';
import {
  type CoverageReport,
  coverageReport,
  gatherCoverageFacts,
} from '../lambdas/core/reconcile/coverage.ts';
import type { ReconcileResult } from '../lambdas/core/reconcile/reconcile.ts';
import { scimClientFor } from '../lambdas/core/targets/target-client.ts';
import { createIngestHandler } from '../lambdas/handlers/ingest.ts';
import { createPlanHandler } from '../lambdas/handlers/plan.ts';
import {
  RECONCILE_METRICS,
  ReconcileContinuation,
  type ReconcileInvocation,
} from '../lambdas/handlers/reconcile.ts';
import { createSummarizeHandler } from '../lambdas/handlers/summarize.ts';
import { createWorkerHandler } from '../lambdas/handlers/worker.ts';
import { type LocalStack, synthesizeLocalStack } from '../lib/asl.ts';
import { alarmText } from './alarm-text.ts';
import { capturedMetrics, LocalAlarms, MetricStore } from './alarms.ts';
import { actAs, asPlatform, LOCAL_NAMES, recordSdkCalls, registerStack } from './aws-calls.ts';
import { demoRosterCsv, isLoopbackHttp, startDemoApp } from './demo-apps.ts';
import { type DemoPerson, demoPeople } from './demo-people.ts';
import { LOCAL_CREDENTIALS, LOCAL_REGION, startDynamo } from './dynamo.ts';
import { handlerLogs } from './handler-logs.ts';
import { localHttpApi } from './http-api.ts';
import { createLanes, createQueues, depth, type LocalLane, redrive } from './lanes.ts';
import { LocalNotifier } from './notifier.ts';
import { type RetryStarted, retryExecution } from './retry.ts';
import { FileRosterSource } from './roster-file.ts';
import type { ScimApp } from './scim-app.ts';
import { ensureSecrets, LocalSecretSource } from './secrets.ts';
import { localSqsClient } from './sqs-client.ts';
import { listenOn } from './start-errors.ts';
import { LocalTaskCallback, TaskTokenRegistry } from './task-tokens.ts';
import { type LocalTopology, readTopology } from './topology.ts';
import { type AslDefinition, type ExecutionRecord, type LocalLambda, LocalWorkflow } from './workflow.ts';

export type { LocalLane } from './lanes.ts';
export const DEFAULT_PORT = 8787;
export const DEFAULT_DATA_DIR = '.scimitar';

export interface LocalRuntimeOptions {
  readonly config: ScimitarConfig;
  /** Holds secrets.json, notifications.jsonl and, with `persist`, the tables and queues. @default '.scimitar' */
  readonly dataDir?: string;
  /** Keep the audit log, ledger and queues on disk across restarts. @default false (in memory) */
  readonly persist?: boolean;
  /** Port of the ingest endpoint. @default 8787; 0 picks a free one */
  readonly port?: number;
  /** Start a SCIMMY demo application for each SCIM target whose baseUrl is on localhost. @default true */
  readonly demoApps?: boolean;
  /** Move demo applications to free ports (tests), rewriting the targets' baseUrls. @default false */
  readonly ephemeralPorts?: boolean;
  /** People seeded into each demo application. @default the demo roster */
  readonly people?: readonly DemoPerson[];
  /** Milliseconds each Wait state waits instead of until effectiveAt (tests). @default real time */
  readonly waitOverrideMs?: number;
  /** The lanes' SQS visibility timeout in seconds (how soon a crashed batch comes back). @default the template's */
  readonly visibilityTimeoutSeconds?: number;
  /** Seconds between a lane's retries when the target gave no Retry-After (tests). @default 5 s doubling, with jitter */
  readonly retryBackoffSeconds?: number;
  /** Per-request timeout of the SCIM client. @default 10_000 */
  readonly scimTimeoutMs?: number;
  /** Runtime messages (what listens where, alarms). @default console.log */
  readonly print?: (line: string) => void;
  /** Run the credential canary at start and on `canary.schedule`. @default true */
  readonly canary?: boolean;
  /**
   * The HR roster (active people) the reconciler compares accounts with: a CSV or JSON export,
   * read at every pass. A file named here must exist. With the default path and demo
   * applications, a roster of the demo people is written there when the file does not exist;
   * while no roster file exists, the scheduled reconciliation does not run (a pass asked for
   * says what is missing). @default '<dataDir>/roster.csv'
   */
  readonly roster?: string;
  /** Reconcile at start and on `reconciliation.schedule`. @default true */
  readonly reconcileOnSchedule?: boolean;
  /** Powertools log level of the handlers. @default 'WARN' */
  readonly logLevel?: 'DEBUG' | 'INFO' | 'WARN' | 'ERROR' | 'SILENT';
  /** A file the handlers' structured (JSON) logs are appended to. @default - printed on stdout, as on Lambda */
  readonly logFile?: string;
  /** What the handlers, schedules and alarm periods read the time from. @default the system clock */
  readonly clock?: Clock;
  /** Runs schedules and alarm evaluations. @default setInterval */
  readonly timers?: LocalTimers;
}

/** The runtime's timer seam: `every` starts a repeating tick and returns its stop. */
export interface LocalTimers {
  every(intervalMs: number, tick: () => void): () => void;
}

const systemTimers: LocalTimers = {
  every: (intervalMs, tick) => {
    const timer = setInterval(tick, Math.min(intervalMs, 2 ** 31 - 1));
    timer.unref();
    return () => clearInterval(timer);
  },
};

export interface LocalRuntime {
  readonly url: string;
  readonly config: ScimitarConfig;
  readonly dataDir: string;
  readonly secrets: LocalSecretSource;
  readonly audit: DynamoAuditLog;
  readonly ledger: DynamoLeaverLedger;
  readonly workflow: LocalWorkflow;
  readonly lanes: ReadonlyMap<string, LocalLane>;
  readonly alerts: LocalNotifier;
  readonly owners: LocalNotifier;
  readonly people: readonly DemoPerson[];
  readonly sqs: SQSClient;
  /** Moves every message in a target's DLQ back to its queue; returns how many. */
  redrive(targetId: string): Promise<number>;
  /** Messages waiting in a target's DLQ. */
  deadLetters(targetId: string): Promise<number>;
  /** The credential canary, now: a read-only probe of each SCIM target (or of those named). */
  checkTargets(targetIds?: readonly string[]): Promise<CanaryResult[]>;
  /** A reconciliation pass, now (every SCIM target, or those named). Drift goes to the lanes. */
  reconcile(options?: { targets?: readonly string[]; restart?: boolean }): Promise<ReconcileResult>;
  /** The coverage report: every application, how it is covered, its last reconciliation and canary. */
  coverage(): Promise<CoverageReport>;
  /** Where the reconciler reads the HR roster. */
  readonly rosterFile: string;
  /** Runs a failed (or aborted) execution's event again, audited as an operator's retry. */
  retry(eventId: string): Promise<RetryStarted>;
  stop(): Promise<void>;
}

// A synth takes seconds; a restart (or a test starting several runtimes) reuses the result.
const synthesized = new Map<string, LocalStack>();
function synthesizeOnce(config: ScimitarConfig): { stack: LocalStack; topology: LocalTopology } {
  const key = JSON.stringify(config);
  let stack = synthesized.get(key);
  if (!stack) {
    stack = synthesizeLocalStack(config);
    synthesized.set(key, stack);
  }
  const copy = structuredClone(stack);
  return { stack: copy, topology: readTopology(copy) };
}

/** Metrics the local runtime produces: whatever else an alarm reads never arrives here. */
const LOCAL_METRICS = new Set([
  'AWS/States ExecutionsFailed',
  'AWS/States ExecutionsTimedOut',
  'AWS/States ExecutionsAborted',
  'AWS/SQS ApproximateNumberOfMessagesVisible',
  'AWS/Lambda Errors',
  'Scimitar CanaryFailed',
  `Scimitar ${RECONCILE_METRICS.privilegedFindings}`,
  `Scimitar ${RECONCILE_METRICS.incomplete}`,
  `Scimitar ${RECONCILE_METRICS.orphans}`,
  `Scimitar ${RECONCILE_METRICS.drift}`,
]);

export async function startLocalRuntime(options: LocalRuntimeOptions): Promise<LocalRuntime> {
  const print = options.print ?? ((line: string) => console.log(line));
  const dataDir = resolve(options.dataDir ?? DEFAULT_DATA_DIR);
  mkdirSync(dataDir, { recursive: true });
  const people = options.people ?? demoPeople();
  // Checked first: a mistyped --roster should not wait for the synth to be reported.
  const rosterFile = resolve(options.roster ?? join(dataDir, 'roster.csv'));
  if (options.roster !== undefined && !existsSync(rosterFile)) {
    throw new ValidationError('invalid start options', [
      `roster file not found: ${rosterFile} (--roster takes an HR export, CSV or JSON)`,
    ]);
  }
  const logs = handlerLogs({
    level: options.logLevel ?? 'WARN',
    ...(options.logFile ? { file: options.logFile } : {}),
  });
  const logger = logs.logger;
  const clock = options.clock ?? new SystemClock();
  const timers = options.timers ?? systemTimers;
  const stoppers: (() => Promise<void>)[] = [() => logs.close()];
  const stop = async () => {
    for (const stopOne of stoppers.splice(0).reverse()) {
      await stopOne().catch((err: unknown) => print(`while stopping: ${(err as Error).message}`));
    }
  };
  const every = (ms: number, tick: () => void) => {
    const cancel = timers.every(ms, tick);
    stoppers.push(async () => cancel());
  };
  try {
    const demoTargets =
      options.demoApps === false
        ? []
        : options.config.targets.filter(
            (t): t is ScimTargetConfig => t.kind === 'scim' && isLoopbackHttp(t.baseUrl),
          );
    const secretsFile = join(dataDir, 'secrets.json');
    const secretValues = ensureSecrets(options.config, secretsFile, demoTargets);
    const secrets = new LocalSecretSource({ file: secretsFile });

    // Demo applications first: their ports may move the targets' base URLs.
    const apps = new Map<string, ScimApp>();
    for (const [i, target] of demoTargets.entries()) {
      const token = secretValues[targetSecretName(target)] ?? '';
      const app = await startDemoApp(target, i, token, people, options.ephemeralPorts ?? false);
      stoppers.push(() => app.close());
      apps.set(target.id, app);
    }
    const config: ScimitarConfig = {
      ...options.config,
      targets: options.config.targets.map((t) => {
        const app = apps.get(t.id);
        return app && t.kind === 'scim' ? { ...t, baseUrl: app.url } : t;
      }),
    };
    // The stack exactly as the CDK app synthesizes it for this config.
    const { stack: synth, topology } = synthesizeOnce(config);

    const dynamo = await startDynamo(options.persist ? { path: join(dataDir, 'dynamodb') } : {});
    stoppers.push(() => dynamo.close());
    const fauxqs: FauxqsServer = await startFauxqs({
      port: 0,
      logger: false,
      ...(options.persist ? { dataDir: join(dataDir, 'queues') } : {}),
    });
    stoppers.push(() => fauxqs.stop());
    const sqs: SQSClient = recordSdkCalls(
      localSqsClient({ endpoint: fauxqs.address, region: LOCAL_REGION, credentials: LOCAL_CREDENTIALS }),
    );
    stoppers.push(async () => sqs.destroy());
    // Who makes each AWS call, for the IAM proof (local/aws-calls.ts; off unless recording).
    const stackKey = registerStack(options.config);
    const as = (entry: string, targetId?: string) => ({
      entry,
      stack: stackKey,
      ...(targetId ? { targetId } : {}),
    });
    const fnOf = (entry: string) => Object.entries(synth.functions).find(([, f]) => f.entry === entry);

    const tables = { client: dynamo.client };
    const audit = new DynamoAuditLog({ tableName: LOCAL_NAMES.auditTable, ...tables });
    const ledger = new DynamoLeaverLedger({ tableName: LOCAL_NAMES.stateTable, ...tables });
    const budget = new DynamoRevocationBudget({ tableName: LOCAL_NAMES.stateTable, ...tables });
    const notifications = join(dataDir, 'notifications.jsonl');
    const alerts = new LocalNotifier(LOCAL_NAMES.alertTopic, { print, file: notifications });
    const owners = new LocalNotifier(LOCAL_NAMES.ownerTopic, { print, file: notifications });
    const tokens = new TaskTokenRegistry();
    const stateMachineName = LOCAL_NAMES.stateMachine(options.config.stackName);
    const callback = new LocalTaskCallback(tokens, stateMachineName);
    const metrics = new MetricStore(clock);
    const metricsOf = (entry: string) => {
      const env = fnOf(entry)?.[1].environment ?? {};
      return capturedMetrics(metrics, {
        namespace: env.POWERTOOLS_METRICS_NAMESPACE ?? 'Scimitar',
        serviceName: env.POWERTOOLS_SERVICE_NAME ?? `scimitar-${entry}`,
      });
    };
    /** A function's invocation as Lambda counts it: an error is a datapoint of AWS/Lambda Errors. */
    const invoked =
      <A extends unknown[], R>(entry: string, run: (...args: A) => Promise<R>) =>
      async (...args: A): Promise<R> => {
        try {
          return await run(...args);
        } catch (err) {
          const arn = fnOf(entry)?.[0];
          if (arn)
            metrics.put({
              namespace: 'AWS/Lambda',
              metricName: 'Errors',
              dimensions: { FunctionName: arn },
              value: 1,
            });
          throw err;
        }
      };

    const queues = createQueues(fauxqs, topology, options);
    // One client per target: the worker and the reconciler share its rate budget, as they share the application.
    const scims = new Map<string, ReturnType<typeof scimClientFor>>();
    const lanes = createLanes({
      config,
      topology,
      queues,
      sqs,
      apps,
      scimFor: (target) => {
        const scim = scimClientFor(target, {
          secretId: targetSecretName(target),
          secrets,
          ...(options.scimTimeoutMs ? { timeoutMs: options.scimTimeoutMs } : {}),
        });
        scims.set(target.id, scim);
        return scim;
      },
      workerFor: (target, queue, scim) => {
        const handler = createWorkerHandler({
          targetId: target.id,
          scim,
          audit,
          ledger,
          callback,
          clock,
          maxAttempts: config.maxAttempts,
          ...(options.retryBackoffSeconds !== undefined
            ? { backoff: () => options.retryBackoffSeconds as number }
            : {}),
          visibility: new SqsMessageVisibility(queue.url, sqs),
          logger: logger(`worker-${target.id}`),
          deadLetters: new SqsDeadLetterQueue(queue.dlqUrl, sqs),
          alerts,
          redriveCommand: `npm run scimitar -- redrive ${target.id}`,
        });
        return invoked('worker', handler);
      },
      onError: (targetId, err) => print(`worker ${targetId}: ${(err as Error).message}`),
    });

    const planHandler = createPlanHandler({ config, audit, budget, owners, clock, logger: logger('plan') });
    const summarizeHandler = createSummarizeHandler({
      audit,
      ledger,
      alerts,
      clock,
      logger: logger('summarize'),
      metrics: metricsOf('summarize'),
    });
    const byEntry: Record<string, LocalLambda> = {
      plan: (input) => actAs(as('plan'), () => planHandler(input)),
      summarize: (input) => actAs(as('summarize'), () => summarizeHandler(input)),
    };
    const lambdas: Record<string, LocalLambda> = {};
    for (const [arn, entry] of Object.entries(synth.asl.functions)) {
      const handler = byEntry[entry];
      if (handler) lambdas[arn] = handler;
    }
    const queueUrls = new Map(
      Object.entries(synth.asl.queues).map(([placeholder, targetId]) => [
        placeholder,
        lanes.get(targetId)?.queueUrl,
      ]),
    );
    const workflow = new LocalWorkflow({
      definition: synth.asl.definition as unknown as AslDefinition,
      lambdas,
      sqs,
      queueUrlFor: (synthesized) => {
        const url = queueUrls.get(synthesized);
        if (!url) throw new Error(`no local queue for ${synthesized}`);
        return url;
      },
      tokens,
      stateMachineName,
      acting: as('state-machine'),
      ...(options.persist ? { journal: join(dataDir, 'executions.jsonl') } : {}),
      ...(options.waitOverrideMs !== undefined ? { waitOverrideMs: options.waitOverrideMs } : {}),
      // What Step Functions reports to CloudWatch when an execution ends badly.
      onExecutionEnd: (execution: ExecutionRecord) => {
        const metricName = {
          FAILED: 'ExecutionsFailed',
          TIMED_OUT: 'ExecutionsTimedOut',
          ABORTED: 'ExecutionsAborted',
        }[execution.status as string];
        if (!metricName) return;
        const detail = `${execution.error}: Execution ${execution.executionArn} failed: ${execution.error}: ${execution.cause ?? ''}`;
        for (const arn of topology.stateMachines) {
          metrics.put({
            namespace: 'AWS/States',
            metricName,
            dimensions: { StateMachineArn: arn },
            value: 1,
            detail,
          });
        }
        void evaluateAlarms();
      },
    });

    // The event source polls with the worker's role, as Lambda's does.
    for (const lane of lanes.values()) actAs(as('worker', lane.target.id), () => lane.source.start());
    stoppers.push(async () => {
      await Promise.all([...lanes.values()].map((l) => l.source.stop()));
    });
    // Before the lanes stop (stoppers run in reverse): no execution or plan step writes after the stores close.
    stoppers.push(() => workflow.stop());
    const laneOf = (targetId: string): LocalLane => {
      const lane = lanes.get(targetId);
      if (!lane) throw new Error(`no SCIM target "${targetId}"`);
      return lane;
    };
    const deadLetters = async (targetId: string) => (await depth(sqs, laneOf(targetId).dlqUrl)).total;

    // CloudWatch's alarms, as the template defines them, on what this runtime can measure.
    const alertTopic = fnOf('summarize')?.[1].environment.ALERT_TOPIC_ARN;
    const evaluated = topology.alarms.filter(
      (a) =>
        a.treatMissingData !== 'breaching' && LOCAL_METRICS.has(`${a.query.namespace} ${a.query.metricName}`),
    );
    const skipped = [
      ...topology.alarms.filter((a) => !evaluated.includes(a)).map((a) => a.logicalId),
      ...topology.notLocal
        .filter((n) => n.logicalId.includes('Alarm') || n.reason.includes('metric'))
        .map((n) => n.logicalId),
    ];
    print(
      `local alarms: ${countOf(evaluated.length, 'alarm')} of the template evaluated here; not evaluated locally (their metrics, or the absence they watch, exist only on AWS): ${skipped.join(', ') || 'none'}`,
    );
    const alarms = new LocalAlarms({
      rules: evaluated,
      store: metrics,
      clock,
      text: alarmText(config.stackName),
      // Alarms publish as the platform, not as the function whose work triggered them.
      publish: (topic, notification) =>
        asPlatform(() =>
          topic === alertTopic
            ? alerts.notify(notification)
            : Promise.resolve(print(`alarm for unknown topic ${topic}: ${notification.subject}`)),
        ),
      sample: async () => {
        for (const [name, queue] of queues) {
          const { visible } = await depth(sqs, queue.url).catch(() => ({ visible: 0 }));
          metrics.put({
            namespace: 'AWS/SQS',
            metricName: 'ApproximateNumberOfMessagesVisible',
            dimensions: { QueueName: name },
            value: visible,
          });
        }
      },
    });
    // CloudWatch samples and evaluates: the platform's calls, whichever function's work asked.
    const evaluateAlarms = () => asPlatform(() => alarms.evaluate());
    every(500, () => void evaluateAlarms());

    // The credential canary: its failures are CanaryFailed datapoints per target, as its handler publishes them.
    const canaryStatus = new DynamoCanaryStatus({ tableName: LOCAL_NAMES.stateTable, ...tables });
    const runCanary = async (targetIds?: readonly string[]): Promise<CanaryResult[]> => {
      const results = await actAs(as('canary'), () =>
        checkTargets(
          config,
          {
            secrets,
            status: canaryStatus,
            clock,
            ...(options.scimTimeoutMs ? { timeoutMs: options.scimTimeoutMs } : {}),
          },
          targetIds ? { targetIds } : {},
        ),
      );
      for (const r of results) {
        metrics.put({
          namespace: 'Scimitar',
          metricName: 'CanaryFailed',
          dimensions: { service: 'scimitar-canary', target: r.targetId },
          value: r.ok ? 0 : 1,
          ...(r.ok ? {} : { detail: r.problems.join('; ') }),
        });
      }
      await evaluateAlarms();
      return results;
    };

    // The reconciler through its handler and wiring, with the template's environment made local.
    if (!existsSync(rosterFile) && apps.size > 0) writeFileSync(rosterFile, demoRosterCsv(people));
    const laneUrl = [...lanes.values()][0]?.queueUrl ?? '';
    const localTables = new Map([
      [auditTableSchema('').KeySchema?.[0]?.AttributeName, LOCAL_NAMES.auditTable],
      [stateTableSchema('').KeySchema?.[0]?.AttributeName, LOCAL_NAMES.stateTable],
    ]);
    const localEnv = (entry: string): Record<string, string> => {
      const env = { ...(fnOf(entry)?.[1].environment ?? {}) };
      for (const [name, value] of Object.entries(env)) {
        const table = topology.tables.find((t) => t.ref === value);
        if (table) env[name] = localTables.get(table.partitionKey) ?? value;
      }
      if (env[LANE_ENV.queueUrlPrefix])
        env[LANE_ENV.queueUrlPrefix] = laneUrl.slice(0, laneUrl.lastIndexOf('/') + 1);
      return env;
    };
    const reconcileHandler = wireReconcile({
      config,
      env: localEnv('reconcile'),
      secrets,
      clock,
      dynamo: dynamo.client,
      sqs,
      roster: new FileRosterSource(rosterFile, { hint: 'start with --roster FILE' }),
      scim: (target) => scims.get(target.id) ?? laneOf(target.id).scim,
      continuation: new (class extends ReconcileContinuation {
        async resume(invocation: ReconcileInvocation) {
          void runReconcileHandler(invocation).catch((err: unknown) =>
            print(`reconcile: ${(err as Error).message}`),
          );
        }
      })(),
      logger: logger('reconcile'),
      metrics: metricsOf('reconcile'),
    });
    const runReconcileHandler = invoked('reconcile', (input: unknown) =>
      actAs(as('reconcile'), () => reconcileHandler(input)),
    );
    const runReconcile = async (
      request: { targets?: readonly string[]; restart?: boolean } = {},
    ): Promise<ReconcileResult> => {
      const result = await runReconcileHandler({
        source: 'cli',
        ...(request.targets?.length ? { targets: request.targets } : {}),
        restart: request.restart ?? false,
      });
      for (const o of result.outcomes) {
        metrics.note(
          RECONCILE_METRICS.privilegedFindings,
          o.targetId,
          `${countOf(o.counts.orphan, 'orphan')} and ${countOf(o.counts.drift, 'drift account')}`,
        );
        if (o.error) metrics.note(RECONCILE_METRICS.incomplete, o.targetId, o.error);
      }
      await evaluateAlarms();
      return result;
    };
    const coverage = async (): Promise<CoverageReport> =>
      coverageReport(
        config,
        await gatherCoverageFacts(config, {
          store: new DynamoReconciliationStore({ tableName: LOCAL_NAMES.stateTable, ...tables }),
          leavers: ledger,
          canary: { status: canaryStatus, clock },
        }),
        clock.now(),
      );

    // The schedules of the template: each invokes its function at start and on its interval.
    const scheduled: Record<string, (() => void) | undefined> = {
      canary:
        options.canary === false
          ? undefined
          : () => void runCanary().catch((err: unknown) => print(`canary: ${(err as Error).message}`)),
      // Without a roster file (no demo apps, none given) a scheduled pass could only alarm; the
      // banner says where the file goes, and a pass asked for says what is missing.
      reconcile:
        options.reconcileOnSchedule === false
          ? undefined
          : () => {
              if (existsSync(rosterFile))
                void runReconcile().catch((err: unknown) => print(`reconcile: ${(err as Error).message}`));
            },
    };
    for (const schedule of topology.schedules.filter((s) => s.enabled)) {
      const run = scheduled[schedule.entry];
      if (!run) continue;
      run();
      every(scheduleIntervalMs(schedule.expression), run);
    }

    const retry = (eventId: string) => retryExecution(eventId, { workflow, audit, clock });
    const ingestHandler = createIngestHandler({
      sources: config.sources,
      secrets,
      auditLog: audit,
      workflows: workflow,
      logger: logger('ingest'),
      clock,
      metrics: metricsOf('ingest'),
    });
    const runtime: LocalRuntime = {
      url: '',
      config,
      dataDir,
      secrets,
      audit,
      ledger,
      workflow,
      lanes,
      alerts,
      owners,
      people,
      sqs,
      redrive: (targetId) => redrive(sqs, laneOf(targetId)),
      deadLetters,
      checkTargets: runCanary,
      reconcile: runReconcile,
      coverage,
      rosterFile,
      retry,
      stop,
    };
    const server = localHttpApi(runtime, (event) => actAs(as('ingest'), () => ingestHandler(event)), print);
    await listenOn(server, options.port ?? DEFAULT_PORT, 'the local API', 'choose another with --port N');
    // Pushed last, so stopped first: no new events while the rest shuts down.
    stoppers.push(
      () =>
        new Promise<void>((closed) => {
          server.closeAllConnections();
          server.close(() => closed());
        }),
    );
    return { ...runtime, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
  } catch (err) {
    await stop();
    throw err;
  }
}
