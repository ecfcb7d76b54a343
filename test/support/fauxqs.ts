// A real SQS API on loopback for tests: fauxqs, and an SDK client pointed at it.
import { SQSClient } from '@aws-sdk/client-sqs';
import { type FauxqsServer, startFauxqs } from 'fauxqs';

export interface LocalSqs {
  readonly fauxqs: FauxqsServer;
  readonly sqs: SQSClient;
  close(): Promise<void>;
}

export async function startLocalSqs(): Promise<LocalSqs> {
  const fauxqs = await startFauxqs({ port: 0, logger: false });
  const sqs = new SQSClient({
    endpoint: fauxqs.address,
    region: 'us-east-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
  return {
    fauxqs,
    sqs,
    close: async () => {
      sqs.destroy();
      await fauxqs.stop();
    },
  };
}
