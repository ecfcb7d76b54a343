// Benchmark, not a test: a layoff at the applications' rate limits. Demo applications that enforce
// a vendor-style limit (N requests per one-second window, 429 with Retry-After past it), 1,000
// leavers sent as signed terminations through the ingest API as an HRIS would, the blast-radius
// guard holding the burst until an operator, on its first alert, approves a burst for every target
// large enough for the layoff (POST /_local/bursts: the core of the operator function's
// approve-burst, which `npm run scimitar -- approve-burst --all` invokes) and each event held
// before that (POST /_local/events/<id>/approve: the core of its approve), and one involuntary
// termination injected mid-run. It prints the completion time ÷ the rate-limit floor, failures,
// dead letters and the injected leaver's ingest→verified time.
//   npm run bench:bulk
//   BENCH_LEAVERS=200 BENCH_RATE=25 BENCH_BURST=5 npm run bench:bulk
//   BENCH_APP_RATE=1000 npm run bench:bulk   (applications unlimited, the budgets still at BENCH_RATE)
//   BENCH_OPERATOR=on-alert npm run bench:bulk   (the burst approved on the guard's first alert)
//   BENCH_CONCURRENCY=8 npm run bench:bulk   (each lane's rateBudget.concurrency; default: two seconds of the rate)
//   BENCH_TRACE=1 npm run bench:bulk   (each lane's queue every 5 s, and the DynamoDB and SQS calls by operation)
//
// The floor: the requests the run needed at each application ÷ that application's limit, for the
// busiest application (they run side by side). Requests needed = every request the application
// answered (its own count; the 429s it refused are not among them): each revocation's lookup,
// group removals, write and read-back, and the lookup (and, where groups are removed first, the
// group removals) of each attempt the blast-radius guard held before the operator released it.
// An attempt a 429 cut short repeats its earlier requests on its retry; those few count as needed
// too (the "429-cut attempts" column says how many attempts that was). The "in evidence" column is
// the stricter count: the requests in each revocation's final evidence (VERIFIED / NO_ACCOUNT)
// plus one lookup per hold.
import { mkdtempSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AuditEntry } from '../lambdas/core/model/audit.ts';
import { parseConfig } from '../lambdas/core/model/config.ts';
import { demoTargetsOf, startDemoApps } from '../local/demo-apps.ts';
import { demoPeople } from '../local/demo-people.ts';
import { startLocalRuntime } from '../local/runtime.ts';
import { ensureSecrets } from '../local/secrets.ts';
import sample from '../scimitar.config.ts';
import { LayoffOperator, sendTermination } from './bulk-operator.ts';
import { queueDepths } from './bulk-queues.ts';
import { startTrace } from './bulk-trace.ts';

const positive = (name: string, fallback: number): number => {
  const value = Number(process.env[name] ?? fallback);
  if (!Number.isInteger(value) || value < 1)
    throw new Error(`${name} must be a positive integer, got ${value}`);
  return value;
};
const LEAVERS = positive('BENCH_LEAVERS', 1000);
// 10 requests/s: vendors document a few per second per tenant (Deel 5, local/scim-app/rate-limit.ts).
// At 25 the one-process local stack is short of CPU before the applications' limits bind.
const RATE = positive('BENCH_RATE', 10);
// A burst of 1: the demo applications count requests per fixed one-second window, as the vendors
// cited in local/scim-app/rate-limit.ts do, and a budget with a burst of b may grant rate + b - 1
// in one such window (ARCHITECTURE.md, "Rate budget"): only 1 keeps within the vendor's limit.
const BURST = positive('BENCH_BURST', 1);
const TIMEOUT_S = positive('BENCH_TIMEOUT', 1800);
// When the operator approves the layoff's burst: `ahead` (default), before HR posts it, as a known
// layoff is run (README, "A layoff"); `on-alert`, on the guard's first alert, releasing each
// revocation held before that one by one as its alert arrives.
const OPERATOR = process.env.BENCH_OPERATOR ?? 'ahead';
if (OPERATOR !== 'ahead' && OPERATOR !== 'on-alert')
  throw new Error(`BENCH_OPERATOR must be ahead or on-alert, got ${OPERATOR}`);

