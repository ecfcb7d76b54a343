// The custom metrics scimitar's functions publish (Powertools EMF) and the stack's alarms and
// dashboards read (lib/): names, namespace and dimensions in one home, so a renamed metric cannot
// leave an alarm watching nothing.

/** CloudWatch namespace of scimitar's custom metrics (POWERTOOLS_METRICS_NAMESPACE). */
export const METRICS_NAMESPACE = 'Scimitar';

/**
 * Dimension names. Powertools adds `service` (the function's POWERTOOLS_SERVICE_NAME) to every
 * metric, so an alarm on a custom metric names it too.
 */
export const METRIC_DIMENSIONS = {
  service: 'service',
  target: 'target',
  status: 'status',
  /** Why a delivery was refused (one of {@link refusalCauses}). */
  cause: 'cause',
  /** An HRIS source. */
  source: 'source',
  /** A rotation step. */
  step: 'step',
} as const;

/** Published by the workflow's summarize step. */
export const WORKFLOW_METRICS = {
  /** Per target (dimension `target`): event received to verified revoked, milliseconds. */
  revocationLatency: 'RevocationLatency',
  /** 1 per target of each event, with dimensions `target` and `status`. */
  targetOutcome: 'TargetOutcome',
  eventsCompleted: 'EventsCompleted',
  eventsPartial: 'EventsPartial',
} as const;

/** Published by the ingest function; lib/alerting.ts alarms on them. */
export const INGEST_METRICS = {
  /** 1 per delivery answered 202 (even when every record in it was ignored): the HRIS is connected. */
  accepted: 'DeliveryAccepted',
  /** 1 per refused delivery, with dimension `cause` (one of {@link refusalCauses}). */
  refused: 'DeliveryRefused',
} as const;

/**
 * Why a delivery was refused, as the metric's `cause` dimension: `signature` (401: a wrong key,
 * a placeholder secret, a replay), `schema` (422: records that do not parse, a signed event naming
 * another source), `unknown-source` (404: a path no source is configured for), `payload` (400/413:
 * not JSON, hostile or too large). A fixed set: nothing the sender chose becomes a dimension value.
 */
export const refusalCauses = ['signature', 'schema', 'unknown-source', 'payload'] as const;
export type RefusalCause = (typeof refusalCauses)[number];

/** Published by the reconciler per finished target (dimension `target`); the Reconciler construct's alarms read these. */
export const RECONCILE_METRICS = {
  accounts: 'ReconcileAccounts',
  orphans: 'ReconcileOrphans',
  drift: 'ReconcileDrift',
  remediated: 'ReconcileRemediated',
  /** Remediations an earlier pass queued that still wait in the lane: not queued again (remediate.ts). */
  alreadyQueued: 'ReconcileAlreadyQueued',
  incomplete: 'ReconcileIncomplete',
  /** Orphans plus drift (plus entitlement drift accounts), for privileged-tier targets only: one alarm watches every privileged target. */
  privilegedFindings: 'ReconcilePrivilegedFindings',
  /** Accounts holding a managed group their roster attributes do not grant (targets with entitlements). */
  entitlementDrift: 'ReconcileEntitlementDrift',
} as const;

/** Published by the canary and the rotation function. */
export const CREDENTIAL_METRICS = {
  /** Per target (dimension `target`): 1 when the canary's read failed, else 0. */
  canaryFailed: 'CanaryFailed',
  /** Per target (dimension `target`), once a rotation finished. */
  rotated: 'CredentialRotated',
  /** Per rotation step (dimension `step`) that failed. */
  rotationFailed: 'RotationFailed',
} as const;

/** Published by the age checks; lib/credentials.ts and lib/alerting.ts alarm on them. */
export const CREDENTIAL_AGE_METRICS = {
  /** Per manual target (dimension `target`). */
  credential: 'CredentialAgeDays',
  /** Per HRIS source (dimension `source`). */
  sourceKey: 'SourceKeyAgeDays',
  /** 1 when a manual target's credential reached its warnAtDays, else 0 (per target). */
  renewalDue: 'CredentialRenewalDue',
} as const;

/** Published by the audit archive; its alarm is in lib/audit-archive.ts. */
export const AUDIT_ARCHIVE_METRICS = {
  /** 1 per overwritten or deleted audit entry. */
  entryChanged: 'AuditEntryChanged',
} as const;

/** Published by the canary's run (lambdas/handlers/owner-tasks.ts); lib/owner-tasks.ts alarms on it. */
export const OWNER_TASK_METRICS = {
  /** Open owner tasks past their due time (0 when none, so the alarm clears). */
  overdue: 'OwnerTasksOverdue',
  /** Open owner tasks, due or not. */
  open: 'OwnerTasksOpen',
} as const;

/** Published by the pull function (lambdas/handlers/pull.ts); lib/roster-pull.ts and lib/alerting.ts alarm on them. */
export const PULL_METRICS = {
  /** 1 per roster replaced by a pull: the stale-roster alarm counts pulls with uploads. */
  rosterPulled: 'RosterPulled',
  /** Per source (dimension `source`): rows of a Workday poll refused as unreadable (they are never retried). */
  recordsRejected: 'PulledRecordsRejected',
} as const;
