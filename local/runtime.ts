// The whole pipeline on one machine: the same handlers as on AWS, wired to local stand-ins —
// dynalite for DynamoDB, fauxqs for SQS, the synthesized state machine on aws-local-stepfunctions,
// an in-process SQS event source per lane, a task-token registry, a file of secrets, SNS as a
// recorded notifier — plus SCIMMY demo applications for the targets that point at localhost.
import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join, resolve } from 'node:path';
import { setTimeout } from 'node:timers/promises';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { CreateTableCommand, DynamoDBClient, ResourceInUseException } from '@aws-sdk/client-dynamodb';
import {
  DeleteMessageCommand,
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
  SendMessageCommand,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
// @ts-expect-error dynalite ships no types
import dynalite from 'dynalite';
import { type FauxqsServer, startFauxqs } from 'fauxqs';
import { DynamoAuditLog, documentClient } from '../lambdas/aws/adapters/dynamo-audit-log.ts';
import { DynamoCanaryStatus } from '../lambdas/aws/adapters/dynamo-canary-status.ts';
import { DynamoReconciliationStore } from '../lambdas/aws/adapters/dynamo-reconciliation.ts';
import { DynamoLeaverLedger, DynamoRevocationBudget } from '../lambdas/aws/adapters/dynamo-state.ts';
import { SqsDeadLetterQueue } from '../lambdas/aws/adapters/sqs-dead-letter-queue.ts';
import { SqsLaneQueue } from '../lambdas/aws/adapters/sqs-lane-queue.ts';
import { SqsMessageVisibility } from '../lambdas/aws/adapters/sqs-visibility.ts';
import { auditTableSchema, stateTableSchema } from '../lambdas/aws/adapters/table-schemas.ts';
import { type CanaryResult, checkTargets, scheduleIntervalMs } from '../lambdas/core/credentials/canary.ts';
import {
  type ScimitarConfig,
  type ScimTargetConfig,
  sourceSecretName,
  targetSecretName,
} from '../lambdas/core/model/config.ts';
import { countOf } from '../lambdas/core/model/count-noun.ts';
import { ValidationError } from '../lambdas/core/model/errors.ts';
import type { Notification } from '../lambdas/core/model/ports.ts';
import { scheduleIntervalMs as intervalOf } from '../lambdas/core/model/schedule.ts';
import {
  type CoverageReport,
  coverageReport,
  gatherCoverageFacts,
} from '../lambdas/core/reconcile/coverage.ts';
import { type ReconcileResult, reconcile } from '../lambdas/core/reconcile/reconcile.ts';
import type { ScimClient } from '../lambdas/core/scim/index.ts';
import { scimClientFor } from '../lambdas/core/targets/target-client.ts';
import { createIngestHandler } from '../lambdas/handlers/ingest.ts';
import { createPlanHandler } from '../lambdas/handlers/plan.ts';
import { createSummarizeHandler } from '../lambdas/handlers/summarize.ts';
import { createWorkerHandler } from '../lambdas/handlers/worker.ts';
import { configFor } from '../lib/config-projection.ts';
import { proxyEvent, readBody, writeJson, writeResult } from './api-gateway.ts';
import { renderAslCached } from './asl-cache.ts';
import { actAs, asPlatform, LOCAL_NAMES, partitionKeys, recordSdkCalls, registerStack } from './aws-calls.ts';
import { LocalClock } from './clock.ts';
import { type DemoPerson, demoPeople } from './demo-people.ts';
import { handlerLogs } from './handler-logs.ts';
import { ClockedVisibility } from './lane-backoff.ts';
import { LocalNotifier } from './notifier.ts';
import {
  attemptsOf,
  RetryRefusedError,
  type RetryStarted,
  retryExecution,
  UnknownEventError,
} from './retry.ts';
import { FileRosterSource } from './roster-file.ts';
import { DEFAULT_DATA_DIR, DEFAULT_PORT } from './runtime-defaults.ts';
import { type ScimApp, start as startScimApp } from './scim-app.ts';
import { LocalSecretSource } from './secrets.ts';
import { localSqsClient } from './sqs-client.ts';
import { SqsEventSource } from './sqs-event-source.ts';
import { isAddressInUse, listenOn, PortInUseError } from './start-errors.ts';
import { LocalTaskCallback, TaskTokenRegistry } from './task-tokens.ts';
import { type AslDefinition, type ExecutionRecord, type LocalLambda, LocalWorkflow } from './workflow.ts';

export { DEFAULT_DATA_DIR, DEFAULT_PORT } from './runtime-defaults.ts';

const LOCAL_CREDENTIALS = { accessKeyId: 'local', secretAccessKey: 'local' };
const LOCAL_REGION = 'us-east-1';

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
  /**
   * What Wait states, lane retry backoffs and schedules sleep on; a test moves it forward
   * (`clock.advance('3s')`) instead of waiting. @default - the system clock
   */
  readonly clock?: LocalClock;
  /** The lanes' SQS visibility timeout in seconds (how soon a crashed batch comes back). @default 30 */
  readonly visibilityTimeoutSeconds?: number;
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
}

