// Over 300 lines: the one composition root, a list of parts in the order they start (and stop in reverse).
// The whole pipeline on one machine, hosting the stack the CDK app synthesizes for the config:
// its queues, event sources, schedules and alarms read from the templates (local/topology.ts),
// the same handlers as on AWS wired to local stand-ins (dynalite, fauxqs, the state machine on
// aws-local-stepfunctions, a file of secrets, SNS as a recorded notifier), plus SCIMMY demo
// applications for the targets on localhost. This file only composes them.
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { join, resolve } from 'node:path';
import type { SQSClient } from '@aws-sdk/client-sqs';
import { startFauxqs } from 'fauxqs';
import { DynamoAuditLog } from '../lambdas/aws/adapters/dynamo-audit-log.ts';
import { dynamoRateBudgets } from '../lambdas/aws/adapters/dynamo-rate-budget.ts';
import { DynamoReconciliationStore } from '../lambdas/aws/adapters/dynamo-reconciliation.ts';
import { DynamoRosterStore } from '../lambdas/aws/adapters/dynamo-roster.ts';
import { DynamoLeaverLedger } from '../lambdas/aws/adapters/dynamo-state.ts';
import { wireIngest } from '../lambdas/aws/wiring/ingest.ts';
import { keptNotifier } from '../lambdas/aws/wiring/kept-notifications.ts';
import { laneGuards, wireWorkerLane } from '../lambdas/aws/wiring/worker.ts';
import { type ScimTargetConfig, targetSecretName } from '../lambdas/core/model/config.ts';
import { ValidationError } from '../lambdas/core/model/errors.ts';
import { scheduleIntervalMs } from '../lambdas/core/model/schedule.ts';
import {
  type CoverageReport,
  coverageReport,
  gatherCoverageFacts,
} from '../lambdas/core/reconcile/coverage.ts';
import type { ScimClient } from '../lambdas/core/scim/index.ts';
import { sessionRevokerFor } from '../lambdas/core/sessions/revoker.ts';
import type { RequestClass } from '../lambdas/core/targets/rate-budget.ts';
import { scimClientFor } from '../lambdas/core/targets/target-client.ts';
import { configFor } from '../lib/config-projection.ts';
import { actAs, LOCAL_NAMES, recordSdkCalls, registerStack } from './aws-calls.ts';
import { HostedFunctions, localAwsEndpoint } from './aws-endpoint/index.ts';
import { LocalClock } from './clock.ts';
import { localCloudWatch } from './cloudwatch.ts';
import { demoRosterCsv, demoTargetsOf, startDemoApps } from './demo-apps.ts';
import { demoPeople } from './demo-people.ts';
import { LOCAL_CREDENTIALS, LOCAL_REGION, startDynamo } from './dynamo.ts';
import { demoOktaTargetsOf, type FakeOkta, startDemoOkta } from './fakes/okta.ts';
import { acting, localEnvironment, localFunctions, localWorkflow } from './functions.ts';
import { handlerLogs } from './handler-logs.ts';
import { localHttpApi } from './http-api.ts';
import { ClockedVisibility } from './lane-backoff.ts';
import { createLanes, createQueues, depth, laneOfTarget, redrive } from './lanes.ts';
import { localApprove, localApproveBurst } from './lifecycle.ts';
import { LocalNotifier } from './notifier.ts';
import { retryExecution } from './retry.ts';
import { FileRosterSource } from './roster-file.ts';
import { DEFAULT_DATA_DIR, DEFAULT_PORT } from './runtime-defaults.ts';
import type { LocalRuntime, LocalRuntimeOptions } from './runtime-options.ts';
import { ensureSecrets, LocalSecretSource, LocalSecretStore } from './secrets.ts';
import { localSqsClient } from './sqs-client.ts';
import { listenOn } from './start-errors.ts';
import { LocalTaskCallback, TaskTokenRegistry } from './task-tokens.ts';
import { LocalTerminationScheduler } from './termination-scheduler.ts';
import { hostedStack } from './topology.ts';

export type { LocalLane } from './lanes.ts';

