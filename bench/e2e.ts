// Benchmark, not a test: the whole local pipeline (ingest → workflow → lanes → SCIM → verify) for
// 1, 10 and 100 concurrent terminations across the demo applications. Per revoked target: the time
// from ingest (RECEIVED) to its VERIFIED entry, and the demo application's own share of it (the
// summed durations of the SCIM requests that revocation made, from the evidence). The ratio says
// how much of the end-to-end time the pipeline adds around the applications' own work; the
// overhead column says it in milliseconds, and makespan ÷ floor compares a batch's whole run with
// the least time the lanes' concurrency allows for the same SCIM work.
//   npm run bench:e2e                         (1, 10, 100)
//   BENCH_BATCHES=1,10,100,200 npm run bench:e2e
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { laneMaxConcurrency } from '../lambdas/aws/target-env.ts';
import { GENERIC_SIGNATURE_HEADER, signGeneric } from '../lambdas/core/ingest/signature.ts';
import { parseConfig, type ScimTargetConfig } from '../lambdas/core/model/config.ts';
import { observeAwsCalls, type TimedAwsCall } from '../local/aws-calls.ts';
import { demoPeople } from '../local/demo-people.ts';
import { startLocalRuntime } from '../local/runtime.ts';
import sample from '../scimitar.config.ts';

const BATCHES = (process.env.BENCH_BATCHES ?? '1,10,100').split(',').map(Number);
const people = demoPeople(BATCHES.reduce((a, b) => a + b, 0) + 5);
const dataDir = mkdtempSync(join(tmpdir(), 'scimitar-bench-'));
const parsedSample = parseConfig(sample);
// Every DynamoDB and SQS call of the runtime's clients, timed: the emulators' (dynalite's,
// fauxqs's) share of a run is the time at least one of them was in flight. Long polls
// (ReceiveMessage) are left out: an idle poller's wait is no one's cost.
const calls: TimedAwsCall[] = [];
observeAwsCalls((call) => {
  if (call.operation !== 'ReceiveMessage') calls.push(call);
});
const runtime = await startLocalRuntime({
  // The blast-radius guard would (rightly) refuse 100 leavers an hour, and the sample's rate
  // budgets (5 requests/s) would measure pacing, not the pipeline: both lifted for the benchmark
  // (the session target's budget too: its fake Okta answers at once).
  // Concurrency per target stays the sample's (two seconds of its own rate).
  config: parseConfig({
    ...sample,
    blastRadius: { maxShare: 1, floor: 10_000 },
    targets: sample.targets.map((t) =>
      t.kind === 'scim' || t.kind === 'session'
        ? {
            ...t,
            rateBudget: {
              requestsPerSecond: 1000,
              burst: t.rateBudget?.burst ?? 5,
              concurrency: laneMaxConcurrency(
                parsedSample.targets.find((p) => p.id === t.id) as ScimTargetConfig,
              ),
            },
          }
        : t,
    ),
  }),
  dataDir,
  port: 0,
  ephemeralPorts: true,
  people,
  logLevel: 'SILENT',
  print: () => {},
  // Only the pipeline is measured: no canary probes or reconciliation passes alongside.
  canary: false,
  reconcileOnSchedule: false,
});
const { readFileSync } = await import('node:fs');
const secrets = JSON.parse(readFileSync(join(dataDir, 'secrets.json'), 'utf8')) as Record<string, string>;
const key = secrets['Scimitar/sources/generic'] ?? '';

function quantile(sorted: number[], q: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))] ?? Number.NaN;
}
const fmt = (ms: number) => `${ms.toFixed(0).padStart(6)} ms`;

/** Milliseconds of [from, to] (epoch ms) in which an emulator call was in flight, and the calls that started in it. */
function emulatorWait(from: number, to: number): { ms: number; count: number } {
  const origin = performance.timeOrigin;
  const spans = calls
    .map((c) => [origin + c.startedMs, origin + c.endedMs] as const)
    .filter(([start, end]) => end > from && start < to)
    .map(([start, end]) => [Math.max(start, from), Math.min(end, to)] as const)
    .sort((a, b) => a[0] - b[0]);
  let ms = 0;
  let reach = from;
  for (const [start, end] of spans) {
    if (end <= reach) continue;
    ms += end - Math.max(start, reach);
    reach = end;
  }
  return { ms, count: spans.length };
}