export interface LocalLane {
  readonly target: ScimTargetConfig;
  readonly queueUrl: string;
  readonly dlqUrl: string;
  readonly source: SqsEventSource;
  readonly scim: ScimClient;
  readonly app?: ScimApp;
}

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
  /** The runtime's clock (the one given, or the system clock). */
  readonly clock: LocalClock;
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

interface SecretsFile {
  [name: string]: string;
}

/** Secrets of the local runtime: created once per data directory, readable only by the user. */
function ensureSecrets(config: ScimitarConfig, file: string, demoTargets: ScimTargetConfig[]): SecretsFile {
  const secrets: SecretsFile = existsSync(file)
    ? (JSON.parse(readFileSync(file, 'utf8')) as SecretsFile)
    : {};
  let changed = !existsSync(file);
  for (const source of config.sources) {
    const name = sourceSecretName(source);
    if (!secrets[name]) {
      secrets[name] = randomBytes(32).toString('hex');
      changed = true;
    }
  }
  for (const target of demoTargets) {
    const name = targetSecretName(target);
    if (!secrets[name]) {
      secrets[name] = `demo_${randomBytes(24).toString('hex')}`;
      changed = true;
    }
  }
  if (changed) {
    writeFileSync(file, `${JSON.stringify(secrets, null, 2)}\n`, { mode: 0o600 });
    chmodSync(file, 0o600);
  }
  return secrets;
}

function isLoopbackHttp(url: string): boolean {
  const { protocol, hostname } = new URL(url);
  return protocol === 'http:' && ['localhost', '127.0.0.1', '[::1]'].includes(hostname);
}

async function startDynamo(path: string | undefined): Promise<{
  endpoint: string;
  raw: DynamoDBClient;
  client: DynamoDBDocumentClient;
  close(): Promise<void>;
}> {
  const server = dynalite({
    createTableMs: 0,
    deleteTableMs: 0,
    updateTableMs: 0,
    ...(path ? { path } : {}),
  });
  await new Promise<void>((ready) => server.listen(0, '127.0.0.1', ready));
  // Requests still being answered when the runtime stops: dynalite throws (uncaught) when one
  // reaches its store after the store closed, so closing waits for them first.
  let answering = 0;
  server.on('request', (_req: unknown, res: { on(event: 'close', listener: () => void): void }) => {
    answering++;
    res.on('close', () => answering--);
  });
  const endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const schemas = [auditTableSchema(LOCAL_NAMES.auditTable), stateTableSchema(LOCAL_NAMES.stateTable)];
  const raw = recordSdkCalls(
    new DynamoDBClient({ endpoint, region: LOCAL_REGION, credentials: LOCAL_CREDENTIALS }),
    Object.assign({}, ...schemas.map(partitionKeys)),
  );
  for (const schema of schemas) {
    try {
      await raw.send(new CreateTableCommand(schema));
    } catch (err) {
      if (!(err instanceof ResourceInUseException)) throw err;
    }
  }
  return {
    endpoint,
    raw,
    client: documentClient(raw),
    close: async () => {
      raw.destroy();
      for (let waited = 0; answering > 0 && waited < 5_000; waited += 10) await setTimeout(10);
      await new Promise<void>((done) => server.close(() => done()));
    },
  };
}

/** The demo company's HR roster: everyone is active until a termination says otherwise. */
function demoRosterCsv(people: readonly DemoPerson[]): string {
  const rows = people.map((p) => [p.employeeId, p.userName, p.emails.join(';'), p.employeeId].join(','));
  return `employeeId,userName,emails,externalId\n${rows.join('\n')}\n`;
}