// The config declares what each vendor allows: its rate budget is the application's limit. The
// blast-radius guard stays on (the sample's 10%, floor 5): the operator approves a burst for the
// layoff on its first alert, and what the guard held before it.
const config = parseConfig({
  ...sample,
  // The SCIM applications only: the sample's session target (a fake Okta the runtime starts with
  // its demo apps, which the benchmark starts itself) is not what a layoff's rate limits are about.
  targets: sample.targets
    .filter((t) => t.kind !== 'session')
    .map((t) =>
      t.kind === 'scim'
        ? {
            ...t,
            rateBudget: {
              requestsPerSecond: RATE,
              burst: BURST,
              ...(process.env.BENCH_CONCURRENCY && { concurrency: Number(process.env.BENCH_CONCURRENCY) }),
            },
          }
        : t,
    ),
});
const people = demoPeople(LEAVERS + 10);
const dataDir = mkdtempSync(join(tmpdir(), 'scimitar-bench-bulk-'));
const secretsFile = join(dataDir, 'secrets.json');
const secrets = ensureSecrets(config, secretsFile, demoTargetsOf(config));
const stoppers: (() => Promise<void>)[] = [];
// The applications are started here, not by the runtime, to give them their rate limit.
const { apps, config: wired } = await startDemoApps(config, demoTargetsOf(config), {
  tokens: secrets,
  people,
  ephemeral: true,
  stoppers,
  rateLimit: { requestsPerSecond: Number(process.env.BENCH_APP_RATE ?? RATE) },
});
const runtime = await startLocalRuntime({
  config: wired,
  dataDir,
  port: 0,
  demoApps: false,
  people,
  logLevel: 'SILENT',
  print: () => {},
  // Only the layoff is measured: no canary probes or reconciliation passes alongside.
  canary: false,
  reconcileOnSchedule: false,
});
const trace = process.env.BENCH_TRACE ? startTrace(runtime.sqs, runtime.lanes) : undefined;
const key = secrets['Scimitar/sources/generic'] ?? '';
const targets = [...apps.keys()];
const bulk = people.slice(0, LEAVERS);
// The injected leaver holds an account at every application, so "verified" means all of them.
const urgentPerson = people
  .slice(LEAVERS)
  .find((p) => [...apps.values()].every((app) => app.userByName(p.userName)));
if (!urgentPerson) throw new Error('no demo person beyond the leavers holds an account at every application');
const urgent = urgentPerson;
// Every bulk leaver's account as seeded; revoked once it is inactive or gone.
const bulkAccounts = bulk.flatMap((p) =>
  [...apps.values()]
    .filter((app) => app.userByName(p.userName))
    .map((app) => ({ app, userName: p.userName })),
);
const revokedAccounts = () =>
  bulkAccounts.filter(({ app, userName }) => app.userByName(userName)?.active !== true).length;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
// The burst the operator approves: every leaver of the layoff and the injected one, at each target.
// It covers every window until the run's timeout: a window boundary mid-run would otherwise leave
// the new window with the limit only, and hold the rest of the layoff again.
const operator = new LayoffOperator(
  runtime.url,
  runtime.alerts,
  LEAVERS + 1,
  () => new Date(Date.now() + TIMEOUT_S * 1000),
);
const eventIds = bulk.map((p) => `bulk-${p.employeeId}`);
const urgentEventId = `urgent-${urgent.employeeId}`;
let injectedAt: number | undefined;
let injectedWhen = '';
let timedOut = false;

