// The latency chart of an evidence report: per application, a bar to the median and a thinner one
// to the p95 of verified revocations, against a dashed line at the SLA. Inline SVG, no script,
// nothing fetched: the HTML report opens offline.
import { escapeHtml } from './html-escape.ts';
import { type ApplicationStats, formatSeconds } from './summary.ts';

const WIDTH = 760;
const LABEL = 230;
const ROW = 30;
const TOP = 28;
const PLOT = WIDTH - LABEL - 80;

export function latencyChart(applications: readonly ApplicationStats[], slaMinutes: number): string {
  const shown = applications.filter((a) => a.p95Seconds !== undefined);
  if (shown.length === 0)
    return '<p class="muted">No verified revocations in the period: nothing to chart.</p>';
  const sla = slaMinutes * 60;
  // Scaled to the slowest p95, so seconds stay visible under an SLA of an hour; the SLA line is
  // drawn only where it falls on the chart.
  const slowest = Math.max(...shown.map((a) => a.p95Seconds ?? 0), 1);
  const scale = sla <= slowest * 1.25 ? Math.max(sla, slowest) : slowest;
  const slaShown = sla <= scale;
  const x = (seconds: number) => LABEL + (seconds / scale) * PLOT;
  const height = TOP + shown.length * ROW + 24;
  const bars = shown.map((a, i) => {
    const y = TOP + i * ROW;
    const median = a.medianSeconds ?? 0;
    const p95 = a.p95Seconds ?? 0;
    const late = p95 > sla;
    return [
      `<g data-target="${escapeHtml(a.targetId)}">`,
      `<title>${escapeHtml(a.application)}: median ${formatSeconds(median)}, p95 ${formatSeconds(p95)} (${a.verified} verified)</title>`,
      `<text x="${LABEL - 8}" y="${y + 18}" text-anchor="end" class="label">${escapeHtml(truncate(a.application, 30))}</text>`,
      `<rect x="${LABEL}" y="${y + 4}" width="${(x(p95) - LABEL).toFixed(1)}" height="20" class="${late ? 'p95 late' : 'p95'}"/>`,
      `<rect x="${LABEL}" y="${y + 8}" width="${(x(median) - LABEL).toFixed(1)}" height="12" class="median"/>`,
      `<text x="${(x(p95) + 6).toFixed(1)}" y="${y + 18}" class="value">${escapeHtml(formatSeconds(p95))}</text>`,
      '</g>',
    ].join('');
  });
  const slaX = x(sla).toFixed(1);
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" role="img" aria-labelledby="latency-title" width="${WIDTH}" height="${height}" viewBox="0 0 ${WIDTH} ${height}" class="chart">`,
    '<title id="latency-title">Latency per application: median and p95 from the termination to the verified revocation</title>',
    `<text x="${LABEL}" y="16" class="legend"><tspan class="key-median">■</tspan> median  <tspan class="key-p95">■</tspan> p95  (SLA ${slaMinutes} min${slaShown ? ': dashed line' : ', beyond the slowest p95'})</text>`,
    ...bars,
    ...(slaShown
      ? [
          `<line x1="${slaX}" y1="${TOP - 4}" x2="${slaX}" y2="${height - 20}" class="sla"/>`,
          `<text x="${slaX}" y="${height - 6}" text-anchor="middle" class="legend">SLA</text>`,
        ]
      : []),
    '</svg>',
  ].join('\n');
}

function truncate(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}
