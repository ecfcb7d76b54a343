import { describe, expect, it } from 'vitest';
import { type AuditEntry, auditEntry, type NewAuditEntry } from '../../../lambdas/core/model/audit.ts';
import { executionNote, renderTargets, renderTimeline, targetStates } from '../../../local/timeline.ts';

let minute = 0;
const entry = (step: AuditEntry['step'], targetId?: string, detail?: Record<string, unknown>): AuditEntry => {
  minute += 1;
  const e: NewAuditEntry = {
    eventId: 'evt-1',
    step,
    personId: 'E-1',
    actor: 'worker',
    ...(targetId && { targetId }),
    ...(detail && { detail }),
  };
  return auditEntry(e, new Date(Date.UTC(2026, 10, 28, 10, minute)));
};
const planned = (...targetIds: string[]) =>
  entry('PLANNED', undefined, { lanes: targetIds.map((targetId) => ({ targetId })), settled: [] });

describe('status: the state of each target', () => {
  it('says "already inactive (verified)" for an account that was inactive before scimitar wrote, never "revoked"', () => {
    const views = targetStates([
      planned('code'),
      entry('FOUND', 'code', { account: { id: 'a1', userName: 'ada', active: false } }),
      entry('WRITE_SENT', 'code', { accountId: 'a1' }),
      entry('DEACTIVATED', 'code', { accountId: 'a1', alreadyGone: false, alreadyInactive: true }),
      entry('VERIFIED', 'code', { accountId: 'a1', verified: { active: false }, outcome: 'already-revoked' }),
    ]);
    expect(views).toEqual([{ targetId: 'code', state: 'already inactive (verified)', detail: 'account a1' }]);
    expect(renderTargets(views)).toContain('✔ code      already inactive (verified)  (account a1)');
    expect(renderTargets(views)).not.toContain('revoked');
  });

  it('says retrying, with the reason, for a lane handed back for the rate limit', () => {
    const reason = 'target rate limited (429): server answered 429 (rate limited) and asks to wait 40000 ms';
    const views = targetStates([planned('code'), entry('THROTTLED', 'code', { reason, delaySeconds: 40 })]);
    expect(views).toEqual([{ targetId: 'code', state: 'retrying', detail: reason }]);
  });

  it('says "already gone (verified)" when someone deleted the account before scimitar did', () => {
    const [view] = targetStates([
      planned('chat'),
      entry('DELETED', 'chat', { accountId: 'a2', alreadyGone: true, alreadyInactive: false }),
      entry('VERIFIED', 'chat', { accountId: 'a2', verified: { deleted: true }, outcome: 'already-revoked' }),
    ]);
    expect(view?.state).toBe('already gone (verified)');
  });

  it("says revoked for scimitar's own write, and that the answer was lost when it was", () => {
    const views = targetStates([
      planned('code', 'chat'),
      entry('DEACTIVATED', 'code', { accountId: 'a1', alreadyGone: false, alreadyInactive: false }),
      entry('VERIFIED', 'code', { accountId: 'a1', verified: { active: false }, outcome: 'revoked' }),
      entry('RETRY', 'chat', { cause: 'no complete answer within 10000 ms' }),
      entry('DEACTIVATED', 'chat', { accountId: 'a3', answerLost: { attempt: 1 } }),
      entry('VERIFIED', 'chat', { accountId: 'a3', outcome: 'revoked', answerLost: { attempt: 1 } }),
    ]);
    expect(views.map((v) => v.state)).toEqual([
      'revoked (verified)',
      'revoked (answer lost, verified by read-back)',
    ]);
  });

  it('reads entries written before VERIFIED carried an outcome from the write that preceded them', () => {
    const [view] = targetStates([
      planned('code'),
      entry('DEACTIVATED', 'code', { accountId: 'a1', alreadyGone: false, alreadyInactive: true }),
      entry('VERIFIED', 'code', { accountId: 'a1', verified: { active: false } }),
    ]);
    expect(view?.state).toBe('already inactive (verified)');
  });
});