console.log(
  `scimitar bulk: ${LEAVERS} leavers x ${targets.length} targets (${targets.join(', ')}), each application ${RATE} requests/s (rateBudget ${RATE}/s, burst ${BURST}), operator approves the burst ${OPERATOR === 'ahead' ? 'ahead of the layoff' : 'on the first alert'}; load ${loadAverage()}`,
);
if (OPERATOR === 'ahead') await operator.approveBurst();
const started = Date.now();
const cpuAtStart = process.cpuUsage();
try {
  // The HRIS posts the layoff: 50 deliveries in flight, each signed when sent.
  const sending = (async () => {
    for (let i = 0; i < bulk.length; i += 50) {
      await Promise.all(
        bulk
          .slice(i, i + 50)
          .map((p, j) => sendTermination(runtime.url, key, eventIds[i + j] ?? '', p, 'voluntary')),
      );
    }
  })();
  let sent = false;
  sending.then(() => {
    sent = true;
  });
  let quiet = 0;
  let reported = started;
  let traced = started;
  for (;;) {
    if (trace && Date.now() - traced >= 5_000) {
      traced = Date.now();
      console.log(`  ${((traced - started) / 1000).toFixed(0).padStart(4)} s: ${await trace.line()}`);
    }
    await operator.tick();
    const revoked = revokedAccounts();
    if (injectedAt === undefined && (revoked >= bulkAccounts.length / 2 || (sent && quiet > 0))) {
      injectedWhen =
        revoked >= bulkAccounts.length / 2
          ? `${revoked}/${bulkAccounts.length} bulk accounts revoked`
          : 'after the bulk drained (never reached half)';
      injectedAt = Date.now();
      await sendTermination(runtime.url, key, urgentEventId, urgent, 'involuntary');
      quiet = 0;
    }
    const running = [...runtime.workflow.executions.values()].some((e) => e.status === 'RUNNING');
    const waiting = running || !sent || operator.pending() > 0 ? 1 : (await queueDepths(runtime.sqs)).work;
    quiet = waiting === 0 ? quiet + 1 : 0;
    if (Date.now() - reported >= 15_000) {
      reported = Date.now();
      const throttled = [...apps.values()].map((app) => app.rateLimit?.throttled ?? 0).join('/');
      console.log(
        `  ${((reported - started) / 1000).toFixed(0).padStart(4)} s: ${revoked}/${bulkAccounts.length} accounts revoked, ${operator.approvedAt.size} events approved, ${runtime.workflow.executions.size} executions, 429s ${throttled}, load ${loadAverage()}`,
      );
    }
    // Twice quiet in a row: an alert raised between two looks is approved before the end.
    if (quiet >= 2 && injectedAt !== undefined) break;
    if (Date.now() - started > TIMEOUT_S * 1000) {
      timedOut = true;
      break;
    }
    await sleep(250);
  }
  await sending;
  await report();
} finally {
  await runtime.stop();
  for (const stop of stoppers.reverse()) await stop();
}

function loadAverage(): string {
  return loadavg()
    .map((l) => l.toFixed(2))
    .join(' ');
}

type Outcome = 'verified' | 'no-account' | 'failed' | 'unfinished';

