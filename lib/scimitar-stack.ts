// scimitar composes the constructs, one per concern, from the validated config; it holds no
// resources of its own besides outputs. Everything per target lives in the lane shards (nested
// stacks, lib/target-lane.ts): this template's size does not grow with the target count.
// `Scimitar` goes into any stack (the package's construct); `ScimitarStack` is a stack holding
// just it, under the id `Default`, which CDK leaves out of logical ids: the same template as
// when the stack composed the constructs itself.
import { Aspects, Aws, CfnOutput, type Duration, type IAspect, Stack, type StackProps } from 'aws-cdk-lib';
import { Construct, type IConstruct } from 'constructs';
import { deadLetterQueuePrefix } from '../lambdas/aws/target-env.ts';
import { parseConfig, type ScimitarConfig, type ScimitarConfigInput } from '../lambdas/core/model/config.ts';
import { Alerting } from './alerting.ts';
import { AuditArchive } from './audit-archive.ts';
import { AuditStore } from './audit-store.ts';
import { CANARY_SERVICE, CredentialRotation, canaryMetricPeriod } from './credentials.ts';
import { IngestApi } from './ingest-api.ts';
import { Operator } from './operator.ts';
import { grantOpenOwnerTasks, OwnerTaskAlarm } from './owner-tasks.ts';
import { Reconciler } from './reconciler.ts';
import { needsPull, RosterPull } from './roster-pull.ts';
import { LaneFleet, type TargetLane } from './target-lane.ts';
import { TerminationSchedules } from './termination-schedules.ts';
import { TokenVault } from './token-vault.ts';
import { routeUnreportedFailures } from './unreported-failures.ts';
import { Workflow } from './workflow.ts';

export interface ScimitarProps {
  /** The config: `defineConfig({...})` or one already validated (lib/config-file.ts, `parseConfig`). */
  readonly config: ScimitarConfig | ScimitarConfigInput;
  /** How long one target may take before the workflow records it as failed. @default Duration.hours(1) */
  readonly laneTimeout?: Duration;
  /** How long an execution may run, the wait for a future-dated termination included. @default Duration.days(31) */
  readonly executionTimeout?: Duration;
  /**
   * How long a lane queue keeps a message (every lane's; shorter than the dead letters' 14 days).
   * The reconciler is told, and does not queue a remediation again while it may still wait there.
   * @default Duration.days(4)
   */
  readonly laneQueueRetention?: Duration;
}

export interface ScimitarStackProps extends StackProps, Omit<ScimitarProps, 'config'> {
  /** The validated config (lib/config-file.ts, `parseConfig`). */
  readonly config: ScimitarConfig;
}

/** Configs a ScimitarStack was given, validated already: the construct takes them as they are. */
const validated = new WeakSet<ScimitarConfig>();

/**
 * scimitar in a stack of your own: `new Scimitar(stack, 'Scimitar', { config })`. One per stack:
 * its outputs keep their plain names (StateTableName, ...), which is how the CLI's `--stack` finds
 * the resources.
 */
export class Scimitar extends Construct {
  public readonly auditStore: AuditStore;
  /** The audit log's Object Lock copy, fed by the audit table's stream. */
  public readonly auditArchive: AuditArchive;
  public readonly vault: TokenVault;
  public readonly alerting: Alerting;
  /** Rotation of api/oauth2 targets' secrets, the credential canary, and their alarms. */
  public readonly credentials: CredentialRotation;
  /** Every SCIM target's lane in nested stacks (shards), and the shared worker. */
  public readonly fleet: LaneFleet;
  /** One lane per SCIM target, in config order. */
  public readonly lanes: readonly TargetLane[];
  public readonly workflow: Workflow;
  /** Reconciles every SCIM target on `reconciliation.schedule`; its roster upload is `POST /roster`. */
  public readonly reconciler: Reconciler;
  public readonly ingestApi: IngestApi;
  /** One-time schedules that start far-future terminations at their effective time. */
  public readonly schedules: TerminationSchedules;
  /** The operator function (every operator write) and the OperatorPolicy (every CLI read). */
  public readonly operator: Operator;
  /** OwnerTaskOverdue: an owner task open past its due time (checked by the canary's run). */
  public readonly ownerTasks: OwnerTaskAlarm;
  /** The roster pull and Workday polls; absent when the config has neither. */
  public readonly rosterPull?: RosterPull;

