// The audit archive's handler against a real S3 API on loopback (fauxqs), fed stream records
// shaped as AWS documents them: https://docs.aws.amazon.com/lambda/latest/dg/with-ddb.html (the
// DynamoDB Streams event) and https://docs.aws.amazon.com/lambda/latest/dg/services-ddb-batchfailurereporting.html
// (partial batch responses: `batchItemFailures[].itemIdentifier` is the record's SequenceNumber).
// fauxqs ignores If-None-Match and Object Lock on PutObject; test/unit/aws/s3-archive-store.test.ts
// covers those headers with aws-sdk-client-mock.
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { GetObjectCommand, ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';
import { marshall } from '@aws-sdk/util-dynamodb';
import type { Context, DynamoDBRecord, DynamoDBStreamEvent } from 'aws-lambda';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { S3ArchiveStore } from '../../../lambdas/aws/adapters/s3-archive-store.ts';
import { ARCHIVE_FORMAT, entryKeys } from '../../../lambdas/core/archive/audit-archive.ts';
import { type AuditEntry, auditEntry } from '../../../lambdas/core/model/audit.ts';
import { AUDIT_ARCHIVE_METRICS } from '../../../lambdas/core/model/metrics.ts';
import { createAuditArchiveHandler } from '../../../lambdas/handlers/audit-archive.ts';
import { type CapturedOutput, captureOutput } from '../../support/captured-output.ts';
import { type LocalS3, startLocalS3 } from '../../support/local-s3.ts';

const BUCKET = 'audit-archive';
const STREAM_ARN = 'arn:aws:dynamodb:us-east-1:123456789012:table/audit/stream/2026-11-28T09:00:00.000';
const WRITTEN = new Date('2026-11-28T09:30:00Z');
const context = {
  functionName: 'audit-archive',
  awsRequestId: 'r1',
  getRemainingTimeInMillis: () => 60_000,
} as Context;

let local: LocalS3;
let s3: S3Client;
let output: CapturedOutput;
let sequence = 100;

beforeAll(async () => {
  local = await startLocalS3([BUCKET]);
  s3 = local.s3;
});
beforeEach(() => {
  output = captureOutput();
});
afterEach(() => {
  output.restore();
  local.fauxqs.emptyBucket(BUCKET);
});
afterAll(async () => local.close());

function handler(bucketName = BUCKET) {
  return createAuditArchiveHandler({
    store: new S3ArchiveStore({ bucketName, client: s3 }),
    logger: new Logger({ serviceName: 'scimitar-audit-archive' }),
    metrics: new Metrics({ namespace: 'Scimitar', serviceName: 'scimitar-audit-archive' }),
  });
}

function entry(eventId: string, step: AuditEntry['step'] = 'VERIFIED', detail?: Record<string, unknown>) {
  return auditEntry(
    { eventId, step, personId: 'E1', targetId: 'code', actor: 'worker', ...(detail && { detail }) },
    WRITTEN,
  );
}

/** A stream record as Lambda delivers it for the audit table (view type NEW_AND_OLD_IMAGES). */
function streamRecord(
  eventName: 'INSERT' | 'MODIFY' | 'REMOVE',
  images: { newImage?: AuditEntry; oldImage?: AuditEntry },
): DynamoDBRecord {
  const item = images.newImage ?? images.oldImage;
  if (!item) throw new Error('a stream record needs an image');
  sequence += 1;
  return {
    eventID: `e${sequence}`,
    eventName,
    eventVersion: '1.1',
    eventSource: 'aws:dynamodb',
    awsRegion: 'us-east-1',
    eventSourceARN: STREAM_ARN,
    dynamodb: {
      ApproximateCreationDateTime: WRITTEN.getTime() / 1000,
      Keys: marshall({ eventId: item.eventId, entryId: item.entryId }) as never,
      ...(images.newImage && {
        NewImage: marshall(images.newImage, { removeUndefinedValues: true }) as never,
      }),
      ...(images.oldImage && {
        OldImage: marshall(images.oldImage, { removeUndefinedValues: true }) as never,
      }),
      SequenceNumber: `${sequence}00000000000000000001`,
      SizeBytes: 200,
      StreamViewType: 'NEW_AND_OLD_IMAGES',
    },
  };
}

async function read(key: string): Promise<Record<string, unknown>> {
  const object = await s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: key }));
  return JSON.parse(await (object.Body?.transformToString() ?? Promise.resolve('null')));
}

