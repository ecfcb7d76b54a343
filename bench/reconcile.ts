// Benchmark, not a test: a full reconciliation of one target with 100,000 accounts against simply
// paging through them with the SCIM client, side by side in one run, per page size. The SCIM app and
// dynalite run in a child process (bench/reconcile-servers.ts), so the memory figures are this
// process's: the client, the roster, the leaver lookup and one page.
//   npm run bench:reconcile
//   BENCH_ACCOUNTS=20000 BENCH_PAGE_SIZES=100 npm run bench:reconcile
import { type ChildProcess, fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { documentClient } from '../lambdas/aws/adapters/dynamo-audit-log.ts';
import { DynamoLeaverLedger } from '../lambdas/aws/adapters/dynamo-state.ts';
import { reconcileDeps } from '../lambdas/aws/wiring/reconcile.ts';
import type { AuditEntry } from '../lambdas/core/model/audit.ts';
import { parseConfig } from '../lambdas/core/model/config.ts';
import { AuditLog, SystemClock } from '../lambdas/core/model/ports.ts';
import {
  type PageListing,
  type PageRecord,
  ReconciliationStore,
  RosterSource,
} from '../lambdas/core/reconcile/ports.ts';
import { type ReconcileDeps, reconcile } from '../lambdas/core/reconcile/reconcile.ts';
import type { AccountState, TargetReconciliation } from '../lambdas/core/reconcile/state.ts';
import { LaneQueue, RevocationBudget } from '../lambdas/core/revocation/ports.ts';
import { BearerToken, ScimClient } from '../lambdas/core/scim/index.ts';
import { LocalSecretSource } from '../local/secrets.ts';
import { benchPopulation } from './reconcile-population.ts';

const ACCOUNTS = Number(process.env.BENCH_ACCOUNTS ?? 100_000);
const PAGE_SIZES = (process.env.BENCH_PAGE_SIZES ?? '1000,100').split(',').map(Number);
const MAX_RESULTS = Math.max(...PAGE_SIZES);
const TOKEN = 'bench-token';

// --- the servers, in a child process -------------------------------------------------------------
const child: ChildProcess = fork(fileURLToPath(new URL('./reconcile-servers.ts', import.meta.url)), {
  execArgv: ['--import', 'tsx'],
  env: {
    ...process.env,
    BENCH_ACCOUNTS: String(ACCOUNTS),
    BENCH_MAX_RESULTS: String(MAX_RESULTS),
    BENCH_TOKEN: TOKEN,
  },
  stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
});
const stopChild = () => {
  if (child.exitCode === null) child.kill();
};
process.on('exit', stopChild);
const servers = await new Promise<{ scimUrl: string; dynamoEndpoint: string; seedMs: number }>(
  (resolve, reject) => {
    child.once('message', (m) => resolve(m as never));
    child.once('exit', (code) => reject(new Error(`servers exited with ${code}`)));
  },
);

// --- wiring ---------------------------------------------------------------------------------------
const population = benchPopulation(ACCOUNTS);
const rawClient = documentClient(
  new DynamoDBClient({
    endpoint: servers.dynamoEndpoint,
    region: 'local',
    credentials: { accessKeyId: 'l', secretAccessKey: 'l' },
  }),
);
/** DynamoDB requests of the current phase by command, and the account items BatchWriteItem put. */
const calls = new Map<string, number>();
let accountPuts = 0;
const client = Object.create(rawClient) as typeof rawClient;
client.send = ((command: { constructor: { name: string }; input: unknown }) => {
  const name = command.constructor.name.replace(/Command$/, '');
  calls.set(name, (calls.get(name) ?? 0) + 1);
  if (name === 'BatchWrite') {
    const { RequestItems } = command.input as {
      RequestItems: Record<string, { PutRequest?: { Item: { sk: string } } }[]>;
    };
    for (const requests of Object.values(RequestItems)) {
      for (const r of requests) if (r.PutRequest?.Item.sk.startsWith('ACCOUNT#')) accountPuts += 1;
    }
  }
  return rawClient.send(command as never);
}) as typeof rawClient.send;
const ledger = new DynamoLeaverLedger({ tableName: 'state', client });
const config = parseConfig({
  sources: [{ id: 'generic', kind: 'generic' }],
  targets: [
    {
      id: 'bench',
      kind: 'scim',
      displayName: 'Bench',
      owner: 'bench@example.com',
      tier: 'privileged',
      baseUrl: servers.scimUrl,
      quirks: { maxPageSize: MAX_RESULTS },
    },
  ],
  // Let every drift account through the guard: the bench measures the remediation path too.
  blastRadius: { floor: 10_000, maxShare: 1, windowMinutes: 60 },
});
const target = config.targets[0];
if (target?.kind !== 'scim') throw new Error('unreachable');
const scim = new ScimClient({
  baseUrl: servers.scimUrl,
  credentials: new BearerToken(async () => TOKEN),
  quirks: { maxPageSize: MAX_RESULTS },
});

const leaversStarted = performance.now();
for (let i = 0; i < population.leavers.length; i += 25) {
  await Promise.all(
    population.leavers.slice(i, i + 25).map((userName, j) =>
      ledger.record({
        personId: `L${i + j}`,
        targetId: target.id,
        outcome: 'revoked',
        eventId: `bench-${i + j}`,
        at: new Date(Date.now() - 86_400_000).toISOString(),
        matchAttribute: 'userName',
        matchValue: userName,
      }),
    ),
  );
}
const leaversMs = performance.now() - leaversStarted;

class CountingQueue extends LaneQueue {
  sent = 0;
  async send(): Promise<void> {
    this.sent += 1;
  }
}
/** One roster export for the whole run: a new export would rewrite the orphan and drift states (their match names it). */
const rosterAsOf = new Date(Date.now() - 60_000).toISOString();
class BenchRoster extends RosterSource {
  async current() {
    return { asOf: rosterAsOf, people: population.roster };
  }
}
/** The same port in memory: what reconciliation costs without DynamoDB round trips. */
class MemoryStore extends ReconciliationStore {
  private readonly targets = new Map<string, TargetReconciliation>();
  private readonly accountStates = new Map<string, AccountState>();
  async target(targetId: string) {
    return this.targets.get(targetId) ?? { targetId, version: 0 };
  }
  async saveTarget(state: TargetReconciliation) {
    const saved = { ...state, version: state.version + 1 };
    this.targets.set(state.targetId, saved);
    return saved;
  }
  async accountsByIds(targetId: string, ids: readonly string[]) {
    const found = new Map<string, AccountState>();
    for (const id of ids) {
      const state = this.accountStates.get(`${targetId}/${id}`);
      if (state) found.set(id, state);
    }
    return found;
  }
  private readonly listedPages = new Map<string, { runId: string; page: number; listing: PageListing }>();
  async putAccounts(states: readonly AccountState[]) {
    for (const s of states) this.accountStates.set(`${s.targetId}/${s.scimId}`, s);
  }
  async recordPage(page: PageRecord) {
    await this.putAccounts(page.changed);
    this.listedPages.set(`${page.targetId}/${page.runId}/${page.page}`, {
      ...page,
      listing: { listed: page.listed, queued: page.queued ?? new Map() },
    });
  }
  async *listed(targetId: string, runId: string, throughPage: number) {
    for (const [key, p] of this.listedPages) {
      if (key.startsWith(`${targetId}/`) && p.runId === runId && p.page <= throughPage) yield p.listing;
    }
  }
  async forgetListed(targetId: string) {
    for (const key of this.listedPages.keys())
      if (key.startsWith(`${targetId}/`)) this.listedPages.delete(key);
  }
  async sweep(targetId: string, seen: (scimId: string) => boolean) {
    let removed = 0;
    for (const [key, s] of this.accountStates) {
      if (s.targetId === targetId && !seen(s.scimId)) {
        this.accountStates.delete(key);
        removed += 1;
      }
    }
    return { removed };
  }
  async removeAccounts(targetId: string, ids: readonly string[]) {
    for (const id of ids) this.accountStates.delete(`${targetId}/${id}`);
  }
  async *accounts(targetId: string) {
    for (const s of this.accountStates.values()) if (s.targetId === targetId) yield s;
  }
  // The benchmark's target has no entitlement rules: no removal is ever queued.
  async entitlementRemovals() {
    return new Map();
  }
  async saveEntitlementRemovals() {}
}
class MemoryAudit extends AuditLog {
  entries = 0;
  async append(_entry: AuditEntry) {
    this.entries += 1;
  }
  async forEvent() {
    return [];
  }
  async forPerson() {
    return [];
  }
}
class MemoryBudget extends RevocationBudget {
  async tryConsume() {
    return true;
  }
  async grantBurst() {}
  async accountCount() {
    return undefined;
  }
  async setAccountCount() {}
}

/** Milliseconds the pass waited on the state store, by method, in the current phase. */
const waited = new Map<string, number>();
const STORE_CALLS = [
  'accountsByIds',
  'recordPages',
  'saveTarget',
  'forgetListed',
  'sweep',
  'findings',
] as const;
/** The store, timing each call the pass awaits (a page's own batches run in parallel inside one). */
function timed(store: ReconciliationStore): ReconciliationStore {
  const add = (name: string, since: number) =>
    waited.set(name, (waited.get(name) ?? 0) + performance.now() - since);
  const wrapped = Object.create(store) as ReconciliationStore;
  const calls = wrapped as unknown as Record<string, (...args: unknown[]) => Promise<unknown>>;
  const own = store as unknown as Record<string, (...args: unknown[]) => Promise<unknown>>;
  for (const name of STORE_CALLS) {
    calls[name] = async (...args) => {
      const started = performance.now();
      try {
        return await own[name]?.apply(store, args);
      } finally {
        add(name, started);
      }
    };
  }
  wrapped.listed = async function* (...args: Parameters<ReconciliationStore['listed']>) {
    const pages = store.listed(...args)[Symbol.asyncIterator]();
    for (;;) {
      const started = performance.now();
      const next = await pages.next();
      add('listed', started);
      if (next.done) return;
      yield next.value;
    }
  };
  return wrapped;
}

function deps(kind: 'dynamo' | 'memory', queue: CountingQueue): ReconcileDeps {
  const common = {
    config,
    scim: () => scim,
    leavers: ledger,
    roster: new BenchRoster(),
    queue,
    clock: new SystemClock(),
  };
  // The reconciler's own wiring (lambdas/aws/wiring/reconcile.ts), against the child's dynalite.
  if (kind === 'memory') {
    return { ...common, store: new MemoryStore(), budget: new MemoryBudget(), audit: new MemoryAudit() };
  }
  const wired = reconcileDeps({
    ...common,
    env: { STATE_TABLE: 'state', AUDIT_TABLE: 'audit' },
    secrets: new LocalSecretSource(),
    dynamo: client,
  });
  return { ...wired, store: timed(wired.store) };
}

// --- measuring ------------------------------------------------------------------------------------
interface Measured {
  ms: number;
  accounts: number;
  peakHeapMb: number;
  peakRssMb: number;
  note: string;
  /** DynamoDB requests by command, and account states written. */
  dynamo: string;
}

async function measure(run: () => Promise<{ accounts: number; note: string }>): Promise<Measured> {
  const mb = (b: number) => b / 1024 / 1024;
  calls.clear();
  waited.clear();
  accountPuts = 0;
  let peakHeap = process.memoryUsage().heapUsed;
  let peakRss = process.memoryUsage().rss;
  const sampler = setInterval(() => {
    const m = process.memoryUsage();
    peakHeap = Math.max(peakHeap, m.heapUsed);
    peakRss = Math.max(peakRss, m.rss);
  }, 20);
  const started = performance.now();
  const { accounts, note } = await run();
  const ms = performance.now() - started;
  clearInterval(sampler);
  const dynamo =
    calls.size === 0
      ? ''
      : `; DynamoDB ${[...calls].map(([name, n]) => `${name} ${n}`).join(', ')}; ${accountPuts} account states written; waited on the store (s): ${[
          ...waited,
        ]
          .map(([name, w]) => `${name} ${(w / 1000).toFixed(2)}`)
          .join(', ')}`;
  return { ms, accounts, peakHeapMb: mb(peakHeap), peakRssMb: mb(peakRss), note, dynamo };
}

// Warm-up: JIT-compile both paths on a few pages before anything is timed.
{
  let pages = 0;
  for await (const _ of scim.listAccountPages({ pageSize: 100 })) if (++pages >= 20) break;
  let seen = 0;
  await reconcile(
    { pageSize: 100, restart: true, remainingMs: () => (seen++ < 20 ? 3_600_000 : 0), reserveMs: 0 },
    deps('memory', new CountingQueue()),
  );
}

const rows: { pageSize: number; phase: string; m: Measured; ratio: number }[] = [];
for (const pageSize of PAGE_SIZES) {
  const paging = await measure(async () => {
    let accounts = 0;
    for await (const _ of scim.listAccounts({ pageSize })) accounts += 1;
    return { accounts, note: 'listAccounts only' };
  });
  rows.push({ pageSize, phase: 'paging (SCIM client)', m: paging, ratio: 1 });
  // 'dynamo, first': the target's first pass, every state new (once, at the first page size).
  // 'dynamo': a pass over the target as the last complete pass left it, the daily case.
  // 'dynamo, no list': the same pass without reading back its orphan and drift accounts
  // (findingsLimit 0), so the difference is what listing them costs.
  const phaseKinds = ['dynamo', 'dynamo, no list', 'memory'] as const;
  for (const phaseKind of pageSize === PAGE_SIZES[0]
    ? (['dynamo, first', ...phaseKinds] as const)
    : phaseKinds) {
    const kind = phaseKind === 'memory' ? 'memory' : 'dynamo';
    const findingsLimit = phaseKind === 'dynamo, no list' ? 0 : undefined;
    const queue = new CountingQueue();
    const m = await measure(async () => {
      const result = await reconcile(
        { pageSize, restart: true, ...(findingsLimit !== undefined && { findingsLimit }) },
        deps(kind, queue),
      );
      const [outcome] = result.outcomes;
      if (outcome?.status !== 'complete')
        throw new Error(`reconciliation ${outcome?.status}: ${outcome?.error}`);
      const c = outcome.counts;
      return {
        accounts: c.accounts,
        note: `managed ${c.managed}, drift ${c.drift}, orphan ${c.orphan}, inactive ${c.inactive}, re-queued ${queue.sent}, already queued ${c.alreadyQueued}, listed ${outcome.findings?.accounts.length ?? 0}`,
      };
    });
    const phase = {
      'dynamo, first': 'reconcile (state on dynalite, first pass)',
      dynamo: 'reconcile (state on dynalite)',
      'dynamo, no list': 'reconcile (state on dynalite, no list)',
      memory: 'reconcile (state in memory)',
    }[phaseKind];
    rows.push({ pageSize, phase, m, ratio: m.ms / paging.ms });
  }
}

// --- report ---------------------------------------------------------------------------------------
const fmt = (n: number, d = 1) => n.toFixed(d);
console.log(
  `\nreconciliation benchmark: ${ACCOUNTS} accounts on one target (SCIM app maxResults ${MAX_RESULTS}), Node ${process.version}`,
);
console.log(
  `setup: seeded in ${fmt(servers.seedMs / 1000, 2)} s (child), ${population.leavers.length} leavers in the ledger in ${fmt(leaversMs / 1000, 2)} s, roster of ${population.roster.length} people\n`,
);
const header = [
  'page',
  'phase',
  'seconds',
  'accounts/s',
  'x paging',
  'peak heap MB',
  'peak RSS MB',
  'result',
];
const table = rows.map((r) => [
  String(r.pageSize),
  r.phase,
  fmt(r.m.ms / 1000, 2),
  fmt(r.m.accounts / (r.m.ms / 1000), 0),
  fmt(r.ratio, 2),
  fmt(r.m.peakHeapMb, 0),
  fmt(r.m.peakRssMb, 0),
  `${r.m.accounts} accounts; ${r.m.note}${r.m.dynamo}`,
]);
const widths = header.map((h, i) => Math.max(h.length, ...table.map((row) => (row[i] ?? '').length)));
for (const row of [header, ...table]) {
  console.log(
    row
      .map((c, i) => c.padEnd(widths[i] ?? 0))
      .join('  ')
      .trimEnd(),
  );
}
// The headline: a pass over a known target against paging, with the state persisted and in memory.
for (const pageSize of PAGE_SIZES) {
  const ratio = (phase: string) => rows.find((r) => r.pageSize === pageSize && r.phase === phase)?.ratio;
  const first = ratio('reconcile (state on dynalite, first pass)');
  console.log(
    `\nreconcile: ${ACCOUNTS} accounts, page ${pageSize}: state on dynalite ${fmt(ratio('reconcile (state on dynalite)') ?? 0, 2)}x paging, state in memory ${fmt(ratio('reconcile (state in memory)') ?? 0, 2)}x paging${first === undefined ? '' : ` (first pass, every state new: ${fmt(first, 2)}x)`}`,
  );
}
console.log(
  `\nprocess maxRSS ${fmt(process.resourceUsage().maxRSS / 1024, 0)} MB (this process; servers excluded)`,
);
console.log(
  JSON.stringify({
    accounts: ACCOUNTS,
    rows: rows.map((r) => ({ pageSize: r.pageSize, phase: r.phase, ...r.m, ratio: r.ratio })),
  }),
);
stopChild();
