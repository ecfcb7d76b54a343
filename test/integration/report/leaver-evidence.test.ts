import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CreateTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DynamoAuditLog, documentClient } from '../../../lambdas/aws/adapters/dynamo-audit-log.ts';
import {
  DynamoLeaverEvidence,
  LeaverIndexMissingError,
} from '../../../lambdas/aws/adapters/dynamo-leaver-evidence.ts';
import { auditTableSchema } from '../../../lambdas/aws/adapters/table-schemas.ts';
import { parseConfig } from '../../../lambdas/core/model/config.ts';
import { parseLifecycleEvent } from '../../../lambdas/core/model/event.ts';
import { LEAVER_INDEX_KEY } from '../../../lambdas/core/report/leaver-index.ts';
import { planRevocation } from '../../../lambdas/core/revocation/plan.ts';
import { runReport } from '../../../local/cli/report-command.ts';
import { LOCAL_CREDENTIALS, LOCAL_REGION } from '../../../local/dynamo.ts';
import sample from '../../../scimitar.config.ts';
import { type LocalDynamo, startDynalite } from '../../support/dynalite.ts';
import { FixedClock, RecordingNotifier } from '../../support/recorders.ts';
import { verifiedLane } from '../../support/report-fixtures.ts';

const config = parseConfig(sample);
let dynamo: LocalDynamo;
let audit: DynamoAuditLog;
let evidence: DynamoLeaverEvidence;
beforeAll(async () => {
  dynamo = await startDynalite();
  audit = new DynamoAuditLog({ tableName: dynamo.auditTable, client: dynamo.client });
  evidence = new DynamoLeaverEvidence({ tableName: dynamo.auditTable, client: dynamo.client });
});
afterAll(async () => dynamo.close());

/** The real plan of an event, written to the audit table at `at`. */
async function plan(eventId: string, at: string, kind = 'termination') {
  const event = parseLifecycleEvent({
    eventId,
    source: 'generic',
    occurredAt: at,
    kind,
    terminationType: 'voluntary',
    person: {
      employeeId: `P-${eventId}`,
      userName: `${eventId}@example.com`,
      emails: [`${eventId}@example.com`],
    },
  });
  return planRevocation(
    { event, receivedAt: at },
    { config, audit, owners: new RecordingNotifier(), clock: new FixedClock(new Date(at)) },
  );
}

