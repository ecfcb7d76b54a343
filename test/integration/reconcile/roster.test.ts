import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { QueryCommand } from '@aws-sdk/lib-dynamodb';
import type { APIGatewayProxyEvent } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DynamoRosterStore } from '../../../lambdas/aws/adapters/dynamo-roster.ts';
import { ValidationError } from '../../../lambdas/core/model/errors.ts';
import {
  parseRoster,
  RosterConflictError,
  RosterInvalidError,
} from '../../../lambdas/core/reconcile/roster.ts';
import { createRosterUploadHandler } from '../../../lambdas/handlers/roster-upload.ts';
import { FileRosterSource } from '../../../local/roster-file.ts';
import { asFunction } from '../../support/acting.ts';
import { type LocalDynamo, startDynalite } from '../../support/dynalite.ts';
import { FixedClock } from '../../support/recorders.ts';
import { ago, NOW } from './world.ts';

let dynamo: LocalDynamo;
beforeAll(async () => {
  dynamo = await startDynalite();
});
afterAll(async () => {
  await dynamo.close();
});

function problemsOf(fn: () => unknown): readonly string[] {
  try {
    fn();
  } catch (err) {
    if (err instanceof ValidationError) return err.problems;
    throw err;
  }
  throw new Error('expected a ValidationError');
}

