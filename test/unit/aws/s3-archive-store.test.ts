// The S3 archive store's request, which fauxqs does not check: a conditional put (If-None-Match)
// with a SHA-256 checksum, and what a 412 (the object exists) means. aws-sdk-client-mock only for that.
import { PutObjectCommand, S3Client, S3ServiceException } from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
import { S3ArchiveStore } from '../../../lambdas/aws/adapters/s3-archive-store.ts';

const s3 = mockClient(S3Client);
afterEach(() => s3.reset());

function s3Error(name: string, status: number): S3ServiceException {
  return new S3ServiceException({ name, $fault: 'client', $metadata: { httpStatusCode: status } });
}

describe('S3 archive store', () => {
  it('puts each object only if no object of that key exists, with a SHA-256 checksum', async () => {
    s3.on(PutObjectCommand).resolves({});
    const store = new S3ArchiveStore({ bucketName: 'archive', client: new S3Client({}) });

    await expect(store.putOnce('entries/by-event/e1/x.json', '{"a":1}')).resolves.toBe('stored');

    expect(s3.commandCalls(PutObjectCommand)[0]?.args[0].input).toEqual({
      Bucket: 'archive',
      Key: 'entries/by-event/e1/x.json',
      Body: '{"a":1}',
      ContentType: 'application/json',
      ChecksumAlgorithm: 'SHA256',
      IfNoneMatch: '*',
    });
  });

  it('reports an object that is already there (a retried record) without replacing it', async () => {
    s3.on(PutObjectCommand).rejects(s3Error('PreconditionFailed', 412));
    const store = new S3ArchiveStore({ bucketName: 'archive', client: new S3Client({}) });

    await expect(store.putOnce('entries/by-event/e1/x.json', '{}')).resolves.toBe('exists');
    expect(s3.commandCalls(PutObjectCommand)).toHaveLength(1);
  });

  it('fails on a concurrent put of the same key (409) and on any other refusal', async () => {
    const store = new S3ArchiveStore({ bucketName: 'archive', client: new S3Client({}) });
    s3.on(PutObjectCommand)
      .rejectsOnce(s3Error('ConditionalRequestConflict', 409))
      .rejectsOnce(s3Error('AccessDenied', 403));
    await expect(store.putOnce('k', '{}')).rejects.toMatchObject({ name: 'ConditionalRequestConflict' });
    await expect(store.putOnce('k', '{}')).rejects.toMatchObject({ name: 'AccessDenied' });
  });
});