  constructor(scope: Construct, id: string, props: ScimitarProps) {
    super(scope, id);
    const other = Stack.of(this)
      .node.findAll()
      .find((c) => c instanceof Scimitar && c !== this);
    if (other) {
      throw new Error(
        `Scimitar ${this.node.path}: ${Stack.of(this).stackName} already holds one (${other.node.path}); the CLI finds scimitar by its stack's outputs, so put each Scimitar in a stack of its own`,
      );
    }
    const config = validated.has(props.config as ScimitarConfig)
      ? (props.config as ScimitarConfig)
      : parseConfig(props.config, `config of ${this.node.path}`);
    Aspects.of(this).add(new PlainOutputNames(this));

    this.auditStore = new AuditStore(this, 'AuditStore');
    this.vault = new TokenVault(this, 'TokenVault', { config });
    this.alerting = new Alerting(this, 'Alerting', { config });
    // Before CredentialRotation: the fleet creates each target's secret in the target's shard.
    this.fleet = new LaneFleet(this, 'Lanes', {
      config,
      vault: this.vault,
      auditStore: this.auditStore,
      queueRetention: props.laneQueueRetention,
    });
    this.lanes = this.fleet.lanes;
    this.credentials = new CredentialRotation(this, 'Credentials', {
      config,
      vault: this.vault,
      stateTable: this.auditStore.stateTable,
      alarmTopic: this.alerting.alertTopic,
    });

    this.workflow = new Workflow(this, 'Workflow', {
      config,
      lanes: this.fleet,
      auditStore: this.auditStore,
      ownerTopic: this.alerting.ownerTopic,
      alertTopic: this.alerting.alertTopic,
      laneTimeout: props.laneTimeout,
      executionTimeout: props.executionTimeout,
    });
    this.workflow.grantTaskResponse(this.fleet.worker);
    // Entra ID Lifecycle Workflows: Summarize resumes the waiting task (it reads the event's RECEIVED
    // entry for the resume path, and the source's Graph credentials); only when such a source exists.
    const resumed = config.sources.filter((s) => s.kind === 'entra-lcw' && s.resume);
    for (const source of resumed)
      this.vault.grantReadSourceSecret(source.id, this.workflow.summarizeFunction);
    if (resumed.length > 0) this.auditStore.grantReadAudit(this.workflow.summarizeFunction);

    this.reconciler = new Reconciler(this, 'Reconciler', {
      config,
      auditStore: this.auditStore,
      lanes: this.fleet,
      secrets: this.vault,
      alarmTopic: this.alerting.alertTopic,
    });

    this.schedules = new TerminationSchedules(this, 'TerminationSchedules', {
      stateMachine: this.workflow.stateMachine,
      alarmTopic: this.alerting.alertTopic,
    });
    this.ingestApi = new IngestApi(this, 'IngestApi', {
      config,
      workflow: this.workflow,
      auditStore: this.auditStore,
      vault: this.vault,
      schedules: this.schedules,
      ownerTopic: this.alerting.ownerTopic,
      rosterUpload: this.reconciler.rosterUploadFunction,
    });

    // The roster pulled from the HRIS and Workday's terminations polled (issue 17), when configured.
    if (needsPull(config)) {
      this.rosterPull = new RosterPull(this, 'Pull', {
        config,
        auditStore: this.auditStore,
        vault: this.vault,
        workflow: this.workflow,
        schedules: this.schedules,
        ownerTopic: this.alerting.ownerTopic,
        alarmTopic: this.alerting.alertTopic,
      });
      this.alerting.countRosterPulls(this.rosterPull);
    }

    // A failure no waiting workflow reports: parked in its lane's DLQ and alerted (issue 10).
    routeUnreportedFailures(this.fleet, this.alerting.alertTopic);

    this.auditArchive = new AuditArchive(this, 'AuditArchive', {
      config,
      auditTable: this.auditStore.auditTable,
      alarmTopic: this.alerting.alertTopic,
    });
    this.auditArchive.bindDeliveryStore(this.ingestApi.ingestFunction);

    // Every caller of a target takes the target's one rate budget, on the state table.
    const { worker } = this.fleet;
    const { canaryFunction, rotationFunction } = this.credentials;
    for (const fn of [worker, this.reconciler.function, canaryFunction, rotationFunction]) {
      if (fn) this.auditStore.bindRateBudgets(fn);
    }

    this.operator = new Operator(this, 'Operator', {
      config,
      auditStore: this.auditStore,
      lanes: this.fleet,
      stateMachine: this.workflow.stateMachine,
      schedules: this.schedules,
      canaryFunction: this.credentials.canaryFunction,
    });

    // What each function notifies is kept in the state table (NOTIFY#<day>) for `scimitar alarms`.
    const notifying = [
      this.ingestApi.ingestFunction,
      this.workflow.planFunction,
      this.workflow.summarizeFunction,
      this.fleet.worker,
    ];
    for (const fn of notifying) this.auditStore.bindRecordNotifications(fn);

    this.alerting.watchWorkflow(this.workflow);
    this.alerting.watchLanes(this.fleet);
    this.alerting.watchIngestApi(this.ingestApi);
    this.alerting.watchCredentials(this.credentials);
    this.alerting.watchReconciler(this.reconciler);
    // The canary measures the age of the sources' signing keys without reading them.
    this.vault.grantDescribeSourceSecrets(this.credentials.canaryFunction);
    // Owner tasks of manual targets: the plan opens them, the canary's run alarms on overdue ones.
    grantOpenOwnerTasks(this.auditStore.stateTable, this.workflow.planFunction);
    this.ownerTasks = new OwnerTaskAlarm(this, 'OwnerTasks', {
      stateTable: this.auditStore.stateTable,
      checker: this.credentials.canaryFunction,
      checkerService: CANARY_SERVICE,
      period: canaryMetricPeriod(config.canary.schedule),
      alarmTopic: this.alerting.alertTopic,
    });
    // After every function exists: each one's throttles alarm.
    this.alerting.watchThrottles(this);

    new CfnOutput(this, 'EventsUrl', {
      description: 'POST HRIS webhooks here, replacing {source} with a configured source id',
      value: this.ingestApi.eventsUrl,
    });
    const { rosterMethod, rosterUrl } = this.ingestApi;
    if (rosterMethod && rosterUrl) {
      new CfnOutput(this, 'RosterUrl', {
        description: 'POST the HR roster here (JSON or CSV), signed with SigV4',
        value: rosterUrl,
      });
      new CfnOutput(this, 'RosterUploadInvokeArn', {
        description: "Allow execute-api:Invoke on this ARN in the HRIS export job's IAM policy",
        value: rosterMethod.methodArn,
      });
    }
    new CfnOutput(this, 'ReconcilerFunctionName', {
      description: 'Invoke to reconcile now: payload {"source":"cli"}, optionally "targets" and "restart"',
      value: this.reconciler.function.functionName,
    });
    new CfnOutput(this, 'ReconcilerDeadLetterQueueUrl', {
      description: 'Reconciler runs never delivered and failed reconciler invocations (with their payload)',
      value: this.reconciler.deadLetterQueue.queueUrl,
    });
    new CfnOutput(this, 'CanaryDeadLetterQueueUrl', {
      description: 'Canary runs never delivered and failed canary invocations',
      value: this.credentials.canaryDeadLetterQueue.queueUrl,
    });
    new CfnOutput(this, 'StateTableName', { value: this.auditStore.stateTable.tableName });
    new CfnOutput(this, 'AuditTableName', { value: this.auditStore.auditTable.tableName });
    new CfnOutput(this, 'AuditArchiveBucketName', {
      description: 'Object Lock copy of every audit entry: entries/by-event/, entries/by-day/, changes/',
      value: this.auditArchive.bucket.bucketName,
    });
    new CfnOutput(this, 'AuditArchiveFailedRecordsUrl', {
      description: 'Ranges of audit records the archive could not write (runbook: ArchiveFailedAlarm)',
      value: this.auditArchive.failedRecordsQueue.queueUrl,
    });
    new CfnOutput(this, 'StateMachineArn', { value: this.workflow.stateMachine.stateMachineArn });
    new CfnOutput(this, 'AlertTopicArn', { value: this.alerting.alertTopic.topicArn });
    new CfnOutput(this, 'DashboardName', { value: this.alerting.dashboard.dashboardName });
    // Two outputs for every dead-letter queue, whatever the target count (CloudFormation allows
    // 200 outputs per template): append the target id.
    const dlqPrefix = deadLetterQueuePrefix(config.stackName);
    new CfnOutput(this, 'DeadLetterQueueUrlPrefix', {
      description: 'Dead letters of a target: this URL followed by the target id (inspect, then redrive)',
      value: `${this.fleet.queueUrlPrefix}${dlqPrefix}`,
    });
    new CfnOutput(this, 'DeadLetterQueueArnPrefix', {
      description:
        'Dead-letter queue ARN of a target: this followed by the target id, for aws sqs start-message-move-task (redrive)',
      value: `arn:${Aws.PARTITION}:sqs:${Aws.REGION}:${Aws.ACCOUNT_ID}:${dlqPrefix}`,
    });
    // The operator CLI's (`scimitar --stack`): its writes, its targets check, its permissions.
    new CfnOutput(this, 'OperatorFunctionName', {
      description:
        'Invoke with {"op": ...}: approve, approve-burst, revoke-now, retry (scimitar --stack does)',
      value: this.operator.function.functionName,
    });
    new CfnOutput(this, 'CanaryFunctionName', {
      description: 'Invoke to probe the targets now (scimitar targets check)',
      value: canaryFunction.functionName,
    });
    new CfnOutput(this, 'OperatorPolicyArn', {
      description: "Attach to the operators' users or roles: every scimitar --stack command on this stack",
      value: this.operator.policy.managedPolicyArn,
    });
    new CfnOutput(this, 'LaneQueueUrlPrefix', {
      description:
        'Bulk lane queue of a target: this URL followed by the target id (priority queue: _prio_ for _lane_)',
      value: this.fleet.laneQueueUrlPrefix,
    });
  }
}

