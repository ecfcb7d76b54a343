// The contracts between the pipeline's steps: workflow input (from ingest), the plan, the
// message a target lane receives, what a lane reports back, and the summary. The workflow
// definition (lib/workflow.ts) moves these between states; each step parses what it receives.
import * as z from 'zod';
import { lifecycleEventSchema, personSchema } from './event.ts';

/**
 * How long a lane queue keeps a message (its SQS retention, lib/target-lane.ts), in days: the
 * reconciler counts a remediation it queued as still waiting for this long (reconcile/remediate.ts).
 */
export const LANE_QUEUE_RETENTION_DAYS = 4;

/** Input of one workflow execution: the event and when scimitar received it (latency origin). */
export const workflowInputSchema = z.object({
  event: lifecycleEventSchema,
  receivedAt: z.iso.datetime({ offset: true }),
});
export type WorkflowInput = z.output<typeof workflowInputSchema>;

/** How soon a lane is served: `urgent` before `normal` (bulk) in every target. */
export const lanePriorities = ['urgent', 'normal'] as const;
export type LanePriority = (typeof lanePriorities)[number];

/** One target the plan sends to a lane (a queue and its worker). */
export const laneSchema = z.object({
  targetId: z.string(),
  tier: z.enum(['privileged', 'standard']),
  /**
   * What the lane does: a leaver's revocation of the account (`deactivate`, `delete`), of a session
   * target's sessions and tokens (`revoke-sessions`, docs/sessions.md), or (`entitlements`, a
   * mover's change event) removing the managed groups their attributes no longer grant
   * (lambdas/core/movers).
   */
  action: z.enum(['deactivate', 'delete', 'entitlements', 'revoke-sessions']),
  matchAttribute: z.enum(['userName', 'externalId', 'email']),
  /** The person's value for the target's match attribute. */
  matchValue: z.string(),
  removeFromGroups: z.boolean(),
  reportOnly: z.boolean(),
  /**
   * SCIM id of the account the sender saw (the reconciler's listing): the lane writes only if the
   * match finds exactly this account, never a later holder of the same userName.
   */
  accountId: z.string().min(1).optional(),
  /**
   * `urgent` goes to the target's priority queue, ahead of the bulk in its lane queue, and its
   * requests take the target's rate budget first (lambdas/core/revocation/plan.ts says when).
   * Absent (a reconciler remediation, a message from before priorities): normal.
   */
  priority: z.enum(lanePriorities).optional(),
});
export type Lane = z.infer<typeof laneSchema>;

/** A target settled by the plan itself: manual task, delegated, refused or unmatchable. */
export const settledTargetSchema = z.object({
  targetId: z.string(),
  status: z.enum(['manual-task', 'delegated', 'refused', 'failed']),
  reason: z.string(),
  /** For a refused target: how the person is found there, so the ledger lets the reconciler see the drift. */
  matchAttribute: z.enum(['userName', 'externalId', 'email']).optional(),
  matchValue: z.string().optional(),
});
export type SettledTarget = z.infer<typeof settledTargetSchema>;

export const planSchema = z.object({
  eventId: z.string(),
  personId: z.string(),
  receivedAt: z.string(),
  /** When access must end; the workflow's Wait state sleeps until then. */
  effectiveAt: z.string(),
  dryRun: z.boolean(),
  /** Privileged-tier targets listed first; the order decides nothing (the Map sends every lane at once). */
  lanes: z.array(laneSchema),
  settled: z.array(settledTargetSchema),
  /** Why this event revokes nothing after all: its termination was rescinded or superseded before it started. */
  cancelled: z.string().optional(),
  /** Set for a mover's change event: its lanes update managed groups, they revoke nothing. @default - a leaver's plan */
  kind: z.literal('change').optional(),
});
export type Plan = z.infer<typeof planSchema>;

/** The body of a message on a target's queue. */
export const laneMessageSchema = z.object({
  /** Step Functions task token; absent for a reconciler remediation (no workflow waits). */
  taskToken: z.string().optional(),
  eventId: z.string(),
  receivedAt: z.string(),
  dryRun: z.boolean(),
  person: personSchema,
  lane: laneSchema,
  /** Who released this revocation from the blast-radius guard (an approved, held revocation): the lane spends no budget. */
  approvedBy: z.string().min(1).optional(),
  /**
   * Attempts spent on earlier deliveries, carried by a message the worker handed back to its queue
   * for a rate limit (a new message: SQS's receive count starts again). Its attempt is this plus
   * the receive count. @default 0
   */
  attemptsSpent: z.number().int().min(0).optional(),
});
export type LaneMessage = z.infer<typeof laneMessageSchema>;

/** What a lane reports back (SendTaskSuccess output), one per target. */
export const laneResultSchema = z.object({
  targetId: z.string(),
  /** refused: held by the blast-radius guard, nothing written; cancelled: the termination was rescinded, nothing written. */
  status: z.enum([
    'revoked',
    'already-revoked',
    'no-account',
    'reported',
    'dry-run',
    'refused',
    'cancelled',
    // An entitlements lane (a mover): memberships changed and verified, or nothing to change.
    'updated',
    'unchanged',
  ]),
  accountId: z.string().optional(),
  /** When the revocation was read back and verified. */
  verifiedAt: z.string().optional(),
  attempts: z.number().int().min(1),
});
export type LaneResult = z.infer<typeof laneResultSchema>;

/** A lane whose task failed: built by the workflow's Catch from the error and cause. */
export const laneFailureSchema = z.object({
  targetId: z.string(),
  status: z.literal('failed'),
  error: z.string(),
  cause: z.string().optional(),
});
export type LaneFailure = z.infer<typeof laneFailureSchema>;

export const summarizeInputSchema = z.object({
  plan: planSchema,
  results: z.array(z.union([laneResultSchema, laneFailureSchema])),
});
export type SummarizeInput = z.infer<typeof summarizeInputSchema>;

export const summarySchema = z.object({
  eventId: z.string(),
  personId: z.string(),
  outcome: z.enum(['COMPLETED', 'PARTIAL']),
  failedTargets: z.array(z.string()),
  targets: z.array(z.object({ targetId: z.string(), status: z.string(), latencyMs: z.number().optional() })),
});
export type Summary = z.infer<typeof summarySchema>;

/** Execution names are at most 80 characters of [A-Za-z0-9-_]: a hash keeps any event id safe. */
export { executionName } from '../ingest/execution-name.ts';
