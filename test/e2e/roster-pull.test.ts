// The pulls on the local runtime, hosted from the synthesized stack (its schedules, its alarms):
// with the roster pulled from a fake BambooHR API and no upload, a reconciliation pass is complete
// and calls the person HR no longer lists an orphan; a Workday termination read by the poll
// revokes the person's accounts through the same ingest core and workflow as a pushed one; and a
// failing pull raises the pull's alarm.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { demoPeople } from '../../local/demo-people.ts';
import { type FakeBambooHRApi, startFakeBambooHRApi } from '../../local/fakes/bamboohr-api.ts';
import { type FakeWorkday, startFakeWorkday } from '../../local/fakes/workday.ts';
import type { LocalRuntime } from '../../local/runtime.ts';
import sample from '../../scimitar.config.ts';
import { eventually } from '../support/eventually.ts';
import { startTestRuntime, testConfig } from '../support/local-runtime.ts';

const API_KEY = 'bamboo-e2e-api-key';
const WORKDAY_USER = { username: 'ISU_Scimitar@acme', password: 'wd-e2e-password' };
const people = demoPeople();
const leaver = people[3];

let bamboo: FakeBambooHRApi;
let workday: FakeWorkday;
let runtime: LocalRuntime & { lines: string[] };
beforeAll(async () => {
  if (!leaver) throw new Error('no demo person');
  bamboo = await startFakeBambooHRApi({
    companyDomain: 'acme',
    apiKey: API_KEY,
    employees: people.map((p) => ({
      id: p.employeeId,
      employeeNumber: p.externalId ?? null,
      workEmail: p.userName,
      displayName: p.displayName,
      status: 'Active',
    })),
  });
  workday = await startFakeWorkday({
    tenant: 'acme',
    ...WORKDAY_USER,
    terminationsReport: 'ISU_Scimitar/Terminations',
    workersReport: 'ISU_Scimitar/Workers',
    terminations: [
      {
        Event_ID: 'TERM-E2E-1',
        Employee_ID: leaver.employeeId,
        User_Name: leaver.userName,
        Email: leaver.userName,
        Entry_Moment: new Date(Date.now() - 60_000).toISOString(),
        Termination_Date: new Date().toISOString().slice(0, 10),
        Involuntary: '1',
      },
    ],
  });
  const config = testConfig({
    sources: [
      ...sample.sources,
      { id: 'bamboo-api', kind: 'bamboohr', api: { companyDomain: 'acme', baseUrl: bamboo.baseUrl } },
      {
        id: 'workday',
        kind: 'workday',
        host: workday.host,
        tenant: 'acme',
        terminations: { report: 'ISU_Scimitar/Terminations' },
      },
    ],
    roster: { source: 'bamboo-api' },
  });
  // The HRIS credentials, as an operator puts them in the secrets (locally, the secrets file).
  const dataDir = mkdtempSync(join(tmpdir(), 'scimitar-e2e-pull-'));
  writeFileSync(
    join(dataDir, 'secrets.json'),
    JSON.stringify({
      [`${config.stackName}/sources/bamboo-api/api`]: API_KEY,
      [`${config.stackName}/sources/workday`]: JSON.stringify(WORKDAY_USER),
    }),
  );
  runtime = await startTestRuntime({ config, dataDir, reconcileOnSchedule: false, canary: false });
});
afterAll(async () => {
  await runtime?.stop();
  await bamboo?.close();
  await workday?.close();
});

describe('local runtime: the roster pulled from the HRIS, Workday polled', () => {
  it('pulls the roster at start and on its schedule: a pass is complete with no upload', async () => {
    expect(bamboo.requests.filter((r) => r.authorized)).toHaveLength(1);

    const { outcomes } = await runtime.reconcile();

    expect(outcomes.map((o) => o.status)).toEqual(outcomes.map(() => 'complete'));
    expect(outcomes.length).toBeGreaterThan(0);
  });

  it('revokes a Workday termination read by the poll, through ingest and the workflow', async () => {
    if (!leaver) throw new Error('no demo person');
    await eventually('the COMPLETED entry of the polled termination', async () => {
      const entries = await runtime.audit.forPerson(leaver.employeeId);
      return entries.some((e) => e.step === 'COMPLETED');
    });
    const received = (await runtime.audit.forPerson(leaver.employeeId)).find((e) => e.step === 'RECEIVED');
    expect(received?.detail).toMatchObject({ source: 'workday', sourceKind: 'workday', signature: 'pulled' });
    for (const lane of runtime.lanes.values()) {
      const account = lane.app?.userByName(leaver.userName);
      expect(account === undefined || account.active === false).toBe(true);
    }
  });

  it('calls a person the pulled roster no longer lists an orphan', async () => {
    const gone = people[7];
    if (!gone) throw new Error('no demo person');
    const row = bamboo.employees.find((e) => e.id === gone.employeeId);
    if (!row) throw new Error('not in the fake');
    row.status = 'Inactive';
    const name = runtime.functions.nameOf('pull');
    if (!name) throw new Error('the stack has no pull function');

    await runtime.functions.resolve(name)({ job: 'roster' });
    const { outcomes } = await runtime.reconcile();

    const orphans = outcomes.reduce((sum, o) => sum + o.counts.orphan, 0);
    expect(orphans).toBeGreaterThan(0);
    expect(outcomes.every((o) => o.status === 'complete')).toBe(true);
  });

  it('raises the pull alarm when a pull fails, and keeps the roster in place', async () => {
    const name = runtime.functions.nameOf('pull');
    if (!name) throw new Error('the stack has no pull function');
    bamboo.script({ status: 401, headers: { 'X-BambooHR-Error-Message': 'Invalid API key' } });

    await expect(runtime.functions.resolve(name)({ job: 'roster' })).rejects.toThrow(
      /401 Unauthorized: the API key in secret Scimitar\/sources\/bamboo-api\/api was refused/,
    );

    await eventually('the pull alarm', async () =>
      runtime.alerts.sent.some((a) => a.message.includes('a roster pull or a Workday poll failed')),
    );
    const { outcomes } = await runtime.reconcile();
    expect(outcomes.every((o) => o.status === 'complete')).toBe(true);
  });
});
