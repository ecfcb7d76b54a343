// The roster pulled from each HRIS (fake BambooHR, HiBob and Workday APIs on loopback) into the
// roster store on a real DynamoDB API: the active people replace the roster as an upload does
// (same validation, same store); a refused credential, a throttle past the retries or one bad row
// replaces nothing.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DynamoRosterStore } from '../../../lambdas/aws/adapters/dynamo-roster.ts';
import { parseConfig, type ScimitarConfigInput } from '../../../lambdas/core/model/config.ts';
import { HrisReader, PullError } from '../../../lambdas/core/pull/hris-request.ts';
import { RosterPull } from '../../../lambdas/core/pull/roster-pull.ts';
import { RosterInvalidError } from '../../../lambdas/core/reconcile/roster.ts';
import { startFakeBambooHRApi } from '../../../local/fakes/bamboohr-api.ts';
import { startFakeHiBobApi } from '../../../local/fakes/hibob-api.ts';
import { startFakeWorkday } from '../../../local/fakes/workday.ts';
import { type LocalDynamo, startDynalite } from '../../support/dynalite.ts';
import { InMemorySecretSource } from '../../support/fakes.ts';
import { FixedClock } from '../../support/recorders.ts';

const NOW = new Date('2026-12-02T12:00:00Z');
const target = {
  id: 'app',
  kind: 'scim',
  displayName: 'App',
  owner: 'it@example.com',
  baseUrl: 'https://app.example.com/scim/v2',
} as const;

let dynamo: LocalDynamo;
beforeAll(async () => {
  dynamo = await startDynalite();
});
afterAll(async () => dynamo.close());

function puller(input: Omit<ScimitarConfigInput, 'targets'>, secrets: Record<string, string>) {
  const config = parseConfig({ ...input, targets: [target] });
  const store = new DynamoRosterStore({ tableName: dynamo.stateTable, client: dynamo.client });
  const pull = new RosterPull({
    config,
    store,
    secrets: new InMemorySecretSource(secrets),
    reader: new HrisReader({ sleep: async () => {} }),
    clock: new FixedClock(NOW),
  });
  return { pull, store };
}

describe('roster pull: BambooHR custom report', () => {
  it('replaces the roster with the active employees, matched as the webhook names them', async () => {
    const api = await startFakeBambooHRApi({
      companyDomain: 'acme',
      apiKey: 'bamboo-api-key-1',
      employees: [
        {
          id: '40',
          employeeNumber: 'E-40',
          firstName: 'Ada',
          lastName: 'Lovelace',
          workEmail: 'ada@example.com',
          status: 'Active',
          department: 'R&D',
          jobTitle: 'Engineer',
          supervisorEId: '7',
        },
        {
          id: '41',
          employeeNumber: 'E-41',
          firstName: 'Old',
          lastName: 'Timer',
          workEmail: 'old@example.com',
          status: 'Inactive',
        },
      ],
    });
    try {
      const { pull, store } = puller(
        {
          sources: [{ id: 'bamboo', kind: 'bamboohr', api: { companyDomain: 'acme', baseUrl: api.baseUrl } }],
          roster: { source: 'bamboo' },
        },
        { 'Scimitar/sources/bamboo/api': 'bamboo-api-key-1' },
      );

      const outcome = await pull.pull();

      expect(outcome).toMatchObject({ sourceId: 'bamboo', count: 1, asOf: NOW.toISOString() });
      const roster = await store.current();
      expect(roster?.people).toEqual([
        {
          employeeId: '40',
          userName: 'ada@example.com',
          emails: ['ada@example.com'],
          externalId: 'E-40',
          displayName: 'Ada Lovelace',
          attributes: { department: 'R&D', title: 'Engineer', managerId: '7' },
        },
      ]);
      expect(api.requests).toEqual([
        { method: 'POST', path: '/api/gateway.php/acme/v1/reports/custom', authorized: true },
      ]);
    } finally {
      await api.close();
    }
  });

  it('fails on a refused API key, names the secret and not the key, and keeps the roster in place', async () => {
    const api = await startFakeBambooHRApi({ companyDomain: 'acme', apiKey: 'right-key-1', employees: [] });
    try {
      const { pull, store } = puller(
        {
          sources: [
            { id: 'bamboo2', kind: 'bamboohr', api: { companyDomain: 'acme', baseUrl: api.baseUrl } },
          ],
          roster: { source: 'bamboo2' },
        },
        { 'Scimitar/sources/bamboo2/api': 'wrong-key-77' },
      );
      const before = await store.current();

      const failure = (await pull.pull().catch((err: unknown) => err)) as PullError;

      expect(failure).toBeInstanceOf(PullError);
      expect(failure.message).toContain(
        '401 Unauthorized: the API key in secret Scimitar/sources/bamboo2/api was refused',
      );
      expect(failure.message).not.toContain('wrong-key-77');
      expect(await store.current()).toEqual(before);
    } finally {
      await api.close();
    }
  });

  it('waits out a throttle (503 with Retry-After), and fails once throttled past the retries', async () => {
    const api = await startFakeBambooHRApi({
      companyDomain: 'acme',
      apiKey: 'k-throttle',
      employees: [{ id: '50', workEmail: 'x@example.com', status: 'Active' }],
    });
    try {
      const { pull } = puller(
        {
          sources: [
            { id: 'bamboo3', kind: 'bamboohr', api: { companyDomain: 'acme', baseUrl: api.baseUrl } },
          ],
          roster: { source: 'bamboo3' },
        },
        { 'Scimitar/sources/bamboo3/api': 'k-throttle' },
      );
      const throttled = { status: 503, headers: { 'retry-after': '1' } };
      api.script(throttled);
      await expect(pull.pull()).resolves.toMatchObject({ count: 1 });

      api.script(throttled, throttled, throttled);
      await expect(pull.pull()).rejects.toThrow('throttled (503) past the retries');

      // A wait longer than 30 s is not waited out in the function: the next schedule tries again.
      const before = api.requests.length;
      api.script({ status: 429, headers: { 'retry-after': '120' } });
      await expect(pull.pull()).rejects.toThrow('throttled (429) past the retries');
      expect(api.requests.length - before).toBe(1);

      // A server that echoes the credential in its error body: shown redacted.
      api.script({ status: 500, body: 'upstream said: bad key k-throttle for acme' });
      const failure = (await pull.pull().catch((err: unknown) => err)) as Error;
      expect(failure.message).toContain('answered 500: upstream said: bad key [redacted] for acme');
      expect(failure.message).not.toContain('k-throttle');
    } finally {
      await api.close();
    }
  });
});