async function keys(prefix = ''): Promise<string[]> {
  const listed = await s3.send(new ListObjectsV2Command({ Bucket: BUCKET, Prefix: prefix }));
  return (listed.Contents ?? []).map((o) => o.Key ?? '').sort();
}

describe('audit archive: inserted entries', () => {
  it('archives each entry, as the table holds it, by event and by day', async () => {
    const received = entry('evt-1', 'RECEIVED', { source: 'generic', deliverySha256: 'ab'.repeat(32) });
    const verified = entry('evt-1', 'VERIFIED', { active: false });
    const event: DynamoDBStreamEvent = {
      Records: [
        streamRecord('INSERT', { newImage: received }),
        streamRecord('INSERT', { newImage: verified }),
      ],
    };

    const response = await handler()(event, context);

    expect(response).toEqual({ batchItemFailures: [] });
    expect(await keys('entries/by-event/evt-1/')).toHaveLength(2);
    expect(await keys('entries/by-day/2026-11-28/evt-1/')).toHaveLength(2);
    const { byEvent, byDay } = entryKeys({ ...received, writtenAt: WRITTEN });
    for (const key of [byEvent, byDay]) {
      expect(await read(key)).toEqual({
        format: ARCHIVE_FORMAT,
        change: 'INSERT',
        sequenceNumber: event.Records[0]?.dynamodb?.SequenceNumber,
        writtenAt: WRITTEN.toISOString(),
        entry: received,
      });
    }
  });

  it('keeps hostile event ids inside their prefix, one key segment each', async () => {
    const entries = ['../../etc/passwd', '..', 'a/b#c d', `long-${'ø'.repeat(400)}`].map((id) => entry(id));
    const records = entries.map((e) => streamRecord('INSERT', { newImage: e }));

    const response = await handler()({ Records: records }, context);

    expect(response.batchItemFailures).toEqual([]);
    const byEvent = await keys('entries/by-event/');
    expect(byEvent).toHaveLength(4);
    for (const key of byEvent) {
      // entries/by-event/<event>/<entry>.json: exactly four segments, none "." or "..".
      const segments = key.split('/');
      expect(segments).toHaveLength(4);
      expect(segments.some((s) => s === '..' || s === '.')).toBe(false);
      expect(Buffer.byteLength(key)).toBeLessThan(1024);
    }
    for (const archived of entries) {
      const { byEvent: key } = entryKeys({ ...archived, writtenAt: WRITTEN });
      expect(((await read(key)).entry as AuditEntry).eventId).toBe(archived.eventId);
    }
    expect(byEvent.filter((k) => k.includes('/~sha256-'))).toHaveLength(1);
  });
});

describe('audit archive: re-archiving by hand', () => {
  it('takes the records `aws dynamodbstreams get-records` prints, and skips none', async () => {
    const archived = entry('evt-7', 'VERIFIED');
    const record = streamRecord('INSERT', { newImage: archived });
    // GetRecords' output: { Records, NextShardIterator }, dates as the CLI prints them (ISO 8601).
    const { eventSourceARN: _arn, ...fromCli } = record;
    const payload = {
      Records: [
        {
          ...fromCli,
          dynamodb: { ...record.dynamodb, ApproximateCreationDateTime: '2026-11-28T09:30:00+00:00' },
        },
      ],
      NextShardIterator: 'arn:aws:dynamodb:...|1|AAAA',
    } as unknown as DynamoDBStreamEvent;

    const response = await handler()(payload, context);

    expect(response.batchItemFailures).toEqual([]);
    expect((await read(entryKeys({ ...archived, writtenAt: WRITTEN }).byDay)).entry).toEqual(archived);
  });
});