/** Which demo people each demo application holds: not everyone everywhere, so "no account" happens too. */
function holdsAccount(targetIndex: number, personIndex: number): boolean {
  return (personIndex + targetIndex) % 5 !== 4;
}

async function startDemoApp(
  target: ScimTargetConfig,
  index: number,
  token: string,
  people: readonly DemoPerson[],
  ephemeral: boolean,
): Promise<ScimApp> {
  const url = new URL(target.baseUrl);
  const port = ephemeral ? 0 : Number(url.port || 80);
  let app: ScimApp;
  try {
    app = await startScimApp({ tokens: [token], port, host: '127.0.0.1' });
  } catch (err) {
    if (isAddressInUse(err)) {
      throw new PortInUseError(
        port,
        `the demo application of target "${target.id}"`,
        `start with --no-demo-apps, or give the target another port in its baseUrl`,
        { cause: err },
      );
    }
    throw new Error(
      `cannot start the demo application for target "${target.id}" on port ${port}: ${(err as Error).message}`,
      { cause: err },
    );
  }
  const members = people.filter((_, i) => holdsAccount(index, i));
  app.seed({
    users: [
      ...members.map((p) => ({
        userName: p.userName,
        externalId: p.employeeId,
        displayName: p.displayName,
        emails: p.emails.map((value) => ({ value, type: 'work', primary: true })),
      })),
      ...target.allowList.map((userName) => ({ userName, displayName: `${userName} (service account)` })),
    ],
    groups: [
      { displayName: 'everyone', members: members.map((p) => p.userName) },
      { displayName: 'admins', members: members.slice(0, 2).map((p) => p.userName) },
    ],
  });
  return app;
}

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
  // Metrics go to CloudWatch on AWS; locally the summary and the audit log carry the same facts.
  process.env.POWERTOOLS_METRICS_DISABLED ??= 'true';
  const logs = handlerLogs({
    level: options.logLevel ?? 'WARN',
    ...(options.logFile ? { file: options.logFile } : {}),
  });
  const logger = logs.logger;

  const stoppers: (() => Promise<void>)[] = [() => logs.close()];
  const stop = async () => {
    for (const stopOne of stoppers.splice(0).reverse()) {
      await stopOne().catch((err: unknown) => print(`while stopping: ${(err as Error).message}`));
    }
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
      const app = await startDemoApp(
        target,
        i,
        secretValues[targetSecretName(target)] ?? '',
        people,
        options.ephemeralPorts ?? false,
      );
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

    const dynamo = await startDynamo(options.persist ? join(dataDir, 'dynamodb') : undefined);
    stoppers.push(() => dynamo.close());
    const fauxqs: FauxqsServer = await startFauxqs({
      port: 0,
      logger: false,
      ...(options.persist ? { dataDir: join(dataDir, 'queues') } : {}),
    });
    stoppers.push(() => fauxqs.stop());
    const sqs = recordSdkCalls(
      localSqsClient({ endpoint: fauxqs.address, region: LOCAL_REGION, credentials: LOCAL_CREDENTIALS }),
    );
    // Who makes each AWS call, for the IAM proof (local/aws-calls.ts; off unless recording).
    const stack = registerStack(options.config);
    const as = (entry: string, targetId?: string) => ({ entry, stack, ...(targetId ? { targetId } : {}) });
    stoppers.push(async () => sqs.destroy());

    const clock = options.clock ?? new LocalClock();
    const audit = new DynamoAuditLog({ tableName: LOCAL_NAMES.auditTable, client: dynamo.client });
    const ledger = new DynamoLeaverLedger({ tableName: LOCAL_NAMES.stateTable, client: dynamo.client });
    const budget = new DynamoRevocationBudget({ tableName: LOCAL_NAMES.stateTable, client: dynamo.client });
    const alerts = new LocalNotifier(LOCAL_NAMES.alertTopic, {
      print,
      file: join(dataDir, 'notifications.jsonl'),
    });
    // The stand-ins of CloudWatch alarms publish as the platform, not as the function at work.
    const alarm = (notification: Notification) => asPlatform(() => alerts.notify(notification));
    const owners = new LocalNotifier(LOCAL_NAMES.ownerTopic, {
      print,
      file: join(dataDir, 'notifications.jsonl'),
    });
    const tokens = new TaskTokenRegistry();
    const stateMachineName = LOCAL_NAMES.stateMachine(options.config.stackName);
    const callback = new LocalTaskCallback(tokens, stateMachineName);

    // The state machine exactly as the CDK app synthesizes it for this config.
    const asl = renderAslCached(config);

    // One lane per SCIM target: queue + DLQ with the stack's redrive policy, and its worker.
    const lanes = new Map<string, LocalLane>();
    for (const target of config.targets) {
      if (target.kind !== 'scim') continue;
      const dlq = fauxqs.createQueue(LOCAL_NAMES.deadLetterQueue(config.stackName, target.id), {
        attributes: { MessageRetentionPeriod: String(14 * 24 * 3600) },
      });
      const queue = fauxqs.createQueue(LOCAL_NAMES.laneQueue(config.stackName, target.id), {
        attributes: {
          VisibilityTimeout: String(options.visibilityTimeoutSeconds ?? 30),
          RedrivePolicy: JSON.stringify({
            deadLetterTargetArn: dlq.queueArn,
            maxReceiveCount: config.maxAttempts,
          }),
        },
      });
      // One client per target: the worker and the reconciler share its rate budget, as they share the application.
      const scim = scimClientFor(target, {
        secretId: targetSecretName(target),
        secrets,
        ...(options.scimTimeoutMs ? { timeoutMs: options.scimTimeoutMs } : {}),
      });
      const handler = createWorkerHandler({
        targetId: target.id,
        scim,
        audit,
        ledger,
        callback,
        clock,
        maxAttempts: config.maxAttempts,
        visibility: new ClockedVisibility(new SqsMessageVisibility(queue.queueUrl, sqs), clock),
        logger: logger(`worker-${target.id}`),
        deadLetters: new SqsDeadLetterQueue(dlq.queueUrl, sqs),
        alerts,
        redriveCommand: `npm run scimitar -- redrive ${target.id}`,
      });
      const source = new SqsEventSource({
        client: sqs,
        queueUrl: queue.queueUrl,
        queueArn: queue.queueArn,
        functionName: `scimitar-worker-${target.id}`,
        handler,
        batchSize: 1,
        // As the stack's event source: the target's burst, never below Lambda's minimum of 2.
        maxConcurrency: Math.max(2, target.rateBudget.burst),
        onError: (err) => print(`worker ${target.id}: ${(err as Error).message}`),
      });
      const app = apps.get(target.id);
      lanes.set(target.id, {
        target,
        queueUrl: queue.queueUrl,
        dlqUrl: dlq.queueUrl,
        source,
        scim,
        ...(app ? { app } : {}),
      });
    }

    const planHandler = createPlanHandler({
      config: configFor('plan', config),
      audit,
      budget,
      owners,
      clock,
      logger: logger('plan'),
    });
    const summarizeHandler = createSummarizeHandler({
      audit,
      ledger,
      alerts,
      clock,
      logger: logger('summarize'),
      metrics: new Metrics({ namespace: 'Scimitar', serviceName: 'scimitar-summarize' }),
    });
    const byEntry: Record<string, LocalLambda> = {
      plan: (input) => actAs(as('plan'), () => planHandler(input)),
      summarize: (input) => actAs(as('summarize'), () => summarizeHandler(input)),
    };
    const lambdas: Record<string, LocalLambda> = {};
    for (const [arn, entry] of Object.entries(asl.functions)) {
      const handler = byEntry[entry];
      if (handler) lambdas[arn] = handler;
    }
    const queueUrls = new Map(
      Object.entries(asl.queues).map(([placeholder, targetId]) => [
        placeholder,
        lanes.get(targetId)?.queueUrl,
      ]),
    );
    const workflow = new LocalWorkflow({
      definition: asl.definition as unknown as AslDefinition,
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
      clock,
      onExecutionEnd: (execution: ExecutionRecord) => {
        if (execution.status !== 'FAILED') return;
        // The stand-in of the ExecutionsFailed alarm.
        void alarm({
          subject: `ALARM: scimitar execution failed (${execution.error})`,
          message: `Execution ${execution.executionArn} failed: ${execution.error}: ${execution.cause ?? ''}`,
        });
      },
    });

    // The event source polls with the worker's role, as Lambda's does.
    for (const lane of lanes.values()) actAs(as('worker', lane.target.id), () => lane.source.start());
    stoppers.push(async () => {
      await Promise.all([...lanes.values()].map((l) => l.source.stop()));
    });
    // Before the lanes stop (stoppers run in reverse): no execution or plan step writes after the stores close.
    stoppers.push(() => workflow.stop());

    // The stand-in of the DLQ alarms: any message in a DLQ alarms once, until the DLQ is empty again.
    const alarming = new Set<string>();
    const deadLetters = async (targetId: string): Promise<number> => {
      const lane = lanes.get(targetId);
      if (!lane) throw new Error(`no SCIM target "${targetId}"`);
      const { Attributes } = await sqs.send(
        new GetQueueAttributesCommand({
          QueueUrl: lane.dlqUrl,
          AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'],
        }),
      );
      return (
        Number(Attributes?.ApproximateNumberOfMessages ?? 0) +
        Number(Attributes?.ApproximateNumberOfMessagesNotVisible ?? 0)
      );
    };
    const watchDeadLetters = setInterval(() => {
      for (const targetId of lanes.keys()) {
        deadLetters(targetId)
          .then(async (depth) => {
            if (depth > 0 && !alarming.has(targetId)) {
              alarming.add(targetId);
              await alarm({
                subject: `ALARM: ${countOf(depth, 'message')} in the dead-letter queue of target ${targetId}`,
                message: `Revocations for ${targetId} failed every attempt. Fix the cause, then redrive: npm run scimitar -- redrive ${targetId}`,
              });
            } else if (depth === 0) alarming.delete(targetId);
          })
          .catch(() => {});
      }
    }, 500);
    watchDeadLetters.unref();
    stoppers.push(async () => clearInterval(watchDeadLetters));

    const redrive = async (targetId: string): Promise<number> => {
      const lane = lanes.get(targetId);
      if (!lane) throw new Error(`no SCIM target "${targetId}"`);
      let moved = 0;
      for (;;) {
        const { Messages = [] } = await sqs.send(
          new ReceiveMessageCommand({ QueueUrl: lane.dlqUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 0 }),
        );
        if (Messages.length === 0) return moved;
        for (const message of Messages) {
          // Send first, then delete: a crash in between duplicates a message (harmless: revocation is idempotent), never loses one.
          await sqs.send(
            new SendMessageCommand({ QueueUrl: lane.queueUrl, MessageBody: message.Body ?? '' }),
          );
          await sqs.send(
            new DeleteMessageCommand({ QueueUrl: lane.dlqUrl, ReceiptHandle: message.ReceiptHandle }),
          );
          moved += 1;
        }
      }
    };

    // The credential canary, as the scheduled function runs it on AWS; its failures alarm.
    const canaryStatus = new DynamoCanaryStatus({ tableName: LOCAL_NAMES.stateTable, client: dynamo.client });
    const runCanary = async (targetIds?: readonly string[]): Promise<CanaryResult[]> => {
      const results = await actAs(as('canary'), () =>
        checkTargets(
          configFor('canary', config),
          {
            secrets,
            status: canaryStatus,
            clock,
            ...(options.scimTimeoutMs ? { timeoutMs: options.scimTimeoutMs } : {}),
          },
          targetIds ? { targetIds } : {},
        ),
      );
      for (const failed of results.filter((r) => !r.ok)) {
        await alarm({
          subject: `ALARM: credential canary failed for target ${failed.targetId}`,
          message: `The read-only probe of ${failed.targetId} failed: ${failed.problems.join('; ')}. Leavers there would fail too. Runbook: docs/credentials.md#canary-failed`,
        });
      }
      return results;
    };
    if (options.canary !== false) {
      void runCanary().catch((err: unknown) => print(`canary: ${(err as Error).message}`));
      const stopSchedule = clock.every(
        scheduleIntervalMs(config.canary.schedule),
        () => void runCanary().catch((err: unknown) => print(`canary: ${(err as Error).message}`)),
      );
      stoppers.push(async () => stopSchedule());
    }

    // Reconciliation, as the scheduled function runs it on AWS: drift goes back through the lanes.
    if (!existsSync(rosterFile) && apps.size > 0) writeFileSync(rosterFile, demoRosterCsv(people));
    const reconciliationStore = new DynamoReconciliationStore({
      tableName: LOCAL_NAMES.stateTable,
      client: dynamo.client,
    });
    const laneQueue = new SqsLaneQueue(
      Object.fromEntries([...lanes].map(([id, lane]) => [id, lane.queueUrl])),
      sqs,
    );
    const runReconcile = async (request: { targets?: readonly string[]; restart?: boolean } = {}) => {
      const result = await actAs(as('reconcile'), () =>
        reconcile(
          { ...(request.targets ? { targets: request.targets } : {}), restart: request.restart ?? false },
          {
            config: configFor('reconcile', config),
            scim: (target) => {
              const lane = lanes.get(target.id);
              if (!lane) throw new Error(`no lane for target "${target.id}"`);
              return lane.scim;
            },
            store: reconciliationStore,
            leavers: ledger,
            roster: new FileRosterSource(rosterFile, { hint: 'start with --roster FILE' }),
            queue: laneQueue,
            budget,
            audit,
            clock,
          },
        ),
      );
      const privileged = new Set(config.targets.filter((t) => t.tier === 'privileged').map((t) => t.id));
      for (const outcome of result.outcomes) {
        // The stand-ins of the reconciler's alarms: a privileged orphan or drift, an incomplete pass.
        if (privileged.has(outcome.targetId) && outcome.counts.orphan + outcome.counts.drift > 0) {
          await alarm({
            subject: `ALARM: privileged target ${outcome.targetId} has ${countOf(outcome.counts.orphan, 'orphan')} and ${countOf(outcome.counts.drift, 'drift account')}`,
            message: 'See the coverage report (npm run scimitar -- coverage) and docs/reconciliation.md.',
          });
        }
        if (outcome.status === 'incomplete') {
          await alarm({
            subject: `ALARM: reconciliation of ${outcome.targetId} incomplete`,
            message: outcome.error ?? 'no reason recorded',
          });
        }
      }
      return result;
    };
    const coverage = async (): Promise<CoverageReport> =>
      coverageReport(
        config,
        await gatherCoverageFacts(config, {
          store: reconciliationStore,
          leavers: ledger,
          canary: { status: canaryStatus, clock },
        }),
        clock.now(),
      );
    if (options.reconcileOnSchedule !== false) {
      // Without a roster file (no demo apps, none given) a scheduled pass could only alarm; the
      // banner says where the file goes, and a pass asked for says what is missing.
      const pass = () => {
        if (!existsSync(rosterFile)) return;
        void runReconcile().catch((err: unknown) => print(`reconcile: ${(err as Error).message}`));
      };
      pass();
      const stopSchedule = clock.every(intervalOf(config.reconciliation.schedule), pass);
      stoppers.push(async () => stopSchedule());
    }

    const retry = (eventId: string) => retryExecution(eventId, { workflow, audit, clock });

    const ingest = createIngestHandler({
      sources: configFor('ingest', config).sources,
      secrets,
      auditLog: audit,
      workflows: workflow,
      logger: logger('ingest'),
      clock,
    });

    const server: Server = createServer((req, res) => {
      handleRequest(req.method ?? 'GET', new URL(req.url ?? '/', 'http://localhost')).catch(
        (err: unknown) => {
          if (res.headersSent) return;
          // Failures the caller can act on are answered as such, with the reason.
          if (err instanceof ValidationError) {
            writeJson(res, 422, { error: 'invalid', message: err.message, problems: err.problems });
          } else if (err instanceof RetryRefusedError) {
            writeJson(res, 409, { error: 'conflict', message: err.message });
          } else if (err instanceof UnknownEventError) {
            writeJson(res, 404, { error: 'unknown_event', message: err.message });
          } else {
            print(`local API: ${(err as Error).message}`);
            writeJson(res, 500, {
              error: 'internal',
              message: `the local runtime failed: ${(err as Error).message}`,
            });
          }
        },
      );

      async function handleRequest(method: string, url: URL): Promise<void> {
        /** The SCIM targets named by `?target=` (none: all); answers 404 and returns null for an unknown one. */
        const namedTargets = (): string[] | null => {
          const only = url.searchParams.getAll('target');
          const unknown = only.filter((id) => !lanes.has(id));
          if (unknown.length === 0) return only;
          writeJson(res, 404, {
            error: 'unknown_target',
            message: `no SCIM target ${unknown.map((id) => `"${id}"`).join(', ')}`,
          });
          return null;
        };
        const events = url.pathname.match(/^\/events\/([^/]+)$/);
        if (events && method === 'POST') {
          let body: Buffer;
          try {
            body = await readBody(req);
          } catch {
            writeJson(res, 413, { message: 'Request Entity Too Large' });
            req.resume();
            return;
          }
          const source = decodeURIComponent(events[1] ?? '');
          const event = proxyEvent(req, body, '/events/{source}', { source });
          writeResult(res, await actAs(as('ingest'), () => ingest(event)));
          return;
        }
        if (method === 'GET' && url.pathname === '/health') {
          writeJson(res, 200, { ok: true });
          return;
        }
        const retryMatch = url.pathname.match(/^\/_local\/events\/([^/]+)\/retry$/);
        if (retryMatch && method === 'POST') {
          writeJson(res, 202, await retry(decodeURIComponent(retryMatch[1] ?? '')));
          return;
        }
        const status = url.pathname.match(/^\/_local\/events\/([^/]+)$/);
        if (status && method === 'GET') {
          const eventId = decodeURIComponent(status[1] ?? '');
          // The latest attempt: the first delivery's execution, or the last retry of it.
          const attempts = attemptsOf(workflow, eventId);
          const execution = attempts.at(-1);
          writeJson(res, 200, {
            eventId,
            attempts: attempts.map((a) => ({ name: a.name, status: a.status, error: a.error })),
            execution: execution
              ? {
                  name: execution.name,
                  executionArn: execution.executionArn,
                  status: execution.status,
                  error: execution.error,
                  output: execution.output,
                }
              : null,
            audit: await audit.forEvent(eventId),
          });
          return;
        }
        const person = url.pathname.match(/^\/_local\/people\/([^/]+)$/);
        if (person && method === 'GET') {
          const personId = decodeURIComponent(person[1] ?? '');
          writeJson(res, 200, {
            personId,
            audit: await audit.forPerson(personId),
            ledger: await ledger.forPerson(personId),
          });
          return;
        }
        const redriveMatch = url.pathname.match(/^\/_local\/targets\/([^/]+)\/redrive$/);
        if (redriveMatch && method === 'POST') {
          const targetId = decodeURIComponent(redriveMatch[1] ?? '');
          if (!lanes.has(targetId)) {
            writeJson(res, 404, { error: 'unknown_target', message: `no SCIM target "${targetId}"` });
            return;
          }
          writeJson(res, 200, { targetId, redriven: await redrive(targetId) });
          return;
        }
        if (url.pathname === '/_local/targets' && method === 'GET') {
          const targets = [];
          for (const [targetId, lane] of lanes) {
            targets.push({
              targetId,
              displayName: lane.target.displayName,
              baseUrl: lane.target.baseUrl,
              deadLetters: await deadLetters(targetId),
              accounts: lane.app
                ? [...lane.app.users.values()].map((u) => ({
                    userName: u.userName,
                    active: u.active,
                    externalId: u.externalId,
                  }))
                : null,
            });
          }
          writeJson(res, 200, { targets });
          return;
        }
        if (url.pathname === '/_local/targets/check' && method === 'POST') {
          const only = namedTargets();
          if (!only) return;
          writeJson(res, 200, { results: await runCanary(only.length > 0 ? only : undefined) });
          return;
        }
        if (url.pathname === '/_local/reconcile' && method === 'POST') {
          const only = namedTargets();
          if (!only) return;
          writeJson(
            res,
            200,
            await runReconcile({
              ...(only.length ? { targets: only } : {}),
              restart: url.searchParams.has('restart'),
            }),
          );
          return;
        }
        if (url.pathname === '/_local/coverage' && method === 'GET') {
          writeJson(res, 200, await coverage());
          return;
        }
        if (url.pathname === '/_local/notifications' && method === 'GET') {
          writeJson(res, 200, { alerts: alerts.sent, owners: owners.sent });
          return;
        }
        writeJson(res, 404, { error: 'not_found', message: `no route ${method} ${url.pathname}` });
      }
    });
    await listenOn(server, options.port ?? DEFAULT_PORT, 'the local API', 'choose another with --port N');
    // Pushed last, so stopped first: no new events while the rest shuts down.
    stoppers.push(
      () =>
        new Promise<void>((closed) => {
          server.closeAllConnections();
          server.close(() => closed());
        }),
    );

    return {
      url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
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
      clock,
      redrive,
      deadLetters,
      checkTargets: runCanary,
      reconcile: runReconcile,
      coverage,
      rosterFile,
      retry,
      stop,
    };
  } catch (err) {
    await stop();
    throw err;
  }
}