describe('status: explaining a failed execution after a redrive', () => {
  const failedThenRedriven = [
    planned('code', 'chat'),
    entry('VERIFIED', 'chat', { accountId: 'c1', outcome: 'revoked' }),
    entry('FAILED', 'code', { cause: 'connection failed (ECONNREFUSED)' }),
    entry('DLQ', 'code', { reason: 'failed 2 attempts' }),
    entry('PARTIAL', undefined, {}),
    entry('VERIFIED', 'code', { accountId: 'a1', outcome: 'revoked' }),
    entry('REDRIVEN', 'code', { status: 'revoked' }),
  ];

  it('explains an execution FAILED beside targets a redrive completed', () => {
    expect(executionNote({ status: 'FAILED' }, failedThenRedriven)).toBe(
      '  note: the execution failed before the redrive; the redrive completed code, so every target is settled now',
    );
  });

  it('names the targets still open when the redrive did not settle them all', () => {
    const withRefused = [
      planned('code', 'chat', 'hr'),
      ...failedThenRedriven.slice(1),
      entry('FAILED', 'hr', { cause: 'server refused the request: 403' }),
    ];
    expect(executionNote({ status: 'FAILED' }, withRefused)).toContain('(still open: hr)');
  });

  it('says nothing when there is nothing to explain', () => {
    expect(executionNote({ status: 'SUCCEEDED' }, failedThenRedriven)).toBeUndefined();
    expect(executionNote(null, failedThenRedriven)).toBeUndefined();
    expect(executionNote({ status: 'FAILED' }, failedThenRedriven.slice(0, 5))).toBeUndefined();
  });
});

describe('status: the lifecycle in the timeline', () => {
  it('shows the schedule, both dates of a reschedule, who rescinded and who approved', () => {
    const lines = renderTimeline([
      entry('SCHEDULED', undefined, {
        effectiveAt: '2027-01-10T09:00:00.000Z',
        startAt: '2027-01-10T09:00:00.000Z',
      }),
      entry('RESCHEDULED', undefined, {
        pendingEventId: 'evt-1',
        from: { effectiveAt: '2027-01-10T09:00:00.000Z', startAt: '2027-01-10T09:00:00.000Z' },
        to: { effectiveAt: '2027-02-01T09:00:00.000Z', startAt: '2027-02-01T09:00:00.000Z' },
      }),
      entry('APPROVED', undefined, { approvedBy: 'ops-anna', targets: ['code', 'wiki'] }),
      entry('RESCINDED', undefined, {
        by: 'rescind',
        pendingEventId: 'evt-2',
        reason: 'cancelled before its start at 2027-02-01T09:00:00.000Z: nothing was revoked',
      }),
    ]).split('\n');
    expect(lines[0]).toMatch(/SCHEDULED .*scheduled for 2027-01-10T09:00:00.000Z$/);
    expect(lines[1]).toMatch(
      /RESCHEDULED .*from 2027-01-10T09:00:00.000Z to 2027-02-01T09:00:00.000Z \(termination evt-1\)$/,
    );
    expect(lines[2]).toMatch(/APPROVED .*by ops-anna: code, wiki released$/);
    expect(lines[3]).toMatch(
      /RESCINDED .*by rescind \(termination evt-2\): cancelled before its start .*nothing was revoked$/,
    );
  });
});

describe('status: a mover’s lanes', () => {
  it('says "managed groups updated (verified)" or "unchanged", never "revoked"', () => {
    const views = targetStates([
      planned('code', 'chat'),
      entry('FOUND', 'code', { account: { id: 'a1', userName: 'ada' } }),
      entry('ENTITLEMENT_REMOVED', 'code', { group: 'on-call', accountId: 'a1' }),
      entry('ENTITLEMENTS_VERIFIED', 'code', { outcome: 'updated', removed: ['on-call'], added: [] }),
      entry('ENTITLEMENTS_VERIFIED', 'chat', { outcome: 'unchanged' }),
    ]);
    expect(views).toEqual([
      { targetId: 'code', state: 'managed groups updated (verified)' },
      { targetId: 'chat', state: 'managed groups unchanged' },
    ]);
    expect(renderTargets(views)).not.toContain('revoked');
  });
});