describe('audit archive: failures', () => {
  it('reports only the record it cannot archive, and archives the rest of the batch', async () => {
    const good = [entry('evt-2'), entry('evt-2', 'COMPLETED')];
    // A record without its new image (a stream switched to KEYS_ONLY) cannot be archived.
    const broken = streamRecord('INSERT', { newImage: entry('evt-2', 'DLQ') });
    delete broken.dynamodb?.NewImage;
    const records = [
      streamRecord('INSERT', { newImage: good[0] as AuditEntry }),
      broken,
      streamRecord('INSERT', { newImage: good[1] as AuditEntry }),
    ];

    const response = await handler()({ Records: records }, context);

    expect(response.batchItemFailures).toEqual([{ itemIdentifier: broken.dynamodb?.SequenceNumber }]);
    expect(await keys('entries/by-event/evt-2/')).toHaveLength(2);
    expect(output.text()).toContain('no new image');
  });

  it('refuses a record without the keys an archived copy is named by', async () => {
    const record = streamRecord('INSERT', { newImage: entry('evt-3') });
    if (record.dynamodb) record.dynamodb.Keys = marshall({ eventId: 'evt-3' }) as never;

    const response = await handler()({ Records: [record] }, context);

    expect(response.batchItemFailures).toEqual([{ itemIdentifier: record.dynamodb?.SequenceNumber }]);
    expect(await keys()).toEqual([]);
  });

  it('fails every record when S3 refuses the writes, losing none of them', async () => {
    const records = [
      streamRecord('INSERT', { newImage: entry('evt-4') }),
      streamRecord('INSERT', { newImage: entry('evt-4', 'COMPLETED') }),
    ];

    const response = await handler('no-such-bucket')({ Records: records }, context);

    expect(response.batchItemFailures).toEqual(
      records.map((r) => ({ itemIdentifier: r.dynamodb?.SequenceNumber })),
    );
    expect(output.text()).toContain('NoSuchBucket');
  });
});

describe('audit archive: changes to entries', () => {
  it('archives an overwrite with the entry before and after, and counts it', async () => {
    const original = entry('evt-5', 'FAILED', { reason: 'HTTP 500' });
    const forged = { ...original, step: 'VERIFIED' as const, detail: { active: false } };
    const record = streamRecord('MODIFY', { oldImage: original, newImage: forged });

    const response = await handler()({ Records: [record] }, context);

    expect(response.batchItemFailures).toEqual([]);
    const [key] = await keys('changes/2026-11-28/evt-5/');
    expect(key).toMatch(/-MODIFY\.json$/);
    expect(await read(key ?? '')).toMatchObject({ change: 'MODIFY', before: original, after: forged });
    expect(output.metric(AUDIT_ARCHIVE_METRICS.entryChanged)).toEqual([
      { value: 1, dimensions: expect.objectContaining({ service: 'scimitar-audit-archive' }) },
    ]);
    expect(output.text()).toContain('audit entry changed after it was written');
  });

  it('archives a deletion with the entry as it was', async () => {
    const original = entry('evt-6', 'RECEIVED');
    const record = streamRecord('REMOVE', { oldImage: original });

    await handler()({ Records: [record] }, context);

    const [key] = await keys('changes/2026-11-28/evt-6/');
    expect(await read(key ?? '')).toEqual({
      format: ARCHIVE_FORMAT,
      change: 'REMOVE',
      sequenceNumber: record.dynamodb?.SequenceNumber,
      writtenAt: WRITTEN.toISOString(),
      before: original,
    });
    expect(output.metric(AUDIT_ARCHIVE_METRICS.entryChanged)).toHaveLength(1);
  });
});