describe('roster: parsing', () => {
  it('reads CSV with a BOM, quoted fields and several emails per person', () => {
    const csv =
      '\uFEFFemployeeId,userName,emails,externalId\r\n' +
      'E1,ada@example.com,"ada@example.com; a.lovelace@example.com",X-1\r\n' +
      '"E2","bob, the second",,\r\n';
    const roster = parseRoster(csv, 'csv', { now: NOW, asOf: ago(60_000) });
    expect(roster).toEqual({
      asOf: ago(60_000),
      people: [
        {
          employeeId: 'E1',
          userName: 'ada@example.com',
          emails: ['ada@example.com', 'a.lovelace@example.com'],
          externalId: 'X-1',
        },
        { employeeId: 'E2', userName: 'bob, the second' },
      ],
    });
  });

  it('reads JSON as an array, or as { asOf, people }', () => {
    expect(parseRoster('[{"employeeId":"E1"}]', 'json', { now: NOW }).asOf).toBe(NOW.toISOString());
    const withAsOf = parseRoster(
      JSON.stringify({ asOf: ago(5_000), people: [{ employeeId: 'E1' }] }),
      'json',
      { now: NOW },
    );
    expect(withAsOf).toEqual({ asOf: ago(5_000), people: [{ employeeId: 'E1' }] });
  });

  it('refuses a roster with any bad row, naming each row and field', () => {
    const problems = problemsOf(() =>
      parseRoster('employeeId,emails\nE1,a@example.com\nE2,not-an-email\nE1,\n,x@example.com\n', 'csv', {
        now: NOW,
      }),
    );
    expect(problems).toEqual([
      expect.stringMatching(/^line 3: .*emails\[0\].*email/),
      expect.stringMatching(/^line 5: .*employeeId.*expected string/),
      'employeeId "E1" is on 2 rows (line 2 and line 4): each person must be listed once; merge the rows or correct the id',
    ]);
  });

  it('refuses a CSV roster with a repeated employeeId in a typed error naming the id and the lines it is on', () => {
    // A quoted field spanning two lines and a blank line: rows and lines differ, the error names lines.
    const csv =
      'employeeId,emails\n' +
      'E1,"ada@example.com;\nada.lovelace@example.com"\n' +
      '\n' +
      'E2,bob@example.com\n' +
      'E1,ada@example.com\n' +
      'E2,\n' +
      'E1,\n';
    let error: unknown;
    try {
      parseRoster(csv, 'csv', { now: NOW });
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(RosterInvalidError);
    expect(error).toBeInstanceOf(ValidationError);
    const invalid = error as RosterInvalidError;
    expect(invalid.duplicates).toEqual([
      { employeeId: 'E1', rows: ['line 2', 'line 6', 'line 8'], count: 3 },
      { employeeId: 'E2', rows: ['line 5', 'line 7'], count: 2 },
    ]);
    expect(invalid.message).toBe(
      'invalid roster:\n' +
        '  - employeeId "E1" is on 3 rows (line 2, line 6 and line 8): each person must be listed once; merge the rows or correct the id\n' +
        '  - employeeId "E2" is on 2 rows (line 5 and line 7): each person must be listed once; merge the rows or correct the id',
    );
  });

  it('refuses a JSON roster with a repeated employeeId, naming the indexes', () => {
    const json = JSON.stringify({
      people: [{ employeeId: 'E7' }, { employeeId: 'E8' }, { employeeId: 'E7' }],
    });
    expect(problemsOf(() => parseRoster(json, 'json', { now: NOW }))).toEqual([
      'employeeId "E7" is on 2 rows (people[0] and people[2]): each person must be listed once; merge the rows or correct the id',
    ]);
  });

  it('names at most ten rows of one repeated employeeId, and counts the rest', () => {
    const csv = `employeeId\n${'E1\n'.repeat(25)}`;
    expect(problemsOf(() => parseRoster(csv, 'csv', { now: NOW }))).toEqual([
      `employeeId "E1" is on 25 rows (${Array.from({ length: 10 }, (_, i) => `line ${i + 2}`).join(', ')} and 15 more): each person must be listed once; merge the rows or correct the id`,
    ]);
  });

  it('keeps the error bounded for a roster of many repeated ids: twenty problems, the rest counted', () => {
    // 30 ids, each on 3 rows.
    const ids = Array.from({ length: 30 }, (_, i) => `E${i}`);
    const csv = `employeeId\n${[...ids, ...ids, ...ids].join('\n')}\n`;
    let error: RosterInvalidError | undefined;
    try {
      parseRoster(csv, 'csv', { now: NOW });
    } catch (err) {
      if (err instanceof RosterInvalidError) error = err;
    }
    expect(error?.problems).toHaveLength(21);
    expect(error?.problems.at(-1)).toBe('... and 10 more problems');
    expect(error?.duplicates).toHaveLength(20);
    expect(error?.duplicates[0]).toEqual({
      employeeId: 'E0',
      rows: ['line 2', 'line 32', 'line 62'],
      count: 3,
    });
  });

  it('refuses a CSV row with the wrong number of fields, or a quote that never closes, naming its line', () => {
    expect(problemsOf(() => parseRoster('employeeId,userName\nE1,a\n\nE2\n', 'csv', { now: NOW }))).toEqual([
      'line 4: has 1 fields, the header (line 1) names 2',
    ]);
    expect(problemsOf(() => parseRoster('employeeId,userName\nE1,"a\nE2,b\n', 'csv', { now: NOW }))).toEqual([
      'line 2: a quoted field of this row never closes (the CSV ends inside it)',
    ]);
  });

  it('refuses an empty roster, unknown columns, a future asOf and JSON of the wrong shape', () => {
    expect(problemsOf(() => parseRoster('employeeId\n', 'csv', { now: NOW }))).toEqual([
      expect.stringMatching(/lists nobody/),
    ]);
    expect(problemsOf(() => parseRoster('employeeId,department\nE1,x\n', 'csv', { now: NOW }))).toEqual([
      expect.stringMatching(/column "department" is not known/),
    ]);
    expect(
      problemsOf(() =>
        parseRoster('[{"employeeId":"E1"}]', 'json', { now: NOW, asOf: '2027-01-01T00:00:00Z' }),
      ),
    ).toEqual([expect.stringMatching(/in the future/)]);
    expect(problemsOf(() => parseRoster('{"employees":[]}', 'json', { now: NOW }))).toEqual([
      expect.stringMatching(/array of people/),
    ]);
  });
});

describe('roster: DynamoDB store', () => {
  it('replaces the roster as a whole and reads it back from many chunks', async () => {
    const store = new DynamoRosterStore({
      tableName: dynamo.stateTable,
      client: dynamo.client,
      chunkChars: 200,
    });
    const people = Array.from({ length: 120 }, (_, i) => ({
      employeeId: `E${i}`,
      userName: `p${i}@example.com`,
    }));
    const stored = await store.replace({ asOf: ago(3_000), people });
    expect(stored).toMatchObject({ asOf: ago(3_000), count: 120 });
    expect(await store.current()).toEqual({ asOf: ago(3_000), people });
  });

  it('refuses an upload older than the roster in place, and keeps only the previous version besides', async () => {
    const store = new DynamoRosterStore({ tableName: dynamo.stateTable, client: dynamo.client });
    const first = await store.replace({ asOf: ago(2_000), people: [{ employeeId: 'A' }] });
    await expect(
      store.replace({ asOf: ago(60 * 60_000), people: [{ employeeId: 'OLD' }] }),
    ).rejects.toBeInstanceOf(RosterConflictError);
    await store.replace({ asOf: ago(1_000), people: [{ employeeId: 'B' }] });
    await store.replace({ asOf: ago(500), people: [{ employeeId: 'C' }] });
    expect((await store.current())?.people).toEqual([{ employeeId: 'C' }]);
    const chunksOfFirst = await dynamo.client.send(
      new QueryCommand({
        TableName: dynamo.stateTable,
        KeyConditionExpression: 'pk = :pk',
        ExpressionAttributeValues: { ':pk': `ROSTER#${first.version}` },
      }),
    );
    expect(chunksOfFirst.Items).toEqual([]);
  });
});

describe('roster: file for the local runtime', () => {
  it('reads a CSV or JSON file, as of the file time unless it says otherwise', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'roster-'));
    const csv = join(dir, 'roster.csv');
    writeFileSync(csv, 'employeeId,userName\nE1,ada@example.com\n');
    const roster = await new FileRosterSource(csv).current();
    expect(roster?.people).toEqual([{ employeeId: 'E1', userName: 'ada@example.com' }]);
    expect(Math.abs(Date.parse(roster?.asOf ?? '') - Date.now())).toBeLessThan(60_000);
    const json = join(dir, 'roster.json');
    writeFileSync(json, JSON.stringify({ asOf: '2026-11-01T00:00:00Z', people: [{ employeeId: 'E2' }] }));
    expect(await new FileRosterSource(json).current()).toEqual({
      asOf: '2026-11-01T00:00:00.000Z',
      people: [{ employeeId: 'E2' }],
    });
    expect(await new FileRosterSource(join(dir, 'missing.json')).current()).toBeUndefined();
  });
});