/** Gives the construct's own outputs their construct ids as logical ids, wherever it sits. */
class PlainOutputNames implements IAspect {
  constructor(private readonly owner: Scimitar) {}
  visit(node: IConstruct): void {
    if (node instanceof CfnOutput && node.node.scope === this.owner) node.overrideLogicalId(node.node.id);
  }
}

/** The parts of scimitar a ScimitarStack exposes: every public field of the construct. */
type ScimitarParts = Omit<Scimitar, keyof Construct>;

// The stack carries the construct's fields (stack.lanes, stack.workflow, ...), whichever it has.
// (Declaration merging: the constructor copies every field in.)
export interface ScimitarStack extends ScimitarParts {}

/** A stack holding scimitar and nothing else: what `bin/scimitar.ts` and the local runtime build. */
// biome-ignore lint/suspicious/noUnsafeDeclarationMerging: see the interface above.
export class ScimitarStack extends Stack {
  /** The construct itself; the stack also exposes its fields. */
  public readonly scimitar: Scimitar;

  constructor(scope: Construct, id: string, props: ScimitarStackProps) {
    super(scope, id, {
      description: 'scimitar: event-driven SCIM 2.0 deprovisioning',
      ...props,
    });
    // `Default` is left out of logical ids: the resources keep the ids they had at the stack's root.
    validated.add(props.config);
    this.scimitar = new Scimitar(this, 'Default', props);
    for (const [key, value] of Object.entries(this.scimitar)) {
      if (!(key in this)) Object.defineProperty(this, key, { value, enumerable: true });
    }
  }
}
