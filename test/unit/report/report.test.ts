import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../../lambdas/core/model/config.ts';
import { buildEvidenceReport } from '../../../lambdas/core/report/report.ts';
import { reportFormat } from '../../../local/cli/report-command.ts';
import sample from '../../../scimitar.config.ts';
import { FixedClock } from '../../support/recorders.ts';
import { InMemoryLeaverEvidence } from '../../support/report-evidence.ts';
import { plannedLeaver, verifiedLane } from '../../support/report-fixtures.ts';

const ada = { eventId: 'evt-ada', personId: 'E1', at: '2026-07-10T09:00:00.000Z' };
// Verified 301 s after its start: within an hour, not within 5 minutes.
const events = new Map([
  [
    ada.eventId,
    [
      ...plannedLeaver({ ...ada, lanes: [{ targetId: 'code', action: 'deactivate' }] }),
      ...verifiedLane(ada, 'code', 302),
    ],
  ],
]);
const build = (config: ReturnType<typeof parseConfig>) =>
  buildEvidenceReport(
    { from: '2026-07-01', to: '2026-07-31' },
    {
      config,
      evidence: new InMemoryLeaverEvidence(events),
      clock: new FixedClock(new Date('2026-08-01T00:00:00Z')),
    },
  );

describe('evidence report: the SLA from the config', () => {
  it('measures against report.slaMinutes, 60 unless the config says otherwise', async () => {
    expect(parseConfig(sample).report.slaMinutes).toBe(60);
    const hour = await build(parseConfig(sample));
    expect(hour.summary).toMatchObject({ slaMinutes: 60, revocations: 1, verifiedWithinSla: 1 });
    const strict = await build(parseConfig({ ...sample, report: { slaMinutes: 5 } }));
    expect(strict.summary).toMatchObject({ slaMinutes: 5, revocations: 1, verifiedWithinSla: 0 });
  });

  it('refuses an SLA that is not a whole number of minutes, naming the field', () => {
    expect(() => parseConfig({ ...sample, report: { slaMinutes: 0 } })).toThrow(/report\.slaMinutes/);
    expect(() => parseConfig({ ...sample, report: { slaMinutes: 1.5 } })).toThrow(/report\.slaMinutes/);
  });
});

describe('scimitar report: the format', () => {
  it('takes --format, else the extension of --out, else csv', () => {
    expect(reportFormat({ format: 'html', out: 'q3.csv' })).toBe('html');
    expect(reportFormat({ out: 'reports/q3.HTML' })).toBe('html');
    expect(reportFormat({ out: 'q3.json' })).toBe('json');
    expect(reportFormat({})).toBe('csv');
  });

  it('refuses a format it does not write, and an --out whose extension is none of them', () => {
    expect(() => reportFormat({ format: 'pdf' })).toThrow(/--format "pdf": a report is csv, json or html/);
    expect(() => reportFormat({ out: 'q3.xlsx' })).toThrow(/--out "q3.xlsx".*give --format csv\|json\|html/);
  });
});