describe('roster pull: HiBob people search', () => {
  it('replaces the roster with the active employees by their HiBob id', async () => {
    const api = await startFakeHiBobApi({
      serviceUserId: 'SERVICE-1',
      token: 'hibob-token-1',
      employees: [
        {
          id: '3332883884017713238',
          email: 'grace@example.com',
          displayName: 'Grace Hopper',
          active: true,
          work: {
            department: 'Navy',
            title: 'Rear Admiral',
            site: 'Arlington',
            reportsTo: { id: '1', displayName: 'Boss', email: 'boss@example.com' },
          },
        },
        { id: '999', email: 'gone@example.com', displayName: 'Gone', active: false },
      ],
    });
    try {
      const { pull, store } = puller(
        { sources: [{ id: 'bob', kind: 'hibob', api: { baseUrl: api.baseUrl } }], roster: { source: 'bob' } },
        {
          'Scimitar/sources/bob/api': JSON.stringify({ serviceUserId: 'SERVICE-1', token: 'hibob-token-1' }),
        },
      );

      await pull.pull();

      expect((await store.current())?.people).toEqual([
        {
          employeeId: '3332883884017713238',
          userName: 'grace@example.com',
          emails: ['grace@example.com'],
          displayName: 'Grace Hopper',
          attributes: { department: 'Navy', title: 'Rear Admiral', location: 'Arlington', managerId: '1' },
        },
      ]);
    } finally {
      await api.close();
    }
  });

  it('refuses a secret that is not a service user, saying what it must hold', async () => {
    const { pull } = puller(
      { sources: [{ id: 'bob2', kind: 'hibob', api: {} }], roster: { source: 'bob2' } },
      { 'Scimitar/sources/bob2/api': 'just-a-token' },
    );
    await expect(pull.pull()).rejects.toThrow(
      'secret Scimitar/sources/bob2/api must be JSON {"serviceUserId": "...", "token": "..."}',
    );
  });
});

describe('roster pull: Workday report of active workers', () => {
  it('replaces the roster from the report, and refuses it whole when a row repeats an employee', async () => {
    const user = { username: 'ISU_Scimitar@acme', password: 'wd-pass-1' };
    const api = await startFakeWorkday({
      tenant: 'acme',
      ...user,
      terminationsReport: 'ISU_Scimitar/Terminations',
      workersReport: 'ISU_Scimitar/Workers',
      workers: [
        {
          Employee_ID: '21001',
          Email: 'ada@example.com',
          User_Name: 'ada',
          Full_Name: 'Ada Lovelace',
          Department: 'R&D',
        },
        { Employee_ID: '21002', Email: 'alan@example.com', Full_Name: 'Alan Turing' },
      ],
    });
    try {
      const { pull, store } = puller(
        {
          sources: [
            {
              id: 'wd',
              kind: 'workday',
              host: api.host,
              tenant: 'acme',
              rosterReport: 'ISU_Scimitar/Workers',
            },
          ],
          roster: { source: 'wd' },
        },
        { 'Scimitar/sources/wd': JSON.stringify(user) },
      );
      await pull.pull();
      const first = await store.current();
      expect(first?.people.map((p) => [p.employeeId, p.userName, p.emails])).toEqual([
        ['21001', 'ada', ['ada@example.com']],
        ['21002', undefined, ['alan@example.com']],
      ]);

      api.workers.push({ Employee_ID: '21001', Email: 'again@example.com' });
      const refused = (await pull.pull().catch((err: unknown) => err)) as RosterInvalidError;

      expect(refused).toBeInstanceOf(RosterInvalidError);
      expect(refused.message).toContain(
        'the roster pulled from workday source "wd" was refused; the roster in place stays',
      );
      expect(refused.problems[0]).toContain('employeeId "21001" is on 2 rows (people[0] and people[2])');
      expect(await store.current()).toEqual(first);
    } finally {
      await api.close();
    }
  });
});
