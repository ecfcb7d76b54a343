// An evidence report as one self-contained HTML file an auditor opens offline: inline CSS, an
// inline SVG chart, no script, and a Content-Security-Policy that forbids fetching anything.
// Summary first, then per application, failures, owner tasks, the coverage ledger, every row.
import { latencyChart } from './chart.ts';
import { taskState } from './csv.ts';
import { escapeHtml as e } from './html-escape.ts';
import type { EvidenceReport } from './report.ts';
import type { ReportRow } from './rows.ts';
import { formatSeconds, formatShare, withinSla } from './summary.ts';

const STYLE = `
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",sans-serif;color:#1b1f24;margin:2rem auto;max-width:1200px;padding:0 1rem}
h1{font-size:1.5rem;margin-bottom:.2rem}h2{font-size:1.15rem;margin-top:2rem;border-bottom:1px solid #d0d7de;padding-bottom:.2rem}
.muted{color:#57606a}table{border-collapse:collapse;width:100%;margin:.5rem 0}
th,td{border:1px solid #d0d7de;padding:.25rem .5rem;text-align:left;vertical-align:top}
th{background:#f6f8fa}td.num{text-align:right;font-variant-numeric:tabular-nums}
.cards{display:grid;grid-template-columns:repeat(auto-fill,minmax(170px,1fr));gap:.6rem;margin:1rem 0}
.card{border:1px solid #d0d7de;border-radius:6px;padding:.6rem .8rem}.card .v{font-size:1.4rem;font-weight:600}
.bad{color:#b42318}.good{color:#1a7f37}
.chart .label,.chart .value,.chart .legend{font-size:12px;fill:#1b1f24}.chart .median{fill:#0969da}
.chart .p95{fill:#9ec5fe}.chart .p95.late{fill:#f4a6a0}.chart .sla{stroke:#b42318;stroke-dasharray:4 3}
.key-median{fill:#0969da}.key-p95{fill:#9ec5fe}
@media print{details{display:block}body{margin:0}}`;

const metric = (name: string, label: string, value: string | number, tone = '') =>
  `<div class="card"><div class="muted">${e(label)}</div><div class="v ${tone}" data-metric="${name}">${e(value)}</div></div>`;

function table(headers: readonly string[], rows: readonly string[], empty: string): string {
  if (rows.length === 0) return `<p class="muted">${e(empty)}</p>`;
  return `<table><thead><tr>${headers.map((h) => `<th>${e(h)}</th>`).join('')}</tr></thead><tbody>${rows.join('\n')}</tbody></table>`;
}

const td = (value: string | number | undefined, name?: string, num = false) =>
  `<td${num ? ' class="num"' : ''}${name ? ` data-col="${name}"` : ''}>${e(value ?? '')}</td>`;

