// The shared rate budget on the state table (dynalite), taken by separate SCIM clients as separate
// Lambda instances would (each its own client and adapter, one item between them), against one SCIM
// application on loopback behind a proxy that notes when each request arrives.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DynamoRateBudget } from '../../../lambdas/aws/adapters/dynamo-rate-budget.ts';
import type { ScimTargetConfig } from '../../../lambdas/core/model/config.ts';
import { scimTargetSchema } from '../../../lambdas/core/model/target-config.ts';
import type { RequestClass } from '../../../lambdas/core/targets/rate-budget.ts';
import { scimClientFor } from '../../../lambdas/core/targets/target-client.ts';
import { LOCAL_NAMES } from '../../../local/aws-calls.ts';
import { type ScimApp, start } from '../../../local/scim-app.ts';
import { type LocalDynamo, startDynalite } from '../../support/dynalite.ts';
import { InMemorySecretSource } from '../../support/fakes.ts';

const TOKEN = 'tok_rate_budget_4fQ9x';
const RATE = 5;
const BURST = 3;

let dynamo: LocalDynamo;
let app: ScimApp;
let proxy: Server;
let proxyUrl: string;
/** Requests as they reached the application: when, and the userName looked up (or the path). */
const arrivals: { at: number; what: string }[] = [];

beforeAll(async () => {
  dynamo = await startDynalite();
  app = await start({ tokens: [TOKEN] });
  // Notes the arrival, then forwards: the application sees the requests in the order noted.
  proxy = createServer((req, res) => {
    const url = req.url ?? '';
    const filter = new URLSearchParams(url.split('?')[1] ?? '').get('filter') ?? '';
    const userName = /userName eq "([^"]+)"/.exec(filter)?.[1];
    arrivals.push({ at: Date.now(), what: userName ?? url });
    fetch(`${app.url}${url.slice(new URL(app.url).pathname.length)}`, {
      method: req.method ?? 'GET',
      headers: { authorization: req.headers.authorization ?? '' },
    }).then(
      async (answer) => {
        res.writeHead(answer.status, {
          'content-type': answer.headers.get('content-type') ?? 'application/json',
        });
        res.end(Buffer.from(await answer.arrayBuffer()));
      },
      () => {
        res.writeHead(502);
        res.end();
      },
    );
  });
  await new Promise<void>((ready) => proxy.listen(0, '127.0.0.1', ready));
  proxyUrl = `http://127.0.0.1:${(proxy.address() as AddressInfo).port}${new URL(app.url).pathname}`;
}, 60_000);

afterAll(async () => {
  await new Promise<void>((done) => proxy.close(() => done()));
  await app.close();
  await dynamo.close();
});

let targets = 0;
/** A fresh target (its own budget item) for each test. */
function newTarget(): ScimTargetConfig {
  return scimTargetSchema.parse({
    kind: 'scim',
    id: `rated${++targets}`,
    displayName: 'Rated app',
    owner: 'owner@example.com',
    baseUrl: proxyUrl,
    auth: { type: 'bearer' },
    rateBudget: { requestsPerSecond: RATE, burst: BURST },
  }) as ScimTargetConfig;
}

/** One caller: its own client and its own adapter instance on the shared table. */
function caller(target: ScimTargetConfig, requestClass: RequestClass, now?: () => number) {
  const budget = new DynamoRateBudget(target, {
    tableName: LOCAL_NAMES.stateTable,
    client: dynamo.client,
    ...(now && { now }),
  });
  const client = scimClientFor(target, {
    secretId: 'token',
    secrets: new InMemorySecretSource({ token: TOKEN }),
    timeoutMs: 10_000,
    budget,
    requestClass,
  });
  return {
    budget,
    lookUp: (userName: string) => client.findAccount({ attribute: 'userName', value: userName }),
    client,
  };
}

type Caller = ReturnType<typeof caller>;

/** `count` look-ups spread over the crowd at once, and one by `late` `delayMs` later. */
function crowdThenOne(crowd: Caller[], count: number, late: Caller, userName: string, delayMs: number) {
  return Promise.all([
    ...Array.from({ length: count }, (_, n) =>
      (crowd[n % crowd.length] as Caller).lookUp(`crowd.${n}@example.com`),
    ),
    new Promise((wait) => setTimeout(wait, delayMs)).then(() => late.lookUp(userName)),
  ]);
}

/** The most arrivals within any 1-second window. */
function busiestSecond(times: readonly number[]): number {
  const sorted = [...times].sort((a, b) => a - b);
  let most = 0;
  for (let i = 0, j = 0; i < sorted.length; i++) {
    while (j < sorted.length && (sorted[j] as number) < (sorted[i] as number) + 1_000) j++;
    most = Math.max(most, j - i);
  }
  return most;
}