const TRACE = process.env.BENCH_TRACE === '1';
/**
 * BENCH_TRACE=1: a single leaver's path, in order: each DynamoDB and SQS call (from its start, its
 * round trip, who made it, what it named) and each evidence entry, from the delivery sent.
 */
function traceLeaver(
  from: number,
  to: number,
  entries: readonly { at: string; step: string; targetId?: string }[],
) {
  const origin = performance.timeOrigin;
  const lines: [number, string][] = [];
  for (const c of calls) {
    const start = origin + c.startedMs;
    if (start < from || start > to) continue;
    lines.push([
      start - from,
      `${(c.endedMs - c.startedMs).toFixed(1).padStart(6)} ms  ${`${c.entry ?? '?'}${c.targetId ? `/${c.targetId}` : ''}`.padEnd(22)} ${c.service}:${c.operation} ${c.resource ?? ''}`,
    ]);
  }
  for (const e of entries)
    lines.push([Date.parse(e.at) - from, `  evidence ${e.step}${e.targetId ? ` ${e.targetId}` : ''}`]);
  lines.sort((a, b) => a[0] - b[0]);
  for (const [at, line] of lines) console.log(`  +${at.toFixed(1).padStart(6)} ms ${line}`);
}

console.log(
  `scimitar end to end, local runtime (${runtime.config.targets.length} targets: ${[...runtime.lanes.keys()].join(', ')} + manual)`,
);
console.log(
  'batch  revocations   ingest→verified: median      p95      max   SCIM requests: median   ratio   overhead: median   makespan ÷ floor   CPU per leaver   emulators: waited   calls per leaver   ratio without',
);
let next = 0;
try {
  for (const batch of BATCHES) {
    const leavers = people.slice(next, next + batch);
    // The whole process's CPU: handlers, emulators and demo apps share it (on a shared machine,
    // steadier than wall time).
    const cpuBefore = process.cpuUsage();
    const sentAt = Date.now();
    next += batch;
    const eventIds = await Promise.all(
      leavers.map(async (p, i) => {
        const eventId = `bench-${batch}-${i}-${p.employeeId}`;
        const body = JSON.stringify({
          eventId,
          source: 'generic',
          occurredAt: new Date().toISOString(),
          kind: 'termination',
          terminationType: 'voluntary',
          person: {
            employeeId: p.employeeId,
            userName: p.userName,
            emails: p.emails,
            externalId: p.employeeId,
          },
        });
        const response = await fetch(`${runtime.url}/events/generic`, {
          method: 'POST',
          headers: {
            'content-type': 'application/json',
            [GENERIC_SIGNATURE_HEADER]: signGeneric(body, key, new Date()),
          },
          body,
        });
        if (response.status !== 202)
          throw new Error(`ingest answered ${response.status}: ${await response.text()}`);
        return eventId;
      }),
    );
    await runtime.workflow.idle();
    const cpu = process.cpuUsage(cpuBefore);
    const failed = [...runtime.workflow.executions.values()].filter((e) => e.status !== 'SUCCEEDED');
    if (failed.length)
      throw new Error(`${failed.length} executions did not succeed: ${failed[0]?.error} ${failed[0]?.cause}`);
    const endToEnd: number[] = [];
    const scim: number[] = [];
    // Per revocation, what the pipeline added around the app's own requests.
    const overhead: number[] = [];
    const scimPerTarget = new Map<string, { sum: number; longest: number }>();
    let first = Number.POSITIVE_INFINITY;
    let last = Number.NEGATIVE_INFINITY;
    for (const eventId of eventIds) {
      const entries = await runtime.audit.forEvent(eventId);
      const received = Date.parse(entries.find((e) => e.step === 'RECEIVED')?.at ?? '');
      first = Math.min(first, received);
      for (const verified of entries.filter((e) => e.step === 'VERIFIED')) {
        const took = Date.parse(verified.at) - received;
        const requests = (verified.detail?.requests ?? []) as { durationMs: number }[];
        const own = requests.reduce((sum, r) => sum + r.durationMs, 0);
        endToEnd.push(took);
        scim.push(own);
        overhead.push(took - own);
        const target = verified.targetId ?? '';
        const sofar = scimPerTarget.get(target) ?? { sum: 0, longest: 0 };
        scimPerTarget.set(target, { sum: sofar.sum + own, longest: Math.max(sofar.longest, own) });
        last = Math.max(last, Date.parse(verified.at));
      }
    }
    // The least time the lanes' concurrency allows: each target's SCIM time spread over its
    // event source's concurrent batches (and never less than its longest revocation), the slowest
    // target deciding.
    const floor = Math.max(
      ...[...scimPerTarget].map(([target, { sum, longest }]) =>
        Math.max(longest, sum / (runtime.lanes.get(target)?.source.settings.maxConcurrency ?? 1)),
      ),
    );
    endToEnd.sort((a, b) => a - b);
    scim.sort((a, b) => a - b);
    overhead.sort((a, b) => a - b);
    const ratio = quantile(endToEnd, 0.5) / quantile(scim, 0.5);
    // From the first delivery sent to the last VERIFIED: for a single leaver, its own path.
    const emulators = emulatorWait(sentAt, last);
    const without =
      batch === 1
        ? `${((quantile(endToEnd, 0.5) - emulators.ms) / quantile(scim, 0.5)).toFixed(1).padStart(4)}×`
        : '    -';
    if (TRACE && batch === 1) traceLeaver(sentAt, last, await runtime.audit.forEvent(eventIds[0] ?? ''));
    console.log(
      `${String(batch).padStart(5)}  ${String(endToEnd.length).padStart(11)}   ${fmt(quantile(endToEnd, 0.5))}  ${fmt(quantile(endToEnd, 0.95))}  ${fmt(endToEnd.at(-1) ?? Number.NaN)}   ${fmt(quantile(scim, 0.5))}   ${ratio.toFixed(1).padStart(4)}×          ${fmt(quantile(overhead, 0.5))}   ${((last - first) / floor).toFixed(1).padStart(15)}×   ${fmt((cpu.user + cpu.system) / 1000 / batch)}   ${fmt(emulators.ms)}   ${String(Math.round(emulators.count / batch)).padStart(16)}   ${without.padStart(13)}`,
    );
  }
  console.log(
    [
      '',
      "ratio = median ingest→verified / median time the demo app spent answering that revocation's SCIM requests.",
      "overhead = per revocation, ingest→verified minus the app's own request time (the pipeline's and the emulators' share).",
      "makespan ÷ floor = first RECEIVED to last VERIFIED / the slowest target's summed SCIM time ÷ its lane's concurrency (at least its longest revocation).",
      "CPU per leaver = the process's CPU time (user + system) during the batch ÷ its leavers: runtime, emulators and demo apps.",
      'emulators: waited = from the first delivery to the last VERIFIED, the time at least one DynamoDB (dynalite) or SQS',
      '(fauxqs) call was in flight, long polls left out; calls per leaver = those calls ÷ the batch; ratio without = for',
      'a single leaver, (ingest→verified − emulators waited) ÷ its SCIM requests: the pipeline with its emulators free.',
      `Lanes run at most their concurrency's revocations at once per target (${[...runtime.lanes].map(([id, lane]) => `${id} ${lane.source.settings.maxConcurrency}`).join(', ')}), so large batches queue by design.`,
      'The first batch meets a runtime that just started (modules, JIT, first connections of the handlers, the SDK, the',
      'emulators and the demo apps): BENCH_BATCHES=1,1,1 shows warm single leavers after it.',
    ].join('\n'),
  );
} finally {
  await runtime.stop();
}
