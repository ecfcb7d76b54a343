// The HTML evidence report in a real browser (Debian's Chromium, headless): it renders offline
// with no console errors and no request beyond its own file, and the numbers it shows are the
// ones the CSV of the same report gives, recomputed here from the CSV alone.
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { type BrowserContext, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AuditEntry } from '../../../lambdas/core/model/audit.ts';
import { parseConfig } from '../../../lambdas/core/model/config.ts';
import { coverageReport } from '../../../lambdas/core/reconcile/coverage.ts';
import { renderCsv } from '../../../lambdas/core/report/csv.ts';
import { renderHtml } from '../../../lambdas/core/report/html.ts';
import { buildEvidenceReport, type EvidenceReport } from '../../../lambdas/core/report/report.ts';
import { formatSeconds, formatShare } from '../../../lambdas/core/report/summary.ts';
import sample from '../../../scimitar.config.ts';
import { FixedClock } from '../../support/recorders.ts';
import { InMemoryLeaverEvidence, parseCsv } from '../../support/report-evidence.ts';
import { type LeaverScript, laneEntry, plannedLeaver, verifiedLane } from '../../support/report-fixtures.ts';

const CHROMIUM = '/usr/bin/chromium';
const FLAGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

// An application name an HR or config author could write: it must show as text, never run.
const config = parseConfig({
  ...sample,
  targets: sample.targets.map((t) =>
    t.id === 'wiki' ? { ...t, displayName: 'Wiki <script>window.ran=1</script>' } : t,
  ),
});
const now = new Date('2026-10-02T08:00:00Z');

/** Thirty leavers of Q3: latencies from seconds to hours, a dead-lettered and a redriven lane, manual tasks. */
function quarter(): Map<string, AuditEntry[]> {
  const events = new Map<string, AuditEntry[]>();
  for (let i = 0; i < 30; i++) {
    const s: LeaverScript = {
      eventId: `q3-${String(i).padStart(2, '0')}`,
      personId: `E${100 + i}`,
      at: new Date(Date.parse('2026-07-01T08:00:00Z') + i * 3 * 86_400_000).toISOString(),
      lanes: [
        { targetId: 'code', action: 'deactivate' },
        { targetId: 'chat', action: 'delete' },
        { targetId: 'wiki', action: 'deactivate' },
      ],
      settled: [{ targetId: 'payroll', status: 'manual-task', reason: 'owner told' }],
    };
    const entries = [...plannedLeaver(s), ...verifiedLane(s, 'code', 2 + i)];
    if (i === 7) {
      entries.push(
        laneEntry(s, 'chat', 30, 'FAILED', { error: 'ScimServerError', cause: '503', attempt: 5 }),
      );
      entries.push(laneEntry(s, 'chat', 30, 'DLQ', { attempt: 5 }));
    } else if (i === 11) {
      entries.push(laneEntry(s, 'chat', 30, 'FAILED', { error: 'ScimServerError', cause: '502' }));
      entries.push(...verifiedLane(s, 'chat', 5400, 'delete'), laneEntry(s, 'chat', 5400, 'REDRIVEN'));
    } else entries.push(...verifiedLane(s, 'chat', 10 + 7 * i, 'delete'));
    entries.push(...verifiedLane(s, 'wiki', i % 5 === 0 ? 4000 : 60 + i));
    entries.push(laneEntry(s, 'payroll', 1, 'MANUAL_TASK', {}, 'plan'));
    events.set(s.eventId, entries);
  }
  return events;
}

let report: EvidenceReport;
let csv: ReturnType<typeof parseCsv>;
let context: BrowserContext;
let page: Page;
const consoleErrors: string[] = [];
const requests: string[] = [];
let fileUrl: string;

beforeAll(async () => {
  if (!existsSync(CHROMIUM)) {
    throw new Error(
      `no ${CHROMIUM}: the report's browser test needs Debian's Chromium (apt-get install -y chromium)`,
    );
  }
  const events = quarter();
  const tasks = new Map([
    [
      'q3-00',
      {
        taskId: 'T-00000000',
        status: 'acked' as const,
        ackedBy: 'hr@example.com',
        ackedAt: '2026-07-02T10:00:00Z',
      },
    ],
    ['q3-01', { taskId: 'T-00000001', status: 'open' as const, dueAt: '2026-07-08T08:00:01Z' }],
    ['q3-29', { taskId: 'T-00000029', status: 'open' as const, dueAt: '2026-10-30T08:00:01Z' }],
  ]);
  report = await buildEvidenceReport(
    { from: '2026-07-01', to: '2026-09-30' },
    {
      config,
      evidence: new InMemoryLeaverEvidence(events),
      tasks: { task: async (eventId) => tasks.get(eventId) },
      coverage: async () => coverageReport(config, { reconciliations: {}, lastVerifiedRevocations: {} }, now),
      clock: new FixedClock(now),
    },
  );
  csv = parseCsv(renderCsv(report));
  const dir = mkdtempSync(join(tmpdir(), 'scimitar-report-html-'));
  const file = join(dir, 'q3.html');
  writeFileSync(file, renderHtml(report));
  fileUrl = pathToFileURL(file).href;
  context = await chromium.launchPersistentContext(join(dir, 'profile'), {
    executablePath: CHROMIUM,
    headless: true,
    args: FLAGS,
    offline: true,
  });
  context.on('request', (request) => requests.push(request.url()));
  page = await context.newPage();
  page.on('console', (message) => {
    if (message.type() === 'error') consoleErrors.push(message.text());
  });
  page.on('pageerror', (err) => consoleErrors.push(err.message));
  await page.goto(fileUrl, { waitUntil: 'load' });
}, 60_000);

