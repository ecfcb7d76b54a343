// Audit entries of leavers as the pipeline writes them (shapes of plan.ts, lane-evidence.ts,
// lane-failure.ts, approve.ts), for the evidence report's tests.
import { type AuditEntry, auditEntry, type NewAuditEntry } from '../../lambdas/core/model/audit.ts';

export interface LeaverScript {
  readonly eventId: string;
  readonly personId: string;
  /** ISO time of RECEIVED; the plan and its effective time follow 1 s later. */
  readonly at: string;
  readonly lanes?: readonly { targetId: string; action: 'deactivate' | 'delete'; reportOnly?: boolean }[];
  readonly settled?: readonly { targetId: string; status: string; reason: string }[];
  readonly dryRun?: boolean;
  readonly cancelled?: string;
}

const plus = (iso: string, seconds: number) => new Date(Date.parse(iso) + seconds * 1000);

/** RECEIVED and PLANNED of a termination. */
export function plannedLeaver(s: LeaverScript): AuditEntry[] {
  const common = { eventId: s.eventId, personId: s.personId };
  const effectiveAt = plus(s.at, 1).toISOString();
  return [
    auditEntry(
      {
        ...common,
        step: 'RECEIVED',
        actor: 'ingest',
        detail: {
          source: 'generic',
          event: { eventId: s.eventId, kind: 'termination', terminationType: 'voluntary' },
        },
      },
      new Date(s.at),
    ),
    auditEntry(
      {
        ...common,
        step: 'PLANNED',
        actor: 'plan',
        detail: {
          kind: 'termination',
          effectiveAt,
          dryRun: s.dryRun ?? false,
          lanes: s.lanes ?? [],
          settled: s.settled ?? [],
          ...(s.cancelled && { reason: s.cancelled }),
        },
      },
      plus(s.at, 1),
    ),
  ];
}

/** One lane entry `seconds` after the leaver's RECEIVED. */
export function laneEntry(
  s: Pick<LeaverScript, 'eventId' | 'personId' | 'at'>,
  targetId: string | undefined,
  seconds: number,
  step: NewAuditEntry['step'],
  detail: Record<string, unknown> = {},
  actor: NewAuditEntry['actor'] = 'worker',
): AuditEntry {
  return auditEntry(
    { eventId: s.eventId, personId: s.personId, targetId, step, actor, detail: { attempt: 1, ...detail } },
    plus(s.at, seconds),
  );
}

/** FOUND, DEACTIVATED|DELETED, VERIFIED at `seconds`. */
export function verifiedLane(
  s: Pick<LeaverScript, 'eventId' | 'personId' | 'at'>,
  targetId: string,
  seconds: number,
  action: 'deactivate' | 'delete' = 'deactivate',
): AuditEntry[] {
  return [
    laneEntry(s, targetId, seconds - 1, 'FOUND', { account: { id: 'acc-1' } }),
    laneEntry(s, targetId, seconds - 1, action === 'delete' ? 'DELETED' : 'DEACTIVATED', {
      accountId: 'acc-1',
    }),
    laneEntry(s, targetId, seconds, 'VERIFIED', { accountId: 'acc-1', outcome: 'revoked' }),
  ];
}