export { DEFAULT_DATA_DIR, DEFAULT_PORT } from './runtime-defaults.ts';
export type { LocalRuntime, LocalRuntimeOptions } from './runtime-options.ts';

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
  const clock = options.clock ?? new LocalClock();
  const stoppers: (() => Promise<void>)[] = [() => logs.close()];
  const stop = async () => {
    for (const stopOne of stoppers.splice(0).reverse()) {
      await stopOne().catch((err: unknown) => print(`while stopping: ${(err as Error).message}`));
    }
  };
  const every = (ms: number, tick: () => void) => {
    const cancel = clock.every(ms, tick);
    stoppers.push(async () => cancel());
  };
  try {
    const demoTargets = options.demoApps === false ? [] : demoTargetsOf(options.config);
    const secretsFile = join(dataDir, 'secrets.json');
    // The demo's session targets (an Okta org on localhost) get a fake Okta, as SCIM targets get apps.
    const demoSessionTargets = options.demoApps === false ? [] : demoOktaTargetsOf(options.config.targets);
    const secretValues = ensureSecrets(options.config, secretsFile, [...demoTargets, ...demoSessionTargets]);
    const secrets = new LocalSecretSource({ file: secretsFile });

    // Demo applications first: their ports may move the targets' base URLs.
    const sessionApps = new Map<string, FakeOkta>();
    for (const target of demoSessionTargets) {
      const okta = await startDemoOkta(
        target,
        secretValues[targetSecretName(target)] ?? '',
        people,
        options.ephemeralPorts ?? false,
      );
      stoppers.push(() => okta.close());
      sessionApps.set(target.id, okta);
    }
    const withSessions = {
      ...options.config,
      targets: options.config.targets.map((t) => {
        const okta = sessionApps.get(t.id);
        return okta && t.kind === 'session' ? { ...t, baseUrl: okta.url } : t;
      }),
    };
    const { apps, config } = await startDemoApps(withSessions, demoTargets, {
      tokens: secretValues,
      people,
      ephemeral: options.ephemeralPorts ?? false,
      stoppers,
    });
    // The stack exactly as the CDK app synthesizes it for this config.
    const { stack, topology } = hostedStack(config);

    const dynamo = await startDynamo(options.persist ? { path: join(dataDir, 'dynamodb') } : {});
    stoppers.push(() => dynamo.close());
    const fauxqs = await startFauxqs({
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
    const as = (entry: string, targetId?: string) => acting(stackKey, entry, targetId);

    const state = { tableName: LOCAL_NAMES.stateTable, client: dynamo.client };
    const audit = new DynamoAuditLog({ tableName: LOCAL_NAMES.auditTable, client: dynamo.client });
    const ledger = new DynamoLeaverLedger(state);
    const notifications = join(dataDir, 'notifications.jsonl');
    const alerts = new LocalNotifier(LOCAL_NAMES.alertTopic, { print, file: notifications });
    const owners = new LocalNotifier(LOCAL_NAMES.ownerTopic, { print, file: notifications });
    const tokens = new TaskTokenRegistry();
    const stateMachineName = LOCAL_NAMES.stateMachine(options.config.stackName);
    const queues = createQueues(fauxqs, topology, options);
    const cloudwatch = localCloudWatch({
      stack,
      topology,
      stackName: config.stackName,
      clock,
      sqs,
      queues,
      visibleMessages: (name) =>
        Number(fauxqs.inspectQueue(name)?.attributes.ApproximateNumberOfMessages ?? 0),
      alerts,
      print,
    });
    every(500, () => void cloudwatch.evaluate());

    // Each target's one rate budget on the state table, as on AWS: the worker's clients, the
    // reconciler's (background) and the canary's (its wiring's default) all take it.
    const budgets = dynamoRateBudgets(state);
    const clientsOf = (requestClass: RequestClass) => {
      const scims = new Map<string, ScimClient>();
      return (target: ScimTargetConfig) => {
        const timeout = {
          ...(options.scimTimeoutMs && { timeoutMs: options.scimTimeoutMs }),
          ...(options.scimThrottleWaitMaxMs !== undefined && {
            throttleWaitMaxMs: options.scimThrottleWaitMaxMs,
          }),
        };
        const scim =
          scims.get(target.id) ??
          scimClientFor(target, {
            secretId: targetSecretName(target),
            secrets,
            ...timeout,
            budget: budgets(target),
            requestClass,
          });
        scims.set(target.id, scim);
        return scim;
      };
    };
    const scimOf = { leaver: clientsOf('leaver'), urgent: clientsOf('urgent') };
    const callback = new LocalTaskCallback(tokens, stateMachineName);
    // The worker's view of the config, as its entry has it on Lambda: the lanes' clients are built
    // from it, so a client that reads a field the worker's projection leaves out fails here too.
    const workerConfig = configFor('worker', config);
    // A rescind after the plan wins at the write; only writes that happen spend the budget.
    const guards = laneGuards(workerConfig, state);
    const lanes = createLanes({
      config,
      topology,
      queues,
      sqs,
      apps,
      // A priority queue's work takes the budget as urgent, the bulk lane's as a leaver.
      // The worker dispatches on the target's kind, as on Lambda (lambdas/aws/entries/worker.ts).
      scimFor: (lane, requestClass) => {
        const target = workerConfig.targets.find((t) => t.id === lane.id) as typeof lane;
        return target.kind === 'session'
          ? sessionRevokerFor(target, {
              secretId: targetSecretName(target),
              secrets,
              ...(options.scimTimeoutMs && { timeoutMs: options.scimTimeoutMs }),
              budget: budgets(target),
              requestClass,
            })
          : scimOf[requestClass](target);
      },
      workerFor: (target, queue, scim) => {
        const handler = wireWorkerLane({
          targetId: target.id,
          queueUrl: queue.url,
          deadLetterQueueUrl: queue.dlqUrl,
          sqs,
          scim,
          audit,
          ledger,
          callback,
          clock,
          maxAttempts: config.maxAttempts,
          ...guards,
          // A mover's lane (a change event) updates the managed groups these rules name.
          ...(target.kind === 'scim' && target.entitlements && { entitlements: target.entitlements }),
          // A reconciler remediation starts only while no leaver waits for this target's budget.
          spare: () => budgets(target).spare(),
          logger: logger(`worker-${target.id}`),
          // Kept in the state table as on AWS (lambdas/aws/entries/worker.ts).
          alerts: keptNotifier(alerts, 'alert', { state, clock, logger: logger(`worker-${target.id}`) }),
          redriveCommand: `npm run scimitar -- redrive ${target.id}`,
          // A backoff the runtime's clock is moved past releases the message at once.
          visibility: (queued) => new ClockedVisibility(queued, clock),
        });
        return (event, context) =>
          handler(event, context).catch((err: unknown) => {
            cloudwatch.functionError('worker');
            throw err;
          });
      },
      onError: (targetId, err) => print(`worker ${targetId}: ${(err as Error).message}`),
    });
    const laneOf = (targetId: string) => laneOfTarget(lanes, targetId);

    const workflow = localWorkflow({
      config,
      secrets,
      stack,
      topology,
      dynamo: dynamo.client,
      alerts,
      owners,
      clock,
      logger,
      cloudwatch,
      sqs,
      tokens,
      stateMachineName,
      queueUrlOf: (targetId) => lanes.get(targetId)?.queueUrl,
      priorityQueueUrlOf: (targetId) => lanes.get(targetId)?.priority.queueUrl,
      act: (entry, work) => actAs(as(entry), work),
      options: {
        acting: as('state-machine'),
        ...(options.persist ? { journal: join(dataDir, 'executions.jsonl') } : {}),
      },
    });
    // The event source polls with the worker's role, as Lambda's does.
    for (const lane of lanes.values()) {
      actAs(as('worker', lane.target.id), () => lane.source.start());
      actAs(as('worker', lane.target.id), () => lane.priority.source.start());
    }
    stoppers.push(async () => {
      await Promise.all([...lanes.values()].flatMap((l) => [l.source.stop(), l.priority.source.stop()]));
    });
    // Before the lanes stop (stoppers run in reverse): no execution or plan step writes after the stores close.
    stoppers.push(() => workflow.stop());
    // EventBridge Scheduler's one-time schedules, on the clock (kept in a file with --persist).
    const scheduler = new LocalTerminationScheduler({
      clock,
      workflows: workflow,
      ...(options.persist ? { file: join(dataDir, 'schedules.json') } : {}),
      onError: (start, err) => print(`schedule of ${start.executionName}: ${(err as Error).message}`),
    });
    stoppers.push(async () => scheduler.stop());

    // The canary and the reconciler through their handlers and wiring modules.
    if (!existsSync(rosterFile) && apps.size > 0) writeFileSync(rosterFile, demoRosterCsv(people));
    const functions = localFunctions({
      config,
      stack,
      topology,
      stackKey,
      dynamo: dynamo.client,
      sqs,
      laneQueueUrl: [...lanes.values()][0]?.queueUrl ?? '',
      secrets,
      store: new LocalSecretStore(secrets, secretsFile),
      // With a roster pull the reconciler reads what the pull stored, as on AWS; else the file.
      roster: config.roster
        ? new DynamoRosterStore(state)
        : new FileRosterSource(rosterFile, { hint: 'start with --roster FILE' }),
      scim: clientsOf('background'),
      cloudwatch,
      clock,
      logger,
      print,
      ...(options.scimTimeoutMs ? { scimTimeoutMs: options.scimTimeoutMs } : {}),
      workflow,
      scheduler,
      owners,
    });
    const coverage = async (): Promise<CoverageReport> => {
      const store = new DynamoReconciliationStore(state);
      const canary = { status: functions.canaryStatus, clock };
      return coverageReport(
        config,
        await gatherCoverageFacts(config, { store, leavers: ledger, canary }),
        clock.now(),
      );
    };
    // Without a roster file (no demo apps, none given) a scheduled pass could only alarm; the
    // banner says where the file goes, and a pass asked for says what is missing.
    const scheduled = (entry: string, input: unknown) =>
      entry === 'canary' && options.canary !== false
        ? () => void functions.checkTargets()
        : entry === 'reconcile' && options.reconcileOnSchedule !== false
          ? () =>
              (config.roster !== undefined || existsSync(rosterFile)) &&
              void functions
                .reconcile()
                .catch((err: unknown) => print(`reconcile: ${(err as Error).message}`))
          : entry === 'pull' && functions.pull
            ? () => functions.pull?.(input).catch((err: unknown) => print(`pull: ${(err as Error).message}`))
            : undefined;
    // The template's schedules: each runs its function at start and on its interval; the pulls
    // first, awaited, so the first reconciliation reads a pulled roster.
    const enabled = topology.schedules.filter((s) => s.enabled);
    for (const schedule of [...enabled].sort(
      (a, b) => Number(b.entry === 'pull') - Number(a.entry === 'pull'),
    )) {
      const run = scheduled(schedule.entry, schedule.input);
      if (!run) continue;
      await run();
      every(scheduleIntervalMs(schedule.expression), () => void run());
    }

    const ingest = wireIngest({
      config: configFor('ingest', config),
      env: localEnvironment({ stack, topology, laneQueueUrl: '' }, 'ingest'),
      dynamo: dynamo.client,
      secrets,
      workflows: workflow,
      scheduler,
      owners,
      rawDeliveries: 'not-kept',
      logger: logger('ingest'),
      clock,
      metrics: cloudwatch.metricsFor('ingest'),
    });
    // The functions Lambda's Invoke reaches, by physical name (local/aws-endpoint/hosted-functions.ts).
    const hosted = new HostedFunctions(stack, config.stackName);
    hosted.register('canary', functions.hosted.canary);
    hosted.register('reconcile', functions.hosted.reconcile);
    hosted.register('operator', functions.hosted.operator);
    if (functions.pull) hosted.register('pull', functions.pull);
    const runtime: LocalRuntime = {
      url: '',
      config,
      dataDir,
      secrets,
      audit,
      ledger,
      workflow,
      lanes,
      sessionApps,
      alerts,
      owners,
      people,
      sqs,
      clock,
      redrive: (targetId) => redrive(sqs, laneOf(targetId)),
      deadLetters: async (targetId) => (await depth(sqs, laneOf(targetId).dlqUrl)).total,
      checkTargets: functions.checkTargets,
      reconcile: functions.reconcile,
      coverage,
      rosterFile,
      retry: (eventId) => retryExecution(eventId, { workflow, audit, clock }),
      pendingTermination: (personId) => guards.terminations.get(personId),
      schedules: () => scheduler.list(),
      approve: localApprove({ config, audit, sqs, lanes, clock, terminations: guards.terminations, logger }),
      approveBurst: localApproveBurst({ config, audit, state, clock, logger }),
      functions: hosted,
      operator: functions.operator,
      dynamo: dynamo.client,
      stop,
    };
    // The AWS APIs of the hosted stack on the same port (the CLI's --stack path, locally).
    const aws = localAwsEndpoint({
      stack,
      topology,
      stackName: config.stackName,
      dynamoEndpoint: dynamo.endpoint,
      sqsEndpoint: `http://127.0.0.1:${fauxqs.port}`,
      queueArnPrefix: ([...queues.values()][0]?.arn ?? 'arn:aws:sqs:us-east-1:000000000000:x').replace(
        /[^:]*$/,
        '',
      ),
      functions: runtime.functions,
      workflow,
      alarmState: cloudwatch.alarmState,
      accessKeyId: LOCAL_CREDENTIALS.accessKeyId,
    });
    const server = localHttpApi(runtime, (event) => actAs(as('ingest'), () => ingest(event)), print, aws);
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