afterAll(async () => context?.close());

const metric = async (name: string) => (await page.locator(`[data-metric="${name}"]`).textContent())?.trim();
const cell = async (targetId: string, col: string) =>
  (await page.locator(`tr[data-target="${targetId}"] td[data-col="${col}"]`).first().textContent())?.trim();

/** Nearest rank, as an auditor would recompute it from the CSV. */
const nearestRank = (values: number[], p: number) =>
  [...values].sort((a, b) => a - b)[Math.max(0, Math.ceil((p / 100) * values.length) - 1)];

describe('HTML evidence report in Chromium', () => {
  it('renders offline: no console error, no request beyond its own file, no script run', async () => {
    expect(consoleErrors).toEqual([]);
    expect(requests).toEqual([fileUrl]);
    expect(await page.evaluate(() => (globalThis as { ran?: number }).ran)).toBeUndefined();
    expect(await page.locator('script').count()).toBe(0);
    expect(await page.locator('tr[data-target="wiki"] td').first().textContent()).toBe(
      'Wiki <script>window.ran=1</script>',
    );
  });

  it('shows the summary the CSV gives: leavers, revocations, verified within the SLA, tasks', async () => {
    const revocations = csv.filter(
      (r) => ['deactivate', 'delete'].includes(r.action ?? '') && r.outcome !== 'dry-run',
    );
    const within = revocations.filter((r) => r.within_sla === 'yes');
    expect(Number(await metric('leavers'))).toBe(new Set(csv.map((r) => r.event_id)).size);
    expect(Number(await metric('revocations'))).toBe(revocations.length);
    expect(Number(await metric('within-sla'))).toBe(within.length);
    expect(await metric('within-sla-share')).toBe(formatShare(within.length / revocations.length));
    expect(Number(await metric('failures'))).toBe(csv.filter((r) => r.outcome === 'failed').length);
    const manual = csv.filter((r) => r.action === 'manual');
    expect(Number(await metric('tasks'))).toBe(manual.length);
    expect(Number(await metric('tasks-acked'))).toBe(
      manual.filter((r) => r.task_state?.startsWith('acknowledged')).length,
    );
    expect(Number(await metric('tasks-overdue'))).toBe(
      manual.filter((r) => r.task_state?.includes('overdue')).length,
    );
    expect(Number(await metric('tasks-untracked'))).toBe(
      manual.filter((r) => r.task_state === 'not tracked').length,
    );
    // The fixture has what each figure is about: not a report of zeros.
    expect([revocations.length, within.length, revocations.length - within.length]).toEqual([90, 82, 8]);
  });

  it('shows median and p95 latency per application as the CSV gives them, with a bar per application', async () => {
    for (const targetId of ['code', 'chat', 'wiki']) {
      const latencies = csv
        .filter((r) => r.target_id === targetId && r.latency_seconds !== '')
        .map((r) => Number(r.latency_seconds));
      expect(await cell(targetId, 'median')).toBe(formatSeconds(nearestRank(latencies, 50)));
      expect(await cell(targetId, 'p95')).toBe(formatSeconds(nearestRank(latencies, 95)));
      expect(Number(await cell(targetId, 'verified'))).toBe(latencies.length);
      const bar = page.locator(`svg.chart g[data-target="${targetId}"] rect.p95`);
      expect((await bar.boundingBox())?.width).toBeGreaterThan(0);
    }
    expect(await page.locator('svg.chart g[data-target]').count()).toBe(3);
  });

  it('lists every row of the CSV, and each failure with how it ended', async () => {
    expect(await page.locator('details tbody tr').count()).toBe(csv.length);
    const dlq = page.locator('tr[data-event="q3-07"][data-target="chat"] td[data-col="ended"]').first();
    expect(await dlq.textContent()).toBe(
      csv.find((r) => r.event_id === 'q3-07' && r.target_id === 'chat')?.ended,
    );
    const redriven = page.locator('tr[data-event="q3-11"][data-target="chat"] td[data-col="ended"]').first();
    expect(await redriven.textContent()).toBe('redriven from the dead-letter queue, then verified');
    expect(await page.locator('td[data-col="coverage"]').count()).toBe(config.targets.length);
  });
});
