// A real S3 API on loopback for tests: fauxqs, with the given buckets and a client for it.
import { S3Client } from '@aws-sdk/client-s3';
import { type FauxqsServer, startFauxqs } from 'fauxqs';

export interface LocalS3 {
  readonly fauxqs: FauxqsServer;
  readonly s3: S3Client;
  close(): Promise<void>;
}

export async function startLocalS3(buckets: readonly string[]): Promise<LocalS3> {
  const fauxqs = await startFauxqs({ port: 0, logger: false });
  for (const bucket of buckets) fauxqs.createBucket(bucket);
  const s3 = new S3Client({
    endpoint: fauxqs.address,
    region: 'us-east-1',
    forcePathStyle: true,
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
  return {
    fauxqs,
    s3,
    close: async () => {
      s3.destroy();
      await fauxqs.stop();
    },
  };
}
