// RECEIVED as it lands in DynamoDB (dynalite) and, when configured, the raw delivery as it lands in
// S3 (fauxqs): the audit table holds the fields the pipeline uses and the body's hash, never the
// HRIS payload; the audit log's readers still read it; an overwrite is refused.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { GetObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { PutCommand, ScanCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DynamoAuditLog } from '../../../lambdas/aws/adapters/dynamo-audit-log.ts';
import { S3ArchiveStore } from '../../../lambdas/aws/adapters/s3-archive-store.ts';
import { Ingestor } from '../../../lambdas/core/ingest/ingest.ts';
import { signBambooHR } from '../../../lambdas/core/ingest/signature.ts';
import type { SourceConfig } from '../../../lambdas/core/model/config.ts';
import { AuditEntryExistsError } from '../../../lambdas/core/model/ports.ts';
import { type LocalDynamo, startDynalite } from '../../support/dynalite.ts';
import { InMemorySecretSource, InMemoryWorkflowStarter } from '../../support/fakes.ts';
import { type LocalS3, startLocalS3 } from '../../support/local-s3.ts';

const KEY = 'bamboohr-private-key-0c1d';
const NOW = new Date('2026-11-28T09:00:00Z');
const DELIVERIES = 'scimitar-deliveries';
const sources: SourceConfig[] = [
  {
    id: 'bamboohr',
    kind: 'bamboohr',
    toleranceSeconds: 300,
    secretName: 'scimitar/sources/bamboohr',
    existingSecret: false,
  },
];

/** The fixture delivery, with HRIS fields the pipeline never uses (and must not keep). */
function deliveryBody(): string {
  const delivery = JSON.parse(
    readFileSync(new URL('../../fixtures/bamboohr/several.json', import.meta.url), 'utf8'),
  ) as { employees: Array<{ fields: Record<string, unknown> }> };
  for (const employee of delivery.employees) {
    if (Array.isArray(employee.fields)) continue;
    employee.fields['Pay Rate'] = '987654.32 USD';
    employee.fields['Home Address'] = '12 Hidden Lane, Springfield';
  }
  return JSON.stringify(delivery);
}

let dynamo: LocalDynamo;
let local: LocalS3;
let s3: S3Client;
beforeAll(async () => {
  dynamo = await startDynalite();
  local = await startLocalS3([DELIVERIES]);
  s3 = local.s3;
});
afterAll(async () => {
  await local.close();
  await dynamo.close();
});

function ingestor(options: { keepRaw: boolean }) {
  return new Ingestor({
    sources,
    secrets: new InMemorySecretSource({ 'scimitar/sources/bamboohr': KEY }),
    auditLog: new DynamoAuditLog({ tableName: dynamo.auditTable, client: dynamo.client }),
    workflows: new InMemoryWorkflowStarter(),
    ...(options.keepRaw && {
      rawDeliveries: new S3ArchiveStore({
        bucketName: DELIVERIES,
        client: s3,
        contentType: 'application/octet-stream',
      }),
    }),
  });
}

async function auditItems(): Promise<Record<string, unknown>[]> {
  const scan = await dynamo.client.send(new ScanCommand({ TableName: dynamo.auditTable }));
  return scan.Items ?? [];
}

