// A rescind and the revocation meeting at the effective time: the schedule fires, the plan
// claims, a rescind arrives in the same moment. Whichever order the two writes land in, there is
// one outcome, and the audit log says which won.
import { describe, expect, it } from 'vitest';
import { Ingestor } from '../../../lambdas/core/ingest/ingest.ts';
import { signGeneric } from '../../../lambdas/core/ingest/signature.ts';
import { describePending } from '../../../lambdas/core/lifecycle/describe.ts';
import { parseConfig } from '../../../lambdas/core/model/config.ts';
import { workflowInputSchema } from '../../../lambdas/core/model/messages.ts';
import { planRevocation } from '../../../lambdas/core/revocation/plan.ts';
import sample from '../../../scimitar.config.ts';
import { lifecycleWorld } from '../../support/lifecycle.ts';
import { FixedClock } from '../../support/recorders.ts';

const KEY = 'sk-race-77';
const RECEIVED = new Date('2026-11-01T09:00:00Z');
const EFFECTIVE = new Date('2026-12-01T09:00:00Z');
const config = parseConfig(sample);

function world() {
  const { audit, workflows, scheduler, terminations, owners, secrets, lifecycle } = lifecycleWorld(
    config,
    KEY,
  );
  const ingestor = new Ingestor({ sources: config.sources, secrets, auditLog: audit, workflows, lifecycle });
  const send = (event: Record<string, unknown>, now: Date) => {
    const body = JSON.stringify({
      source: 'generic',
      occurredAt: now.toISOString(),
      person: { employeeId: 'R1', userName: 'r1@example.com' },
      ...event,
    });
    return ingestor.ingest({
      sourceId: 'generic',
      body,
      headers: { 'x-scimitar-signature': signGeneric(body, KEY, now) },
      now,
    });
  };
  const plan = (input: unknown, now: Date) =>
    planRevocation(workflowInputSchema.parse(input), {
      config,
      audit,
      owners,
      clock: new FixedClock(now),
      terminations,
    });
  return { audit, workflows, scheduler, terminations, send, plan };
}

async function scheduledLeaver() {
  const w = world();
  await w.send(
    {
      eventId: 'leave',
      kind: 'termination',
      terminationType: 'voluntary',
      effectiveAt: EFFECTIVE.toISOString(),
    },
    RECEIVED,
  );
  expect(describePending(await w.terminations.get('R1'))).toBe(
    `scheduled for ${EFFECTIVE.toISOString()} (event leave, effective ${EFFECTIVE.toISOString()})`,
  );
  await w.scheduler.fireDue(EFFECTIVE, w.workflows);
  const input = w.workflows.executions[0]?.input;
  return { ...w, input };
}

describe('a rescind racing the revocation at the effective time', () => {
  it('rescind first: the plan finds it cancelled and revokes nothing; the audit says the rescind won', async () => {
    const w = await scheduledLeaver();
    await w.send({ eventId: 'stay', kind: 'rescind' }, EFFECTIVE);
    const plan = await w.plan(w.input, EFFECTIVE);
    expect(plan.lanes).toEqual([]);
    expect(plan.cancelled).toMatch(/the rescind won/);
    expect(describePending(await w.terminations.get('R1'))).toMatch(/before it started: nothing revoked/);
  });

  it('claim first: the rescind is audited as too late (revocation started at T) and stops every later write', async () => {
    const w = await scheduledLeaver();
    const plan = await w.plan(w.input, EFFECTIVE);
    expect(plan.lanes.length).toBeGreaterThan(0);
    const outcome = await w.send({ eventId: 'stay', kind: 'rescind' }, new Date(EFFECTIVE.getTime() + 1));
    expect(outcome.started[0]?.lifecycle).toMatchObject({ action: 'rescinded', afterStart: true });
    const rescinded = (await w.audit.forPerson('R1')).find((e) => e.step === 'RESCINDED');
    expect(rescinded?.detail?.reason).toContain(`revocation already started at ${EFFECTIVE.toISOString()}`);
    expect((await w.terminations.get('R1'))?.status).toBe('cancelled');
  });

  it('both at once: exactly one of the two writes wins, and the record agrees with the audit', async () => {
    const w = await scheduledLeaver();
    const [plan, outcome] = await Promise.all([
      w.plan(w.input, EFFECTIVE),
      w.send({ eventId: 'stay', kind: 'rescind' }, EFFECTIVE),
    ]);
    const afterStart =
      outcome.started[0]?.lifecycle?.action === 'rescinded' && outcome.started[0].lifecycle.afterStart;
    // Either the plan claimed first (lanes planned, the rescind came after the start) or the rescind won (nothing planned).
    expect(afterStart).toBe(plan.cancelled === undefined);
    const record = await w.terminations.get('R1');
    expect(record?.status).toBe('cancelled');
    expect(Boolean(record?.startedAt)).toBe(plan.cancelled === undefined);
  });
});
