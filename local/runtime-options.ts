// What the local runtime takes and what it offers (local/runtime.ts composes it).
import type { SQSClient } from '@aws-sdk/client-sqs';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { DynamoAuditLog } from '../lambdas/aws/adapters/dynamo-audit-log.ts';
import type { DynamoLeaverLedger } from '../lambdas/aws/adapters/dynamo-state.ts';
import type { CanaryResult } from '../lambdas/core/credentials/canary.ts';
import type { PendingTermination, ScheduledStart } from '../lambdas/core/lifecycle/ports.ts';
import type { ScimitarConfig } from '../lambdas/core/model/config.ts';
import type { CoverageReport } from '../lambdas/core/reconcile/coverage.ts';
import type { ReconcileResult } from '../lambdas/core/reconcile/reconcile.ts';
import type { ApproveOutcome } from '../lambdas/core/revocation/approve.ts';
import type { ApproveBurstOutcome } from '../lambdas/core/revocation/approve-burst.ts';
import type { OperatorAnswer } from '../lambdas/handlers/operator.ts';
import type { HostedFunctions } from './aws-endpoint/hosted-functions.ts';
import type { LocalClock } from './clock.ts';
import type { DemoPerson } from './demo-people.ts';
import type { FakeOkta } from './fakes/okta.ts';
import type { LocalLane } from './lanes.ts';
import type { LocalNotifier } from './notifier.ts';
import type { RetryStarted } from './retry.ts';
import type { LocalSecretSource } from './secrets.ts';
import type { LocalWorkflow } from './workflow.ts';

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
  /** The lanes' SQS visibility timeout in seconds (how soon a crashed batch comes back). @default the template's */
  readonly visibilityTimeoutSeconds?: number;
  /** Per-request timeout of the SCIM client. @default 10_000 */
  readonly scimTimeoutMs?: number;
  /** How long a SCIM operation may wait out a target's rate limit before its message is handed back. @default the SCIM client's (10 s) */
  readonly scimThrottleWaitMaxMs?: number;
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
  /**
   * What the handlers, Wait states, lane retry backoffs, schedules and alarm periods read the time
   * from and sleep on; a test moves it forward (`clock.advance('3s')`) instead of waiting.
   * @default - the system clock
   */
  readonly clock?: LocalClock;
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
  /** The fake Okta org of each demo session target on localhost (docs/sessions.md). */
  readonly sessionApps: ReadonlyMap<string, FakeOkta>;
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
  /** The person's pending termination (scheduled, started or cancelled), if any. */
  pendingTermination(personId: string): Promise<PendingTermination | undefined>;
  /** The one-time schedules waiting to start a revocation, earliest first. */
  schedules(): ScheduledStart[];
  /** Releases a revocation the blast-radius guard held (APPROVED records who). */
  approve(eventId: string, approvedBy: string): Promise<ApproveOutcome>;
  /** Lets N more revocations past the guard at targets for this window (BURST_APPROVED records who, why). */
  approveBurst(input: unknown): Promise<ApproveBurstOutcome>;
  /** The stack's functions Lambda's Invoke reaches on the runtime's AWS endpoint, by physical name. */
  readonly functions: HostedFunctions;
  /** Invokes the operator function (`<stack>-operator`) with a payload, as Lambda Invoke does. */
  operator(payload: unknown): Promise<OperatorAnswer>;
  /** The stack's tables in dynalite (LOCAL_NAMES), for what the runtime's API does not show. */
  readonly dynamo: DynamoDBDocumentClient;
  stop(): Promise<void>;
}
