// Approving a burst: an operator who knows a layoff is under way lets N more revocations past the
// blast-radius guard at a target (or every SCIM target), for the current window and, if asked,
// each following window until a time. The grant sits on the window's budget item, so every lane
// instance's next consume sees it; the guard stays on. BURST_APPROVED records who, how many, why.
import { randomUUID } from 'node:crypto';
import * as z from 'zod';
import { auditEntry } from '../model/audit.ts';
import type { ScimitarConfig } from '../model/config.ts';
import { ValidationError } from '../model/errors.ts';
import type { AuditLog, Clock } from '../model/ports.ts';
import { windowStart } from './blast-radius.ts';
import type { RevocationBudget } from './ports.ts';

/** The most revocations one approval may add per target and window. */
export const MAX_BURST = 100_000;
/** The most windows one approval may cover (its --until). */
export const MAX_BURST_WINDOWS = 48;

export const approveBurstInputSchema = z
  .object({
    /** The SCIM targets, or 'all' for every one. */
    targets: z.union([z.literal('all'), z.array(z.string().min(1).max(200)).min(1).max(100)]),
    /** Revocations past the limit, per target and window. */
    count: z
      .number()
      .int('must be a whole number')
      .min(1, 'must be at least 1')
      .max(MAX_BURST, `must be at most ${MAX_BURST}`),
    /** Who approves: recorded in BURST_APPROVED. */
    approvedBy: z.string().trim().min(1, 'must name who approves').max(500),
    /** Why (the layoff, its ticket): recorded in BURST_APPROVED. */
    reason: z.string().trim().min(3, 'must say why (e.g. the layoff and its ticket)').max(500),
    /** The approval also covers each following window that starts before this time. @default - the current window only */
    until: z.iso.datetime({ offset: true }).optional(),
  })
  .strict();
export type ApproveBurstInput = z.infer<typeof approveBurstInputSchema>;

export interface ApproveBurstDeps {
  readonly config: Pick<ScimitarConfig, 'targets' | 'blastRadius'>;
  readonly budget: RevocationBudget;
  readonly audit: AuditLog;
  readonly clock: Clock;
}

export interface ApproveBurstOutcome {
  /** The approval's id: the eventId of its BURST_APPROVED audit entry. */
  readonly approvalId: string;
  readonly approvedBy: string;
  readonly count: number;
  readonly targets: readonly string[];
  /** Starts of the windows the burst was added to. */
  readonly windows: readonly string[];
  readonly windowMinutes: number;
}

export async function approveBurst(
  input: ApproveBurstInput,
  deps: ApproveBurstDeps,
): Promise<ApproveBurstOutcome> {
  const { count, approvedBy, reason, until } = input;
  const targets = burstTargets(input.targets, deps.config);
  const now = deps.clock.now();
  const { windowMinutes } = deps.config.blastRadius;
  const windows = coveredWindows(now, windowMinutes, until);
  const approvalId = `burst-${now.toISOString()}-${randomUUID().slice(0, 8)}`;
  // Audited first: a grant is never in force without its record (a crash after leaves a record
  // of an approval partly granted; approving again adds to it).
  await deps.audit.append(
    auditEntry(
      {
        eventId: approvalId,
        step: 'BURST_APPROVED',
        personId: `operator:${approvedBy}`,
        actor: 'operator',
        detail: { approvedBy, count, targets, windows, windowMinutes, reason, ...(until ? { until } : {}) },
      },
      now,
    ),
  );
  for (const targetId of targets) {
    for (const window of windows) await deps.budget.grantBurst(targetId, window, count);
  }
  return { approvalId, approvedBy, count, targets, windows, windowMinutes };
}

/** The SCIM and session targets named (each one known), or all of them. */
function burstTargets(
  named: ApproveBurstInput['targets'],
  config: Pick<ScimitarConfig, 'targets'>,
): string[] {
  const scim = config.targets.filter((t) => t.kind === 'scim' || t.kind === 'session').map((t) => t.id);
  if (named === 'all') return scim;
  const unknown = named.filter((id) => !scim.includes(id));
  if (unknown.length > 0) {
    throw new ValidationError(
      'invalid burst approval',
      unknown.map(
        (id) => `target "${id}" is not a SCIM or session target (known: ${scim.join(', ') || 'none'})`,
      ),
    );
  }
  return [...new Set(named)];
}

/** The window `now` falls in and each following one that starts before `until`. */
function coveredWindows(now: Date, windowMinutes: number, until: string | undefined): string[] {
  const first = windowStart(now, windowMinutes);
  if (!until) return [first];
  const end = Date.parse(until);
  if (end <= now.getTime()) {
    throw new ValidationError('invalid burst approval', [`until ${until} is not in the future`]);
  }
  const size = windowMinutes * 60_000;
  const count = Math.ceil((end - Date.parse(first)) / size);
  if (count > MAX_BURST_WINDOWS) {
    throw new ValidationError('invalid burst approval', [
      `until ${until} covers ${count} windows of ${windowMinutes} minutes; at most ${MAX_BURST_WINDOWS} per approval`,
    ]);
  }
  return Array.from({ length: count }, (_, i) => new Date(Date.parse(first) + i * size).toISOString());
}
