// The local runtime's SQS client for fauxqs. Real SQS accepts every character of
// #x9 | #xA | #xD | #x20-#xD7FF | #xE000-#xFFFD | #x10000-#x10FFFF in a message body (SendMessage,
// Amazon SQS API Reference). fauxqs 2.4.1 checks UTF-16 code units instead of characters, so both
// halves of a surrogate pair fail and it refuses any character beyond U+FFFF ('Ada 😀 Lovelace',
// 𠮷) with InvalidMessageContents (fixed upstream in kibertoad/fauxqs#278, not in a release yet).
// Every body scimitar sends is JSON, and outside its strings JSON holds only ASCII: written as a
// JSON escape (`\ud83d\ude00`), the character is the same once parsed. So this client escapes
// such characters in JSON bodies on their way to fauxqs; the worker parses the body exactly as it
// does on AWS, with no local-only path in any handler. Characters SQS itself refuses stay refused.
import {
  type SendMessageBatchCommandInput,
  type SendMessageCommandInput,
  SQSClient,
  type SQSClientConfig,
} from '@aws-sdk/client-sqs';

const BEYOND_BMP = /[\u{10000}-\u{10FFFF}]/u;
const EACH_BEYOND_BMP = /[\u{10000}-\u{10FFFF}]/gu;

const hex = (unit: number) => unit.toString(16).padStart(4, '0');

/**
 * The JSON text with every character beyond U+FFFF written as its JSON escape: the same value
 * for any JSON parser. A body that is not JSON is returned as it is (fauxqs decides).
 */
export function escapeBeyondBmpInJson(body: string): string {
  if (!BEYOND_BMP.test(body)) return body;
  try {
    JSON.parse(body);
  } catch {
    return body;
  }
  return body.replace(
    EACH_BEYOND_BMP,
    (char) => `\\u${hex(char.charCodeAt(0))}\\u${hex(char.charCodeAt(1))}`,
  );
}

/** An SQS client for fauxqs that carries every character real SQS accepts (see the module comment). */
export function localSqsClient(config: SQSClientConfig): SQSClient {
  const client = new SQSClient(config);
  client.middlewareStack.add(
    (next, context) => async (args) => {
      if (context.commandName === 'SendMessageCommand') {
        const input = args.input as SendMessageCommandInput;
        if (input.MessageBody !== undefined) {
          const escaped: SendMessageCommandInput = {
            ...input,
            MessageBody: escapeBeyondBmpInJson(input.MessageBody),
          };
          return next({ ...args, input: escaped });
        }
      }
      if (context.commandName === 'SendMessageBatchCommand') {
        const input = args.input as SendMessageBatchCommandInput;
        const escaped: SendMessageBatchCommandInput = {
          ...input,
          Entries: input.Entries?.map((entry) =>
            entry.MessageBody === undefined
              ? entry
              : { ...entry, MessageBody: escapeBeyondBmpInJson(entry.MessageBody) },
          ),
        };
        return next({ ...args, input: escaped });
      }
      return next(args);
    },
    // Ahead of the SDK's MD5 check of the sent body, so it hashes the body fauxqs stores.
    { step: 'initialize', priority: 'high', name: 'scimitarEscapeBeyondBmpForFauxqs' },
  );
  return client;
}