describe('leaver index on DynamoDB: the leavers of a period', () => {
  beforeAll(async () => {
    await plan('jul-31', '2026-07-31T23:59:59.999Z');
    await plan('aug-01', '2026-08-01T00:00:00.000Z');
    await plan('aug-15-hire', '2026-08-15T12:00:00.000Z', 'hire');
    await plan('sep-30', '2026-09-30T23:59:59.999Z');
    await plan('oct-01', '2026-10-01T00:00:00.000Z');
  });

  it('lists the terminations planned in the period, both days included, and nothing around it', async () => {
    const ids = await evidence.leaversIn({ from: '2026-08-01', to: '2026-09-30' });
    expect([...ids].sort()).toEqual(['aug-01', 'sep-30']);
  });

  it("keys only a termination's plan: a hire's plan and every other entry stay out of the index", async () => {
    const hire = await audit.forEvent('aug-15-hire');
    const raw = await dynamo.client.send(
      new (await import('@aws-sdk/lib-dynamodb')).QueryCommand({
        TableName: dynamo.auditTable,
        KeyConditionExpression: 'eventId = :e',
        ExpressionAttributeValues: { ':e': 'aug-01' },
      }),
    );
    const keyed = (raw.Items ?? []).filter((item) => item[LEAVER_INDEX_KEY] !== undefined);
    expect(keyed.map((item) => item.step)).toEqual(['PLANNED']);
    expect(hire.some((e) => e.step === 'PLANNED')).toBe(true);
    expect(await evidence.leaversIn({ from: '2026-08-15', to: '2026-08-15' })).toEqual([]);
  });

  it('finds every leaver of a layoff spread over the shards, with Queries only', async () => {
    const layoff = Array.from({ length: 40 }, (_, i) => `layoff-${i}`);
    for (const id of layoff) await plan(id, '2026-11-03T10:00:00.000Z');
    const commands: string[] = [];
    const client = documentClient(
      new DynamoDBClient({ endpoint: dynamo.endpoint, region: LOCAL_REGION, credentials: LOCAL_CREDENTIALS }),
    );
    client.middlewareStack.add(
      (next, context) => (input) => {
        commands.push(String(context.commandName));
        return next(input);
      },
      { step: 'initialize' },
    );
    const ids = await new DynamoLeaverEvidence({ tableName: dynamo.auditTable, client }).leaversIn({
      from: '2026-11-03',
      to: '2026-11-03',
    });
    expect([...ids].sort()).toEqual([...layoff].sort());
    // One month: one Query per shard, whatever the number of leavers.
    expect(commands).toEqual(Array(10).fill('QueryCommand'));
  });

  it('fails on a table without the index, saying to deploy this version', async () => {
    const schema = auditTableSchema('audit-before-reports');
    await dynamo.raw.send(
      new CreateTableCommand({
        ...schema,
        AttributeDefinitions: schema.AttributeDefinitions?.filter(
          (a) => a.AttributeName !== LEAVER_INDEX_KEY,
        ),
        GlobalSecondaryIndexes: schema.GlobalSecondaryIndexes?.filter((i) => i.IndexName === 'byPerson'),
      }),
    );
    const old = new DynamoLeaverEvidence({ tableName: 'audit-before-reports', client: dynamo.client });
    const failure = old.leaversIn({ from: '2026-08-01', to: '2026-08-31' });
    await expect(failure).rejects.toBeInstanceOf(LeaverIndexMissingError);
    await expect(failure).rejects.toThrow(/has no index leaversByMonth.*deploy this version/);
  });
});

describe('scimitar report: from the tables to a file', () => {
  const dir = mkdtempSync(join(tmpdir(), 'scimitar-report-'));
  const tables = (): { dynamo: LocalDynamo['client']; output(name: string): string } => ({
    dynamo: dynamo.client,
    output: (name) => ({ AuditTableName: dynamo.auditTable, StateTableName: dynamo.stateTable })[name] ?? '',
  });

  it('writes the rows of the period in the format --out names and says what it wrote', async () => {
    const planned = await plan('dec-ada', '2026-12-01T09:00:00.000Z');
    const ada = { eventId: 'dec-ada', personId: planned.personId, at: '2026-12-01T09:00:00.000Z' };
    for (const entry of verifiedLane(ada, 'code', 5)) await audit.append(entry);
    const said: string[] = [];
    const out = join(dir, 'december.csv');
    const result = await runReport({ from: '2026-12-01', to: '2026-12-31', out }, tables(), config, {
      stderr: { write: (text) => said.push(text) },
      clock: new FixedClock(new Date('2027-01-02T00:00:00Z')),
    });
    const lines = readFileSync(out, 'utf8').trimEnd().split('\r\n');
    expect(lines).toHaveLength(1 + result.rows.length);
    expect(result.rows.map((r) => [r.targetId, r.outcome])).toEqual([
      ['code', 'revoked'],
      ['chat', 'in-progress'],
      ['wiki', 'in-progress'],
      // The sample's session target: a lane of its own, not yet verified here.
      ['sso', 'in-progress'],
      ['payroll', 'manual-task'],
    ]);
    expect(lines.find((l) => l.includes(',code,'))).toContain(',5,yes,revoked,');
    expect(said.join('')).toMatch(
      /wrote .*december\.csv \(csv\): 1 leavers, 5 rows, 1 of 4 revocations verified within 60 min/,
    );
    expect(result.coverage?.entries.map((e) => e.targetId).sort()).toEqual([
      'chat',
      'code',
      'payroll',
      'sso',
      'wiki',
    ]);
  });

  it('refuses an unknown format, naming the ones it writes', async () => {
    await expect(
      runReport({ from: '2026-07-01', to: '2026-07-02', format: 'pdf' }, tables(), config),
    ).rejects.toThrow(/--format "pdf": a report is csv, json or html/);
  });
});