describe('RECEIVED in the audit table (dynalite)', () => {
  it('keeps the parsed event and the body hash, and none of the raw HRIS payload', async () => {
    const body = deliveryBody();
    await ingestor({ keepRaw: false }).ingest({
      sourceId: 'bamboohr',
      body,
      headers: signBambooHR(body, KEY, NOW),
      now: NOW,
    });

    const items = await auditItems();
    expect(items.map((i) => i.personId).sort()).toEqual(['200', '203']);
    const stored = JSON.stringify(items);
    for (const raw of ['Pay Rate', '987654.32', 'Hidden Lane', 'Employment Status', 'changedFields']) {
      expect(stored).not.toContain(raw);
    }
    const received = items.find((i) => i.personId === '200') as { detail: Record<string, unknown> };
    expect(received.detail).toMatchObject({
      source: 'bamboohr',
      signature: 'verified',
      deliverySha256: createHash('sha256').update(body).digest('hex'),
      event: {
        kind: 'termination',
        person: expect.objectContaining({ employeeId: '200', emails: ['alan.turing@example.com'] }),
      },
    });
    expect(received.detail.rawDeliveryKey).toBeUndefined();
  });

  it("stays readable by the audit log's readers: by event and by person", async () => {
    const log = new DynamoAuditLog({ tableName: dynamo.auditTable, client: dynamo.client });
    const timeline = await log.forPerson('203');
    expect(timeline.map((e) => e.step)).toEqual(['RECEIVED']);
    expect((await log.forEvent(timeline[0]?.eventId ?? '')).map((e) => e.personId)).toEqual(['203']);
  });

  it('refuses to overwrite RECEIVED, and the original survives unchanged', async () => {
    const [original] = (await auditItems()).filter((i) => i.personId === '200');
    const log = new DynamoAuditLog({ tableName: dynamo.auditTable, client: dynamo.client });
    const forged = { ...original, detail: { source: 'bamboohr', note: 'nothing happened' } };

    await expect(log.append(forged as never)).rejects.toBeInstanceOf(AuditEntryExistsError);
    // Also as a raw PutItem with the adapter's condition, from any writer the code has.
    await expect(
      dynamo.client.send(
        new PutCommand({
          TableName: dynamo.auditTable,
          Item: forged,
          ConditionExpression: 'attribute_not_exists(entryId)',
        }),
      ),
    ).rejects.toBeInstanceOf(ConditionalCheckFailedException);

    const [after] = (await auditItems()).filter((i) => i.personId === '200');
    expect(after).toEqual(original);
  });
});

describe('raw deliveries, when the config keeps them (fauxqs S3)', () => {
  it('keeps the body byte for byte under its hash, and names it in RECEIVED', async () => {
    const body = deliveryBody().replace('"id":"200"', '"id":"210"').replace('"id":203', '"id":213');
    await ingestor({ keepRaw: true }).ingest({
      sourceId: 'bamboohr',
      body,
      headers: signBambooHR(body, KEY, NOW),
      now: NOW,
    });

    const sha256 = createHash('sha256').update(body).digest('hex');
    const key = `deliveries/2026-11-28/bamboohr/${sha256}`;
    const object = await s3.send(new GetObjectCommand({ Bucket: DELIVERIES, Key: key }));
    expect(await object.Body?.transformToString()).toBe(body);
    const received = (await auditItems()).filter((i) => i.personId === '210' || i.personId === '213');
    expect(received).toHaveLength(2);
    for (const item of received) {
      expect((item.detail as Record<string, unknown>).rawDeliveryKey).toBe(key);
      expect(JSON.stringify(item)).not.toContain('987654.32');
    }
  });

  it('fails the delivery, writing no RECEIVED and starting nothing, when the raw delivery cannot be kept', async () => {
    const body = deliveryBody().replace('"id":"200"', '"id":"230"').replace('"id":203', '"id":233');
    const workflows = new InMemoryWorkflowStarter();
    const failing = new Ingestor({
      sources,
      secrets: new InMemorySecretSource({ 'scimitar/sources/bamboohr': KEY }),
      auditLog: new DynamoAuditLog({ tableName: dynamo.auditTable, client: dynamo.client }),
      workflows,
      rawDeliveries: new S3ArchiveStore({ bucketName: 'no-such-bucket', client: s3 }),
    });

    await expect(
      failing.ingest({ sourceId: 'bamboohr', body, headers: signBambooHR(body, KEY, NOW), now: NOW }),
    ).rejects.toMatchObject({ name: 'NoSuchBucket' });

    // The sender gets a 500 and delivers again: nothing half-recorded stands in the way.
    expect((await auditItems()).filter((i) => i.personId === '230' || i.personId === '233')).toEqual([]);
    expect(workflows.startCalls).toBe(0);
  });

  it('refuses a forged delivery without keeping anything', async () => {
    const body = deliveryBody().replace('"id":"200"', '"id":"220"');
    await expect(
      ingestor({ keepRaw: true }).ingest({
        sourceId: 'bamboohr',
        body,
        headers: signBambooHR(body, 'guessed-key', NOW),
        now: NOW,
      }),
    ).rejects.toMatchObject({ reason: 'mismatch' });
    const sha256 = createHash('sha256').update(body).digest('hex');
    await expect(
      s3.send(new GetObjectCommand({ Bucket: DELIVERIES, Key: `deliveries/2026-11-28/bamboohr/${sha256}` })),
    ).rejects.toMatchObject({ name: 'NoSuchKey' });
  });
});