describe('roster: upload handler', () => {
  const handler = createRosterUploadHandler({
    store: new DynamoRosterStore({ tableName: 'state', client: undefined as never }),
    clock: new FixedClock(NOW),
    logger: { info() {} } as never,
    maxBytes: 200,
  });
  const event = (over: Partial<APIGatewayProxyEvent>): APIGatewayProxyEvent =>
    ({
      httpMethod: 'PUT',
      headers: { 'Content-Type': 'text/csv' },
      body: 'employeeId\nE1\n',
      isBase64Encoded: false,
      ...over,
    }) as APIGatewayProxyEvent;
  // As the roster-upload function: its calls are proven against that function's role (test/iam/).
  const live = () => {
    const upload = createRosterUploadHandler({
      store: new DynamoRosterStore({ tableName: dynamo.stateTable, client: dynamo.client }),
      clock: new FixedClock(new Date(Date.now())),
      logger: { info() {} } as never,
      maxBytes: 200,
    });
    return (e: APIGatewayProxyEvent) => asFunction('roster-upload', () => upload(e));
  };

  it('stores a valid upload and answers 201 with its version and count', async () => {
    const body = Buffer.from('employeeId,userName\nU1,u1@example.com\nU2,u2@example.com\n').toString(
      'base64',
    );
    const res = await live()(
      event({ body, isBase64Encoded: true, headers: { 'content-type': 'text/csv; charset=utf-8' } }),
    );
    expect(res.statusCode).toBe(201);
    expect(JSON.parse(res.body)).toMatchObject({ count: 2, version: expect.any(String) });
  });

  it('refuses bad uploads with a clear 4xx, before touching the store', async () => {
    const cases: [Partial<APIGatewayProxyEvent>, number, RegExp][] = [
      [{ httpMethod: 'GET' }, 405, /POST the roster/],
      [{ headers: { 'content-type': 'application/xml' } }, 415, /application\/json or text\/csv/],
      [{ headers: {} }, 415, /"none"/],
      [{ body: null }, 400, /body is empty/],
      [{ body: `employeeId\n${'E'.repeat(300)}\n` }, 413, /at most 200/],
      [{ body: 'employeeId,emails\nE1,bad\n' }, 400, /invalid roster/],
    ];
    for (const [over, status, message] of cases) {
      const res = await handler(event(over));
      expect([res.statusCode, JSON.parse(res.body).error]).toEqual([status, expect.stringMatching(message)]);
    }
  });

  it('refuses a roster with a repeated employeeId with 400, naming the id and its lines', async () => {
    const res = await handler(event({ body: 'employeeId\nE1\nE2\nE1\n' }));
    expect(res.statusCode).toBe(400);
    expect(JSON.parse(res.body)).toEqual({
      error: 'invalid roster',
      problems: [
        'employeeId "E1" is on 2 rows (line 2 and line 4): each person must be listed once; merge the rows or correct the id',
      ],
      duplicates: [{ employeeId: 'E1', rows: ['line 2', 'line 4'], count: 2 }],
    });
  });

  it('answers 409 to an upload older than the roster in place', async () => {
    const res = await live()(event({ queryStringParameters: { asOf: '2020-01-01T00:00:00Z' } }));
    expect(res.statusCode).toBe(409);
  });
});
