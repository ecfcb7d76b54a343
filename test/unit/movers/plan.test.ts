import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../../lambdas/core/model/config.ts';
import { parseLifecycleEvent } from '../../../lambdas/core/model/event.ts';
import { planMover } from '../../../lambdas/core/movers/plan.ts';
import sample from '../../../scimitar.config.ts';

const entitlements = {
  managedGroups: ['engineering', 'sales'],
  rules: [{ group: 'sales', when: { department: 'Sales' } }],
};
// code (userName) and wiki (email, report-only here) have rules; chat has none.
const config = parseConfig({
  ...sample,
  targets: sample.targets.map((t) =>
    t.kind !== 'scim' || t.id === 'chat'
      ? t
      : { ...t, entitlements, ...(t.id === 'wiki' && { mode: 'report-only' as const }) },
  ),
});

const change = (person: Record<string, unknown>) =>
  parseLifecycleEvent({
    eventId: 'move-1',
    source: 'generic',
    occurredAt: '2026-11-28T09:00:00Z',
    kind: 'change',
    person: { employeeId: 'E7', attributes: { department: 'Sales' }, ...person },
  });

describe('plan: a mover’s change event', () => {
  it('gives every SCIM target with entitlement rules an entitlements lane, and no other target one', () => {
    const plan = planMover(config, change({ userName: 'eve@example.com', emails: ['eve@example.com'] }));
    expect(plan.settled).toEqual([]);
    expect(plan.lanes).toEqual([
      expect.objectContaining({
        targetId: 'code',
        action: 'entitlements',
        matchAttribute: 'userName',
        matchValue: 'eve@example.com',
        removeFromGroups: false,
        reportOnly: false,
      }),
      expect.objectContaining({
        targetId: 'wiki',
        action: 'entitlements',
        matchAttribute: 'email',
        reportOnly: true,
      }),
    ]);
  });

  it('fails a target the person cannot be matched at, naming the attribute, and never guesses', () => {
    const plan = planMover(config, change({ userName: 'eve@example.com' }));
    expect(plan.lanes.map((l) => l.targetId)).toEqual(['code']);
    expect(plan.settled).toEqual([
      expect.objectContaining({
        targetId: 'wiki',
        status: 'failed',
        reason: expect.stringMatching(/matches accounts by email.*gives no email/),
      }),
    ]);
  });

  it('plans nothing when no target has entitlement rules', () => {
    expect(planMover(parseConfig(sample), change({ userName: 'eve@example.com' }))).toEqual({
      lanes: [],
      settled: [],
    });
  });
});
