// The evidence report end to end: terminations through the local runtime's real pipeline, then
// `scimitar report` read through the runtime's AWS endpoint (the same calls a deployed stack gets).
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EvidenceReport } from '../../lambdas/core/report/report.ts';
import { report } from '../../local/cli/report-command.ts';
import type { LocalRuntime } from '../../local/runtime.ts';
import { endedExecution } from '../support/events.ts';
import { postSigned, startTestRuntime, terminationOf } from '../support/local-runtime.ts';
import { parseCsv } from '../support/report-evidence.ts';

let runtime: LocalRuntime & { lines: string[] };
const eventIds: string[] = [];
beforeAll(async () => {
  runtime = await startTestRuntime();
  const sent = runtime.people.slice(0, 2).map((person) => terminationOf(person));
  for (const body of sent) {
    expect((await postSigned(runtime, body)).status).toBe(202);
    eventIds.push((JSON.parse(body) as { eventId: string }).eventId);
  }
  for (const eventId of eventIds) expect((await endedExecution(runtime, eventId)).status).toBe('SUCCEEDED');
}, 180_000);
afterAll(async () => runtime?.stop());

const day = (offset: number) => new Date(Date.now() + offset * 86_400_000).toISOString().slice(0, 10);
const dir = mkdtempSync(join(tmpdir(), 'scimitar-report-e2e-'));

describe('scimitar report on the local runtime', () => {
  it('gives each leaver a verified row per SCIM application and a manual row, in CSV and JSON alike', async () => {
    const csvFile = join(dir, 'leavers.csv');
    const jsonFile = join(dir, 'leavers.json');
    const period = { from: day(-1), to: day(1), url: runtime.url };
    await report({ ...period, out: csvFile });
    await report({ ...period, out: jsonFile });
    const rows = parseCsv(readFileSync(csvFile, 'utf8'));
    const json = JSON.parse(readFileSync(jsonFile, 'utf8')) as EvidenceReport;

    expect(new Set(rows.map((r) => r.event_id))).toEqual(new Set(eventIds));
    for (const eventId of eventIds) {
      const own = rows.filter((r) => r.event_id === eventId);
      expect(own.map((r) => [r.target_id, r.action, r.outcome])).toEqual([
        ['code', 'deactivate', 'revoked'],
        ['chat', 'delete', 'revoked'],
        ['wiki', 'deactivate', 'revoked'],
        // The demo's session target: the leaver's Okta sessions ended, verified by Okta's answer.
        ['sso', 'revoke-sessions', 'revoked'],
        ['payroll', 'manual', 'manual-task'],
      ]);
      for (const row of own.filter((r) => r.action !== 'manual')) {
        expect(String(row.verified_at) >= String(row.effective_at)).toBe(true);
        expect(row.within_sla).toBe('yes');
        expect(row.evidence).toMatch(new RegExp(`^audit:${eventId}/.*#VERIFIED#${row.target_id}#`));
      }
    }
    expect(json.summary).toMatchObject({ leavers: 2, revocations: 8, verified: 8, verifiedWithinSla: 8 });
    expect(json.rows).toHaveLength(rows.length);
    expect(json.coverage?.entries.map((e) => e.targetId).sort()).toEqual([
      'chat',
      'code',
      'payroll',
      'sso',
      'wiki',
    ]);
  });

  it("shows each manual row's owner task: open, then acknowledged by whom once acked", async () => {
    const period = { from: day(-1), to: day(1), url: runtime.url };
    const manualRows = async (name: string) => {
      const file = join(dir, name);
      await report({ ...period, out: file });
      return parseCsv(readFileSync(file, 'utf8')).filter((r) => r.action === 'manual');
    };
    const before = await manualRows('tasks-open.csv');
    expect(before).toHaveLength(eventIds.length);
    for (const row of before) {
      expect(row.task_id).toMatch(/^T-/);
      expect(row.task_state).toBe('open');
    }
    const acked = String(before[0]?.task_id);
    expect(await runtime.operator({ op: 'ack', taskId: acked, by: 'payroll-owner' })).toMatchObject({
      ok: true,
    });
    const after = await manualRows('tasks-acked.csv');
    expect(after.find((r) => r.task_id === acked)?.task_state).toMatch(/^acknowledged by payroll-owner at /);
    expect(after.filter((r) => r.task_id !== acked).map((r) => r.task_state)).toEqual(['open']);
  });

  it('reports nothing for a period before the leavers', async () => {
    const file = join(dir, 'empty.json');
    await report({ from: day(-30), to: day(-2), url: runtime.url, out: file });
    const json = JSON.parse(readFileSync(file, 'utf8')) as EvidenceReport;
    expect(json.rows).toEqual([]);
    expect(json.summary.leavers).toBe(0);
  });

  it('refuses a period in the wrong order before it calls anything', async () => {
    await expect(report({ from: day(1), to: day(-1), url: 'http://127.0.0.1:9' })).rejects.toThrow(
      /after --to.*give the earlier date first/,
    );
  });

  it('fails with what to do when nothing answers at --url', async () => {
    await expect(report({ from: day(0), to: day(0), url: 'http://127.0.0.1:9' })).rejects.toThrow(
      /127\.0\.0\.1:9/,
    );
  });
});
