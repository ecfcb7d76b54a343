import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { ValidationError } from '../../../lambdas/core/model/errors.ts';
import { ReconcileContinuation, type ReconcileInvocation } from '../../../lambdas/core/reconcile/ports.ts';
import { createReconcileHandler } from '../../../lambdas/handlers/reconcile.ts';
import { type LocalDynamo, startDynalite } from '../../support/dynalite.ts';
import { type ScimTarget, startTarget } from '../../support/scim-target.ts';
import { ago, configFor, depsFor, freshId, seedPlaced, type TestDeps } from './world.ts';

class RecordingContinuation extends ReconcileContinuation {
  readonly resumed: ReconcileInvocation[] = [];
  async resume(invocation: ReconcileInvocation): Promise<void> {
    this.resumed.push(invocation);
  }
}

let dynamo: LocalDynamo;
let target: ScimTarget;
const emf: Record<string, unknown>[] = [];
beforeAll(async () => {
  dynamo = await startDynalite();
  // Powertools writes EMF to the global console in dev mode: capture it.
  vi.stubEnv('POWERTOOLS_DEV', 'true');
  vi.stubEnv('POWERTOOLS_METRICS_DISABLED', 'false');
  vi.spyOn(console, 'log').mockImplementation((line: unknown) => {
    if (typeof line === 'string' && line.includes('_aws')) emf.push(JSON.parse(line));
  });
});
afterEach(async () => {
  emf.length = 0;
  await target?.close();
});
afterAll(async () => {
  vi.restoreAllMocks();
  vi.unstubAllEnvs();
  await dynamo.close();
});

function handlerFor(deps: TestDeps) {
  const continuation = new RecordingContinuation();
  const handler = createReconcileHandler({
    ...deps,
    continuation,
    logger: new Logger({ logLevel: 'SILENT' }),
    metrics: new Metrics({ namespace: 'Scimitar', serviceName: 'reconciler' }),
    reserveMs: 5_000,
  });
  return { handler, continuation };
}

const listRequests = () => target.proxy.requests.filter((r) => r.url.includes('/Users?'));

/** A Lambda context whose time runs out after `pages` page reads. */
function contextOfPages(pages: number) {
  const before = listRequests().length;
  return { getRemainingTimeInMillis: () => (listRequests().length - before >= pages ? 1_000 : 600_000) };
}

/** Metric values by name for one target, from the EMF lines. */
function metricsOf(targetId: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const line of emf) {
    if (line.target !== targetId) continue;
    const meta = (
      line._aws as {
        CloudWatchMetrics: { Namespace: string; Dimensions: string[][]; Metrics: { Name: string }[] }[];
      }
    ).CloudWatchMetrics[0];
    expect(meta?.Namespace).toBe('Scimitar');
    expect(meta?.Dimensions).toEqual([['service', 'target']]);
    expect(line.service).toBe('reconciler');
    for (const { Name } of meta?.Metrics ?? []) out[Name] = line[Name] as number;
  }
  return out;
}

