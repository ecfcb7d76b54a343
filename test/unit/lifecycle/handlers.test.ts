// The lifecycle through the handlers the runtimes call: ingest answers what happened to the
// person's pending termination (or 422 naming the horizon), and approve and approve-burst parse their input.
import type { APIGatewayProxyEvent } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { signGeneric } from '../../../lambdas/core/ingest/signature.ts';
import { parseConfig } from '../../../lambdas/core/model/config.ts';
import { ValidationError } from '../../../lambdas/core/model/errors.ts';
import { RevocationBudget } from '../../../lambdas/core/revocation/ports.ts';
import { createApproveHandler } from '../../../lambdas/handlers/approve.ts';
import { createApproveBurstHandler } from '../../../lambdas/handlers/approve-burst.ts';
import { createIngestHandler } from '../../../lambdas/handlers/ingest.ts';
import sample from '../../../scimitar.config.ts';
import { InMemoryAuditLog } from '../../support/fakes.ts';
import { lifecycleWorld } from '../../support/lifecycle.ts';
import { RecordingLaneQueue } from '../../support/reconcile.ts';
import { FixedClock } from '../../support/recorders.ts';

const KEY = 'sk-lifecycle-1a2b';
const NOW = new Date('2026-11-28T09:00:00Z');
const config = parseConfig(sample);
const logger = { info: () => {}, warn: () => {}, error: () => {} };

function ingestHandler() {
  const { audit, workflows, scheduler, secrets, lifecycle } = lifecycleWorld(config, KEY);
  const handler = createIngestHandler({
    sources: config.sources,
    secrets,
    auditLog: audit,
    workflows,
    logger,
    clock: new FixedClock(NOW),
    lifecycle,
  });
  return { handler, scheduler, workflows };
}

function post(event: Record<string, unknown>): APIGatewayProxyEvent {
  const body = JSON.stringify({ source: 'generic', occurredAt: NOW.toISOString(), ...event });
  return {
    body,
    headers: { 'x-scimitar-signature': signGeneric(body, KEY, NOW) },
    isBase64Encoded: false,
    pathParameters: { source: 'generic' },
  } as unknown as APIGatewayProxyEvent;
}

const leaver = (eventId: string, effectiveAt: string) => ({
  eventId,
  effectiveAt,
  kind: 'termination',
  terminationType: 'voluntary',
  person: { employeeId: 'E7', userName: 'e7@example.com' },
});

describe('ingest handler with the lifecycle', () => {
  it('answers 202 with the schedule for a termination 400 days ahead, and no execution', async () => {
    const { handler, workflows } = ingestHandler();
    const result = await handler(post(leaver('evt-far', '2027-12-03T09:00:00Z')));
    expect(result.statusCode).toBe(202);
    const body = JSON.parse(result.body);
    expect(body.executions).toEqual([
      {
        eventId: 'evt-far',
        duplicate: false,
        lifecycle: { action: 'scheduled', startAt: '2027-12-03T09:00:00.000Z' },
      },
    ]);
    expect(workflows.executions).toEqual([]);
  });

  it('refuses a termination past the horizon with 422 naming it', async () => {
    const { handler, scheduler } = ingestHandler();
    const result = await handler(post(leaver('evt-too-far', '2029-01-01T00:00:00Z')));
    expect(result.statusCode).toBe(422);
    expect(JSON.parse(result.body).problems[0]).toMatch(/evt-too-far: .*scheduling horizon of 730 days/);
    expect(scheduler.schedules.size).toBe(0);
  });

  it('answers a rescind with the termination it cancelled', async () => {
    const { handler, scheduler } = ingestHandler();
    await handler(post(leaver('evt-1', '2027-01-15T00:00:00Z')));
    const result = await handler(post({ eventId: 'evt-2', kind: 'rescind', person: { employeeId: 'E7' } }));
    expect(result.statusCode).toBe(202);
    expect(JSON.parse(result.body).executions[0].lifecycle).toEqual({
      action: 'rescinded',
      eventId: 'evt-1',
      afterStart: false,
    });
    expect(scheduler.schedules.size).toBe(0);
  });
});

describe('approve handler', () => {
  it('refuses input without who approves, naming the field', async () => {
    const approve = createApproveHandler({
      config,
      audit: new InMemoryAuditLog(),
      lanes: new RecordingLaneQueue(),
      clock: new FixedClock(NOW),
      logger,
    });
    const refusal = await approve({ eventId: 'evt-1' }).catch((err: unknown) => err);
    expect(refusal).toBeInstanceOf(ValidationError);
    expect((refusal as ValidationError).problems.join()).toContain('approvedBy');
  });
});

/** A budget that only records grants: what approve-burst was refused must never reach it. */
class GrantRecorder extends RevocationBudget {
  readonly grants: string[] = [];
  async tryConsume(): Promise<boolean> {
    return false;
  }
  async grantBurst(targetId: string, windowStart: string, count: number): Promise<void> {
    this.grants.push(`${targetId}@${windowStart}+${count}`);
  }
  async accountCount(): Promise<number | undefined> {
    return undefined;
  }
}

describe('approve-burst handler', () => {
  const world = () => {
    const budget = new GrantRecorder();
    const audit = new InMemoryAuditLog();
    const approve = createApproveBurstHandler({ config, budget, audit, clock: new FixedClock(NOW), logger });
    return { budget, audit, approve };
  };
  const valid = { targets: ['code'], count: 10, approvedBy: 'dana', reason: 'layoff HR-123' };

  it.each([
    ['a count of 0', { count: 0 }, 'count'],
    ['a count past the bound', { count: 100_001 }, 'count'],
    ['a count that is not whole', { count: 2.5 }, 'count'],
    ['no reason', { reason: undefined }, 'reason'],
    ['no one approving', { approvedBy: ' ' }, 'approvedBy'],
    ['no target', { targets: [] }, 'targets'],
  ])('refuses %s, naming the field, and grants nothing', async (_, change, field) => {
    const { budget, audit, approve } = world();
    const refusal = await approve({ ...valid, ...change }).catch((err: unknown) => err);
    expect(refusal).toBeInstanceOf(ValidationError);
    expect((refusal as ValidationError).problems.join()).toContain(field);
    expect(budget.grants).toEqual([]);
    expect(audit.entries).toEqual([]);
  });

  it('grants the window now falls in at every SCIM and session target for --all', async () => {
    const { budget, approve } = world();
    const outcome = await approve({ ...valid, targets: 'all' });
    const scim = config.targets.filter((t) => t.kind === 'scim' || t.kind === 'session').map((t) => t.id);
    expect(outcome.targets).toEqual(scim);
    expect(scim).toContain('sso');
    expect(budget.grants).toEqual(scim.map((id) => `${id}@2026-11-28T09:00:00.000Z+10`));
  });
});
