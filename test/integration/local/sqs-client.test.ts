// The local runtime's SQS client against fauxqs: every character real SQS accepts reaches the
// consumer as the same JSON value; what real SQS refuses stays refused.
import {
  ReceiveMessageCommand,
  SendMessageBatchCommand,
  SendMessageCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
import { type FauxqsServer, startFauxqs } from 'fauxqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { escapeBeyondBmpInJson, localSqsClient } from '../../../local/sqs-client.ts';

const config = {
  region: 'us-east-1',
  credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
};

let fauxqs: FauxqsServer;
let sqs: SQSClient;
beforeAll(async () => {
  fauxqs = await startFauxqs({ port: 0, logger: false });
  sqs = localSqsClient({ endpoint: fauxqs.address, ...config });
});
afterAll(async () => {
  sqs.destroy();
  await fauxqs.stop();
});

async function receiveAll(queueUrl: string): Promise<string[]> {
  const { Messages = [] } = await sqs.send(
    new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 0 }),
  );
  return Messages.map((m) => m.Body ?? '');
}

const astral = { person: { displayName: 'Ada 😀 Lovelace', userName: '𠮷野@example.com' }, note: 'ok' };

describe('local SQS client: characters beyond U+FFFF', () => {
  it('fauxqs alone refuses them although real SQS accepts them (why this client exists)', async () => {
    const plain = new SQSClient({ endpoint: fauxqs.address, ...config });
    try {
      const { queueUrl } = fauxqs.createQueue('plain');
      await expect(
        plain.send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: JSON.stringify(astral) })),
      ).rejects.toThrow(/Invalid characters/);
    } finally {
      plain.destroy();
    }
  });

  it('carries a JSON body with emoji and CJK extension characters; the consumer parses the same value', async () => {
    const { queueUrl } = fauxqs.createQueue('astral');
    await sqs.send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: JSON.stringify(astral) }));
    const [body] = await receiveAll(queueUrl);
    expect(JSON.parse(body ?? '')).toEqual(astral);
  });

  it('carries them in a batch too', async () => {
    const { queueUrl } = fauxqs.createQueue('astral-batch');
    const answer = await sqs.send(
      new SendMessageBatchCommand({
        QueueUrl: queueUrl,
        Entries: [
          { Id: 'a', MessageBody: JSON.stringify(astral) },
          { Id: 'b', MessageBody: JSON.stringify({ plain: 'ascii' }) },
        ],
      }),
    );
    expect(answer.Failed ?? []).toEqual([]);
    const bodies = (await receiveAll(queueUrl)).map((b) => JSON.parse(b));
    expect(bodies).toEqual(expect.arrayContaining([astral, { plain: 'ascii' }]));
  });

  it('refuses what real SQS refuses: U+FFFF and a lone surrogate', async () => {
    const { queueUrl } = fauxqs.createQueue('refused');
    // Raw in the body (JSON.stringify would escape a lone surrogate into ASCII, which SQS accepts).
    for (const body of ['{"value":"Ada \uFFFF"}', '{"value":"Ada \uD800"}', '{"value":"\uDE00 Ada"}']) {
      await expect(
        sqs.send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: body })),
      ).rejects.toThrow(/Invalid characters/);
    }
  });
});

describe('local SQS client: the JSON escape', () => {
  it('writes each character beyond U+FFFF as its surrogate-pair escape and changes nothing else', () => {
    const body = JSON.stringify({ name: 'Ada 😀 Lovelace', cjk: '𠮷', bmp: 'Łódź ✓', quote: 'a"b\\c' });
    const escaped = escapeBeyondBmpInJson(body);
    expect(escaped).toContain('Ada \\ud83d\\ude00 Lovelace');
    expect(escaped).toContain('\\ud842\\udfb7');
    expect(escaped).toContain('Łódź ✓');
    expect(/[\u{10000}-\u{10FFFF}]/u.test(escaped)).toBe(false);
    expect(JSON.parse(escaped)).toEqual(JSON.parse(body));
  });

  it('leaves a body that is not JSON as it is', () => {
    expect(escapeBeyondBmpInJson('Ada 😀 plain text')).toBe('Ada 😀 plain text');
    expect(escapeBeyondBmpInJson('{"broken": "😀"')).toBe('{"broken": "😀"');
  });
});