describe('reconciler handler', () => {
  it('hands an unfinished round to the next invocation, which continues it', async () => {
    target = await startTarget();
    const id = freshId();
    const deps = depsFor(dynamo, configFor([{ id, baseUrl: target.proxy.url, quirks: { maxPageSize: 10 } }]));
    const names = Array.from({ length: 25 }, (_, i) => `h${i}@example.com`);
    target.app.seed({ users: names.map((userName) => ({ userName })) });
    deps.roster.roster = {
      asOf: ago(60_000),
      people: names.map((userName, i) => ({ employeeId: `${id}.${i}`, userName })),
    };
    const { handler, continuation } = handlerFor(deps);

    const first = await handler({ source: 'schedule' }, contextOfPages(1));
    expect(first).toMatchObject({ paused: true, progressed: true, continued: true });
    expect(continuation.resumed).toEqual([
      { source: 'continuation', restart: false, since: deps.clock.now().toISOString(), continuation: 1 },
    ]);
    let last = first;
    for (let i = 0; i < 5 && last.continued; i++) {
      const next = continuation.resumed.at(-1);
      last = await handler(next, contextOfPages(1));
    }
    expect(last.outcomes[0]).toMatchObject({
      status: 'complete',
      counts: expect.objectContaining({ accounts: 25 }),
    });
    expect(last.continued).toBe(false);
    // Three pages of ten, one per invocation; the fourth sweeps vanished accounts and finishes.
    expect(continuation.resumed.map((r) => r.continuation)).toEqual([1, 2, 3]);
  });

  it('emits per-target metrics for a complete pass, zeros included, and the findings of a privileged target for its one alarm', async () => {
    target = await startTarget();
    const id = freshId();
    const deps = depsFor(dynamo, configFor([{ id, baseUrl: target.proxy.url, tier: 'privileged' }]));
    target.app.seed({ users: [{ userName: 'in@example.com' }, { userName: 'stray@example.com' }] });
    deps.roster.roster = { asOf: ago(60_000), people: [{ employeeId: 'P', userName: 'in@example.com' }] };
    await handlerFor(deps).handler({});
    expect(metricsOf(id)).toEqual({
      ReconcileIncomplete: 0,
      ReconcileAccounts: 2,
      ReconcileOrphans: 1,
      ReconcileDrift: 0,
      ReconcileRemediated: 0,
      ReconcileAlreadyQueued: 0,
      ReconcilePrivilegedFindings: 1,
    });
  });

  it('counts the remediations still waiting in the lane, which a later pass does not queue again', async () => {
    target = await startTarget();
    const id = freshId();
    const deps = depsFor(
      dynamo,
      configFor([{ id, baseUrl: target.proxy.url }], {
        blastRadius: { floor: 100, maxShare: 1, windowMinutes: 60 },
        reconciliation: { rosterMaxAgeHours: 24 * 31 },
      }),
    );
    await seedPlaced(deps, target.app, id, ['gone@example.com', 'in@example.com'], (i) =>
      i === 0 ? 'leaver' : 'person',
    );
    await handlerFor(deps).handler({});
    expect(metricsOf(id)).toMatchObject({
      ReconcileDrift: 1,
      ReconcileRemediated: 1,
      ReconcileAlreadyQueued: 0,
    });
    expect(deps.queue.drain()).toHaveLength(1);

    // An hour on, the lane has not run it (a rate limit): still drift, waiting, not queued again.
    emf.length = 0;
    deps.clock.advance(3_600_000);
    await handlerFor(deps).handler({});
    expect(metricsOf(id)).toMatchObject({
      ReconcileDrift: 1,
      ReconcileRemediated: 0,
      ReconcileAlreadyQueued: 1,
    });
    expect(deps.queue.drain()).toEqual([]);
  });

  it("emits entitlement drift per target, counted in a privileged target's findings", async () => {
    target = await startTarget();
    const id = freshId();
    const entitlements = {
      managedGroups: ['eng'],
      rules: [{ group: 'eng', when: { department: 'Engineering' } }],
    };
    const deps = depsFor(
      dynamo,
      configFor([{ id, baseUrl: target.proxy.url, tier: 'privileged', entitlements }]),
    );
    target.app.seed({
      users: [{ userName: 'mover@example.com' }],
      groups: [{ displayName: 'eng', members: ['mover@example.com'] }],
    });
    deps.roster.roster = {
      asOf: ago(60_000),
      people: [{ employeeId: 'P', userName: 'mover@example.com', attributes: { department: 'Sales' } }],
    };
    await handlerFor(deps).handler({});
    expect(metricsOf(id)).toEqual({
      ReconcileIncomplete: 0,
      ReconcileAccounts: 1,
      ReconcileOrphans: 0,
      ReconcileDrift: 0,
      ReconcileRemediated: 0,
      ReconcileAlreadyQueued: 0,
      ReconcileEntitlementDrift: 1,
      ReconcilePrivilegedFindings: 1,
    });
  });

  it('counts an entitlement drift removal still waiting in the lane as already queued', async () => {
    target = await startTarget();
    const id = freshId();
    const entitlements = {
      managedGroups: ['eng'],
      rules: [{ group: 'eng', when: { department: 'Engineering' } }],
      removeDrift: true,
    };
    const deps = depsFor(
      dynamo,
      configFor([{ id, baseUrl: target.proxy.url, entitlements }], {
        blastRadius: { floor: 100, maxShare: 1, windowMinutes: 60 },
      }),
    );
    target.app.seed({
      users: [{ userName: 'mover@example.com' }],
      groups: [{ displayName: 'eng', members: ['mover@example.com'] }],
    });
    deps.roster.roster = {
      asOf: ago(60_000),
      people: [{ employeeId: 'P', userName: 'mover@example.com', attributes: { department: 'Sales' } }],
    };
    await handlerFor(deps).handler({});
    expect(metricsOf(id)).toMatchObject({ ReconcileEntitlementDrift: 1, ReconcileAlreadyQueued: 0 });
    expect(deps.queue.drain()).toHaveLength(1);

    emf.length = 0;
    deps.clock.advance(3_600_000);
    await handlerFor(deps).handler({});
    expect(metricsOf(id)).toMatchObject({ ReconcileEntitlementDrift: 1, ReconcileAlreadyQueued: 1 });
    expect(deps.queue.drain()).toEqual([]);
  });

  it('returns the orphan accounts it found, and keeps the list out of its log line', async () => {
    target = await startTarget();
    const id = freshId();
    const deps = depsFor(dynamo, configFor([{ id, baseUrl: target.proxy.url }]));
    target.app.seed({ users: [{ userName: 'in@example.com' }, { userName: 'stray@example.com' }] });
    deps.roster.roster = { asOf: ago(60_000), people: [{ employeeId: 'P', userName: 'in@example.com' }] };
    const logged: Record<string, unknown>[] = [];
    const logger = new Logger({ logLevel: 'SILENT' });
    vi.spyOn(logger, 'info').mockImplementation((...args: unknown[]) => {
      logged.push(args[1] as Record<string, unknown>);
    });
    const handler = createReconcileHandler({
      ...deps,
      continuation: new RecordingContinuation(),
      logger,
      metrics: new Metrics({ namespace: 'Scimitar', serviceName: 'reconciler' }),
    });

    const response = await handler({});

    expect(response.outcomes[0]?.findings?.accounts).toEqual([
      expect.objectContaining({ userName: 'stray@example.com', classification: 'orphan' }),
    ]);
    expect(logged).toEqual([expect.objectContaining({ targetId: id, status: 'complete' })]);
    expect(logged[0]).not.toHaveProperty('findings');
  });

  it('never reports zero orphans or drift for an incomplete pass', async () => {
    target = await startTarget();
    const id = freshId();
    const deps = depsFor(dynamo, configFor([{ id, baseUrl: target.proxy.url }]));
    target.app.seed({ users: [{ userName: 'x@example.com' }] });
    target.proxy.inject({ kind: 'status', status: 500 }, { times: 10 });
    const response = await handlerFor(deps).handler({});
    expect(response.outcomes[0]?.status).toBe('incomplete');
    expect(metricsOf(id)).toEqual({
      ReconcileIncomplete: 1,
      ReconcileRemediated: 0,
      ReconcileAlreadyQueued: 0,
    });
  });

  it('does not continue a round that made no progress', async () => {
    target = await startTarget();
    const id = freshId();
    const deps = depsFor(dynamo, configFor([{ id, baseUrl: target.proxy.url }]));
    const { handler, continuation } = handlerFor(deps);
    const response = await handler({}, { getRemainingTimeInMillis: () => 100 });
    expect(response).toMatchObject({ paused: true, progressed: false, continued: false });
    expect(continuation.resumed).toEqual([]);
  });

  it('refuses a request naming a target that is not a SCIM target', async () => {
    target = await startTarget();
    const deps = depsFor(dynamo, configFor([{ id: freshId(), baseUrl: target.proxy.url }]));
    await expect(handlerFor(deps).handler({ source: 'cli', targets: ['nope'] })).rejects.toBeInstanceOf(
      ValidationError,
    );
    await expect(handlerFor(deps).handler({ source: 'cron' })).rejects.toBeInstanceOf(ValidationError);
  });
});