const since = (t0: number) => arrivals.filter((a) => a.at >= t0);

describe('shared rate budget on the state table', () => {
  it('holds four worker instances, the reconciler and the canary together within rate + burst a second', async () => {
    const target = newTarget();
    const t0 = Date.now();
    const workers = Array.from({ length: 4 }, () => caller(target, 'leaver'));
    const reconciler = caller(target, 'background');
    const canary = caller(target, 'leaver');
    const results = await Promise.all([
      ...workers.map(async (w, i) => {
        const found = [];
        for (let n = 0; n < 6; n++) found.push(await w.lookUp(`worker${i}.${n}@example.com`));
        return found;
      }),
      (async () => {
        const found = [];
        for (let n = 0; n < 4; n++) found.push(await reconciler.lookUp(`reconcile.${n}@example.com`));
        return found;
      })(),
      (async () => {
        const probes = [];
        for (let n = 0; n < 2; n++) probes.push(await canary.client.probe());
        return probes;
      })(),
    ]);
    // All 24 + 4 look-ups and 2 probes (2 requests each) completed.
    expect(results.flat()).toHaveLength(30);
    const seen = since(t0);
    expect(seen).toHaveLength(32);
    expect(busiestSecond(seen.map((a) => a.at))).toBeLessThanOrEqual(RATE + BURST);
  }, 60_000);

  it('serves an urgent request before leaver requests that were waiting before it', async () => {
    const target = newTarget();
    const t0 = Date.now();
    const workers = Array.from({ length: 3 }, () => caller(target, 'leaver'));
    const priority = caller(target, 'urgent');
    await crowdThenOne(workers, 20, priority, 'urgent@example.com', 300);
    const seen = since(t0);
    const urgent = seen.findIndex((a) => a.what === 'urgent@example.com');
    // Started 300 ms after all 20: behind the second of slots the leavers held then (about 7 at
    // 5/s, burst 3), ahead of the rest, which a queue in arrival order would have served first.
    expect(urgent).toBeGreaterThanOrEqual(0);
    expect(seen.slice(urgent + 1).filter((a) => a.what.startsWith('crowd.')).length).toBeGreaterThanOrEqual(
      8,
    );
  }, 60_000);

  it('keeps background work waiting while leavers keep the target busy', async () => {
    const target = newTarget();
    const t0 = Date.now();
    const workers = [caller(target, 'leaver'), caller(target, 'leaver')];
    const reconciler = caller(target, 'background');
    await crowdThenOne(workers, 12, reconciler, 'reconcile@example.com', 100);
    const seen = since(t0);
    expect(seen.at(-1)?.what).toBe('reconcile@example.com');
    expect(seen).toHaveLength(13);
  }, 60_000);

  it('pauses every caller until the time a throttled answer gave, slows the pace, and recovers it', async () => {
    const target = newTarget();
    // One clock for every caller, which the test moves 31 s on to see the pace recover.
    let skew = 0;
    const clock = () => Date.now() + skew;
    const [told, a, b] = [
      caller(target, 'leaver', clock),
      caller(target, 'leaver', clock),
      caller(target, 'leaver', clock),
    ];
    const t0 = Date.now();
    const untilMs = t0 + 1_500;
    await told.budget.throttled({ untilMs, status: 429, source: 'retry-after' });
    await Promise.all(Array.from({ length: 6 }, (_, n) => (n % 2 ? a : b).lookUp(`paused.${n}@example.com`)));
    const paused = since(t0).map((x) => x.at);
    expect(paused).toHaveLength(6);
    // Nothing reached the application before the pause ended.
    expect(Math.min(...paused)).toBeGreaterThanOrEqual(untilMs);
    // Half the pace, recovering: about 380 ms apart on average rather than 200.
    expect((Math.max(...paused) - Math.min(...paused)) / 5).toBeGreaterThan(300);

    skew = 31_000;
    const t1 = Date.now();
    await Promise.all(
      Array.from({ length: 6 }, (_, n) => (n % 2 ? a : b).lookUp(`recovered.${n}@example.com`)),
    );
    const recovered = since(t1).map((x) => x.at);
    expect(recovered).toHaveLength(6);
    // The whole rate and the burst are back: 3 at once, then 200 ms apart (600 ms in all; at the
    // slowed pace, 2 s).
    expect(Math.max(...recovered) - Math.min(...recovered)).toBeLessThan(1_000);
  }, 60_000);
});
