// The evidence report's ports in memory, and a CSV reader, for tests that check a rendered report
// against its CSV.
import type { AuditEntry } from '../../lambdas/core/model/audit.ts';
import type { ReportPeriod } from '../../lambdas/core/report/leaver-index.ts';
import { LeaverEvidence } from '../../lambdas/core/report/ports.ts';

/** Leavers whose plan falls in the period, from events' entries held in memory. */
export class InMemoryLeaverEvidence extends LeaverEvidence {
  constructor(private readonly events: ReadonlyMap<string, readonly AuditEntry[]>) {
    super();
  }

  async leaversIn(period: ReportPeriod): Promise<readonly string[]> {
    return [...this.events].flatMap(([eventId, entries]) => {
      const day = entries.find((e) => e.step === 'PLANNED')?.at.slice(0, 10);
      return day && day >= period.from && day <= period.to ? [eventId] : [];
    });
  }

  async forEvent(eventId: string): Promise<readonly AuditEntry[]> {
    return this.events.get(eventId) ?? [];
  }
}

/** RFC 4180 CSV to one record per line, keyed by the header's names. */
export function parseCsv(text: string): Record<string, string>[] {
  const lines: string[][] = [];
  let line: string[] = [];
  let cell = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') [cell, i] = [`${cell}"`, i + 1];
      else if (c === '"') quoted = false;
      else cell += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') [line, cell] = [[...line, cell], ''];
    else if (c === '\r' && text[i + 1] === '\n') {
      lines.push([...line, cell]);
      [line, cell, i] = [[], '', i + 1];
    } else cell += c;
  }
  const [header = [], ...rows] = lines;
  return rows.map((row) => Object.fromEntries(header.map((name, i) => [name, row[i] ?? ''])));
}
