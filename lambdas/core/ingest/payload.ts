// Reads a webhook body as JSON that the rest of the pipeline can carry safely: UTF-8, bounded in
// size and depth (JSON.stringify and DynamoDB recurse; DynamoDB nests at most 32 levels), finite
// numbers only, and no `__proto__` keys that a later merge could turn into prototype pollution.
import { MalformedPayloadError, PayloadTooLargeError } from './errors.ts';

/** Largest body accepted; API Gateway allows more, Step Functions inputs and DynamoDB items do not. */
export const MAX_BODY_BYTES = 256 * 1024;
/** Deepest nesting accepted in a payload (objects and arrays). */
export const MAX_JSON_DEPTH = 20;

export interface PayloadLimits {
  maxBodyBytes: number;
  maxDepth: number;
}

export const defaultPayloadLimits: PayloadLimits = { maxBodyBytes: MAX_BODY_BYTES, maxDepth: MAX_JSON_DEPTH };

export function checkBodySize(body: Uint8Array, maxBodyBytes: number): void {
  if (body.byteLength > maxBodyBytes) {
    throw new PayloadTooLargeError(
      `the body is ${body.byteLength} bytes; at most ${maxBodyBytes} bytes are accepted`,
      maxBodyBytes,
    );
  }
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * Parses the body as JSON within the limits, or throws MalformedPayloadError / PayloadTooLargeError.
 * `notJsonHint` is added to the message when the body is not JSON (e.g. how to switch a sender to JSON).
 */
export function decodeJsonPayload(
  body: Uint8Array,
  limits: PayloadLimits = defaultPayloadLimits,
  notJsonHint?: string,
): unknown {
  checkBodySize(body, limits.maxBodyBytes);
  let text: string;
  try {
    text = utf8.decode(body);
  } catch (err) {
    throw new MalformedPayloadError('the body is not valid UTF-8', { cause: err });
  }
  if (text.trim().length === 0)
    throw new MalformedPayloadError('the body is empty; a JSON object is expected');
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    // The parser's message names the position only, never echoes the body.
    const hint = notJsonHint ? `; ${notJsonHint}` : '';
    throw new MalformedPayloadError(`the body is not valid JSON: ${(err as Error).message}${hint}`, {
      cause: err,
    });
  }
  checkShape(value, limits.maxDepth);
  return value;
}

/** Walks the parsed value without recursion, so a hostile depth cannot exhaust the stack here. */
function checkShape(root: unknown, maxDepth: number): void {
  const stack: Array<{ value: unknown; depth: number }> = [{ value: root, depth: 0 }];
  while (stack.length > 0) {
    const { value, depth } = stack.pop() as { value: unknown; depth: number };
    if (typeof value === 'number' && !Number.isFinite(value)) {
      throw new MalformedPayloadError('the body holds a number too large to represent');
    }
    if (value === null || typeof value !== 'object') continue;
    if (depth >= maxDepth) {
      throw new MalformedPayloadError(`the body nests deeper than ${maxDepth} levels`);
    }
    if (Array.isArray(value)) {
      for (const item of value) stack.push({ value: item, depth: depth + 1 });
      continue;
    }
    for (const [key, item] of Object.entries(value)) {
      if (key === '__proto__') {
        throw new MalformedPayloadError('the body holds a "__proto__" key, which scimitar refuses');
      }
      stack.push({ value: item, depth: depth + 1 });
    }
  }
}