async function report(): Promise<void> {
  const all = [...eventIds, urgentEventId];
  const timelines = new Map<string, AuditEntry[]>();
  for (let i = 0; i < all.length; i += 20) {
    await Promise.all(
      all.slice(i, i + 20).map(async (id) => timelines.set(id, await runtime.audit.forEvent(id))),
    );
  }
  let lastDone = started;
  const perTarget = new Map(
    targets.map((t) => [
      t,
      {
        verified: 0,
        noAccount: 0,
        failed: 0,
        unfinished: 0,
        held: 0,
        needed: 0,
        refusedLookups: 0,
        lookup: 1,
        retries429: 0,
        failed429: 0,
      },
    ]),
  );
  /** Why revocations failed, with how many: the audit's FAILED entries. */
  const failures = new Map<string, number>();
  for (const entries of timelines.values()) {
    for (const targetId of targets) {
      const mine = entries.filter((e) => e.targetId === targetId);
      const stats = perTarget.get(targetId);
      if (!stats) continue;
      const terminal = mine.filter((e) => ['VERIFIED', 'NO_ACCOUNT', 'FAILED'].includes(e.step)).at(-1);
      const outcome: Outcome =
        terminal?.step === 'VERIFIED'
          ? 'verified'
          : terminal?.step === 'NO_ACCOUNT'
            ? 'no-account'
            : terminal?.step === 'FAILED'
              ? 'failed'
              : 'unfinished';
      if (outcome === 'verified') stats.verified++;
      if (outcome === 'no-account') stats.noAccount++;
      if (outcome === 'failed') stats.failed++;
      if (outcome === 'unfinished') stats.unfinished++;
      if (terminal && (outcome === 'verified' || outcome === 'no-account')) {
        lastDone = Math.max(lastDone, Date.parse(terminal.at));
        stats.needed += evidenceRequests(terminal).filter((r) => r.status !== 429).length;
      }
      const refusals = mine.filter((e) => e.step === 'REFUSED').length;
      stats.held += refusals;
      stats.refusedLookups += refusals;
      if (terminal?.step === 'NO_ACCOUNT') stats.lookup = evidenceRequests(terminal).length;
      if (terminal?.step === 'FAILED') {
        const why = `${targetId}: ${String(terminal.detail?.error)}: ${String(terminal.detail?.cause).slice(0, 160)}`;
        failures.set(why, (failures.get(why) ?? 0) + 1);
      }
      for (const e of mine) {
        if (e.detail?.status !== 429) continue;
        if (e.step === 'RETRY') stats.retries429++;
        if (e.step === 'FAILED') stats.failed429++;
      }
    }
  }
  // Each held revocation looked the account up before the guard held it: as many requests as a
  // lookup that found nothing (a NO_ACCOUNT's evidence) made at that application.
  for (const s of perTarget.values()) s.needed += s.refusedLookups * s.lookup;
  // When each phase ran, from the audit: where the time between ingest and the last VERIFIED went.
  const span = (step: string) => {
    const times = eventIds.flatMap((id) =>
      (timelines.get(id) ?? []).filter((e) => e.step === step).map((e) => Date.parse(e.at) - started),
    );
    return times.length === 0
      ? `${step} -`
      : `${step} ${(Math.min(...times) / 1000).toFixed(1)}–${(Math.max(...times) / 1000).toFixed(1)} s`;
  };
  console.log(
    `\nbulk phases (s after the first delivery, first–last): ${['RECEIVED', 'PLANNED', 'REFUSED', 'APPROVED', 'VERIFIED'].map(span).join(', ')}`,
  );
  const depths = await queueDepths(runtime.sqs);
  const dlqOf = (targetId: string) => runtime.lanes.get(targetId)?.dlqUrl.split('/').at(-1) ?? '';
  const elapsedS = (lastDone - started) / 1000;
  const answeredAt = (targetId: string) => apps.get(targetId)?.rateLimit?.answered ?? 0;
  const floorS = Math.max(...targets.map((t) => answeredAt(t) / RATE));
  const failed = [...perTarget.values()].reduce((sum, s) => sum + s.failed + s.unfinished, 0);
  for (const [why, count] of failures) console.log(`failed ×${count}: ${why}`);

  console.log(
    '\ntarget   verified  no-account  held→approved  failed  unfinished  answered  in evidence  429s  429-cut attempts (failed)  req/s  floor s  DLQ',
  );
  for (const [targetId, s] of perTarget) {
    const app = apps.get(targetId);
    const answered = answeredAt(targetId);
    const cut = `${s.retries429 + s.failed429} (${s.failed429})`;
    console.log(
      `${targetId.padEnd(8)} ${String(s.verified).padStart(8)}  ${String(s.noAccount).padStart(10)}  ${String(s.held).padStart(13)}  ${String(s.failed).padStart(6)}  ${String(s.unfinished).padStart(10)}  ${String(answered).padStart(8)}  ${String(s.needed).padStart(11)}  ${String(app?.rateLimit?.throttled ?? 0).padStart(4)}  ${cut.padStart(25)}  ${(answered / elapsedS).toFixed(1).padStart(5)}  ${(answered / RATE).toFixed(1).padStart(7)}  ${String(depths.deadLetters.get(dlqOf(targetId)) ?? 0).padStart(3)}`,
    );
  }
  // Where a revocation's time went, per target: from its FOUND to its VERIFIED (its lookup
  // before FOUND is left out), the share its requests spent waiting for the rate budget and being
  // answered, and how many revocations were in flight on average over the run.
  console.log('\ntarget   revocation FOUND→VERIFIED: median  p95   budget wait  answered  in flight (mean)');
  for (const targetId of targets) {
    const spans: number[] = [];
    let wait = 0;
    let answered = 0;
    for (const entries of timelines.values()) {
      const mine = entries.filter((e) => e.targetId === targetId);
      const found = mine.filter((e) => e.step === 'FOUND').at(-1);
      const verified = mine.find((e) => e.step === 'VERIFIED');
      if (!found || !verified) continue;
      spans.push(Date.parse(verified.at) - Date.parse(found.at));
      for (const r of (verified.detail?.requests ?? []) as { durationMs?: number; waitMs?: number }[]) {
        wait += r.waitMs ?? 0;
        answered += r.durationMs ?? 0;
      }
    }
    spans.sort((a, b) => a - b);
    const total = spans.reduce((a, b) => a + b, 0);
    const q = (f: number) => spans[Math.min(spans.length - 1, Math.floor(f * spans.length))] ?? 0;
    console.log(
      `${targetId.padEnd(8)} ${String(q(0.5)).padStart(27)} ms ${String(q(0.95)).padStart(5)} ms ${((100 * wait) / Math.max(1, total)).toFixed(0).padStart(10)}%  ${((100 * answered) / Math.max(1, total)).toFixed(0).padStart(7)}%  ${(total / 1000 / elapsedS).toFixed(1).padStart(16)}`,
    );
  }
  const urgentEntries = timelines.get(urgentEventId) ?? [];
  const received = Date.parse(urgentEntries.find((e) => e.step === 'RECEIVED')?.at ?? '');
  const urgentVerified = targets.map((t) =>
    urgentEntries.find((e) => e.step === 'VERIFIED' && e.targetId === t),
  );
  const urgentS = urgentVerified.every(Boolean)
    ? (Math.max(...urgentVerified.map((e) => Date.parse(e?.at ?? ''))) - received) / 1000
    : undefined;
  const approvedAt = operator.approvedAt.get(urgentEventId);
  console.log(
    `\noperator: burst of ${LEAVERS + 1} approved at every target until the timeout ${operator.burstAt === undefined ? 'never (nothing held)' : `${operator.burstAt - started} ms into the run`}; ${operator.approvedAt.size} held events approved (${operator.refused} approvals refused), first hold released after ${operator.firstApprovalMs(started)} ms`,
  );
  console.log(
    `priority leaver ${urgent.employeeId} (involuntary): injected ${(((injectedAt ?? started) - started) / 1000).toFixed(1)} s into the run (${injectedWhen})${approvedAt ? `, held and approved ${((approvedAt - received) / 1000).toFixed(1)} s after ingest` : ', not held'}; per target: ${targets.map((t, i) => `${t} ${urgentVerified[i] ? `${((Date.parse(urgentVerified[i]?.at ?? '') - received) / 1000).toFixed(1)} s` : 'not verified'}`).join(', ')}`,
  );
  // The whole process's CPU (runtime, emulators and demo applications alike): on a shared machine
  // the wall time stretches with the load, the CPU a leaver costs much less so.
  const cpu = process.cpuUsage(cpuAtStart);
  const cpuS = (cpu.user + cpu.system) / 1e6;
  console.log(
    `CPU ${cpuS.toFixed(1)} s for the process from the first delivery (${((cpuS * 1000) / (LEAVERS + 1)).toFixed(0)} ms a leaver, ${((cpuS / elapsedS) * 100).toFixed(0)}% of one core over the run; GC and I/O threads count too)`,
  );
  console.log(
    `completion ${elapsedS.toFixed(1)} s (first delivery to last verified); floor ${floorS.toFixed(1)} s = the busiest application's answered requests ÷ ${RATE}/s (${(elapsedS / Math.max(...[...perTarget.values()].map((s) => s.needed / RATE))).toFixed(2)}x the stricter in-evidence floor)${timedOut ? `; TIMED OUT after ${TIMEOUT_S} s` : ''}; load ${loadAverage()}`,
  );
  const deadLettered = [...depths.deadLetters.values()].reduce((a, b) => a + b, 0);
  // The trace's tables before the last line, which stays the summary.
  for (const line of trace?.report(timelines) ?? []) console.log(line);
  console.log(
    `bulk: ${LEAVERS} leavers x ${targets.length} targets: ${(elapsedS / floorS).toFixed(2)}x floor, ${failed} failed, ${deadLettered} dead-lettered, priority leaver ${urgentS === undefined ? 'not verified' : `verified in ${urgentS.toFixed(1)} s`}`,
  );
}

function evidenceRequests(entry: AuditEntry): { status: number }[] {
  return (entry.detail?.requests ?? []) as { status: number }[];
}