export function renderHtml(report: EvidenceReport): string {
  const { summary, period } = report;
  const sla = summary.slaMinutes;
  const failed = summary.failures.filter((r) => r.outcome === 'failed' || r.outcome === 'refused').length;
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>scimitar evidence report ${e(period.from)} to ${e(period.to)}</title>
<style>${STYLE}</style></head><body>
<h1>Leaver revocation evidence: ${e(period.from)} to ${e(period.to)}</h1>
<p class="muted">Stack ${e(report.stackName)} · generated ${e(report.generatedAt)} · UTC days, both included ·
SLA: verified within ${e(sla)} minutes of the termination's start · every row cites its audit entry</p>
<h2>Summary</h2>
<div class="cards">
${metric('leavers', 'Leavers', summary.leavers)}
${metric('people', 'People', summary.people)}
${metric('revocations', 'Revocations', summary.revocations)}
${metric('verified', 'Verified revoked', summary.verified)}
${metric('within-sla', `Verified within ${sla} min`, summary.verifiedWithinSla)}
${metric('within-sla-share', 'Share within the SLA', formatShare(summary.withinSlaShare), summary.withinSlaShare === 1 ? 'good' : summary.withinSlaShare === undefined ? '' : 'bad')}
${metric('failures', 'Failed or held now', failed, failed > 0 ? 'bad' : 'good')}
${metric('failures-seen', 'Failures seen (any end)', summary.failures.length)}
${metric('cancelled', 'Cancelled before start', summary.cancelled)}
${metric('tasks', 'Manual tasks', summary.tasks.total)}
${metric('tasks-acked', 'Tasks acknowledged', summary.tasks.acked)}
${metric('tasks-open', 'Tasks open', summary.tasks.open, summary.tasks.open > 0 ? 'bad' : '')}
${metric('tasks-overdue', 'Tasks overdue', summary.tasks.overdue, summary.tasks.overdue > 0 ? 'bad' : '')}
${metric('tasks-untracked', 'Tasks not tracked', summary.tasks.untracked)}
</div>
<h2>Latency per application</h2>
${latencyChart(summary.applications, sla)}
<h2>Per application</h2>
${table(
  [
    'Application',
    'Target',
    'Leavers',
    'Revocations',
    'Verified',
    `Within ${sla} min`,
    'Failed or held',
    'Median',
    'p95',
    'Slowest',
  ],
  summary.applications.map(
    (a) =>
      `<tr data-target="${e(a.targetId)}">${td(a.application)}${td(a.targetId)}${td(a.leavers, 'leavers', true)}${td(a.revocations, 'revocations', true)}${td(a.verified, 'verified', true)}${td(a.withinSla, 'within-sla', true)}${td(a.failed, 'failed', true)}${td(formatSeconds(a.medianSeconds), 'median', true)}${td(formatSeconds(a.p95Seconds), 'p95', true)}${td(formatSeconds(a.maxSeconds), 'max', true)}</tr>`,
  ),
  'No leavers in the period.',
)}
<h2>Failures and how each ended</h2>
${table(
  ['Event', 'Person', 'Application', 'Outcome', 'Failure', 'How it ended', 'Evidence'],
  summary.failures.map(
    (r) =>
      `<tr data-event="${e(r.eventId)}" data-target="${e(r.targetId)}">${td(r.eventId)}${td(r.personId)}${td(r.application)}${td(r.outcome, 'outcome')}${td(r.failure)}${td(r.ended, 'ended')}${td(r.evidence)}</tr>`,
  ),
  'No revocation failed or was held in the period.',
)}
<h2>Manual tasks</h2>
${table(
  ['Task', 'Event', 'Person', 'Application', 'State'],
  report.rows
    .filter((r) => r.action === 'manual')
    .map(
      (r) =>
        `<tr data-event="${e(r.eventId)}" data-target="${e(r.targetId)}">${td(r.task?.taskId ?? '')}${td(r.eventId)}${td(r.personId)}${td(r.application)}${td(taskState(r), 'task-state')}</tr>`,
    ),
  'No leaver had an application without automated revocation.',
)}
${coverageSection(report)}
<h2>Every leaver × application</h2>
<details open><summary>${e(report.rows.length)} rows (the CSV export has the same rows)</summary>
${table(
  [
    'Event',
    'Person',
    'Effective',
    'Application',
    'Action',
    'Verified',
    'Latency',
    'Within SLA',
    'Outcome',
    'Evidence',
  ],
  report.rows.map((r) => rowLine(r, sla)),
  'No rows.',
)}
</details>
${cancelledSection(report)}
</body></html>
`;
}

function rowLine(r: ReportRow, sla: number): string {
  const inSla = r.latencySeconds === undefined ? '' : withinSla(r, sla) ? 'yes' : 'no';
  return `<tr data-event="${e(r.eventId)}" data-target="${e(r.targetId)}">${td(r.eventId)}${td(r.personId)}${td(r.effectiveAt)}${td(r.application)}${td(r.action)}${td(r.verifiedAt)}${td(r.latencySeconds, 'latency', true)}${td(inSla)}${td(r.outcome, 'outcome')}${td(r.evidence)}</tr>`;
}

function coverageSection(report: EvidenceReport): string {
  if (!report.coverage) return '<h2>Coverage ledger</h2><p class="muted">Not gathered for this report.</p>';
  const { coverage } = report;
  return `<h2>Coverage ledger</h2>
<p class="muted">Every configured application as of ${e(coverage.generatedAt)}: SCIM-integrated, other automation, accepted gap or unmanaged risk.</p>
${table(
  [
    'Application',
    'Tier',
    'Kind',
    'Status',
    'Owner',
    'Last complete reconciliation',
    'Last verified revocation',
    'Credential',
    'Why',
  ],
  coverage.entries.map(
    (c) =>
      `<tr data-target="${e(c.targetId)}">${td(c.displayName)}${td(c.tier)}${td(c.kind)}${td(c.status, 'coverage')}${td(c.owner)}${td(c.lastCompleteReconciliation)}${td(c.lastVerifiedRevocation)}${td(c.credential)}${td([...c.reasons, c.compensatingControl ? `control: ${c.compensatingControl}` : ''].filter(Boolean).join('; '))}</tr>`,
  ),
  'No applications configured.',
)}`;
}

function cancelledSection(report: EvidenceReport): string {
  if (report.cancelled.length === 0) return '';
  return `<h2>Terminations cancelled before their start</h2>
${table(
  ['Event', 'Reason'],
  report.cancelled.map((c) => `<tr>${td(c.eventId)}${td(c.reason)}</tr>`),
  '',
)}`;
}
