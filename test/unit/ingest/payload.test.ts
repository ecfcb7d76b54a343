import { describe, expect, it } from 'vitest';
import { MalformedPayloadError, PayloadTooLargeError } from '../../../lambdas/core/ingest/errors.ts';
import { decodeJsonPayload, MAX_BODY_BYTES, MAX_JSON_DEPTH } from '../../../lambdas/core/ingest/payload.ts';

const bytes = (text: string) => Buffer.from(text, 'utf8');

function refusal(body: Uint8Array): Error {
  try {
    decodeJsonPayload(body);
  } catch (err) {
    return err as Error;
  }
  throw new Error('expected the body to be refused');
}

describe('webhook body: reading JSON safely', () => {
  it('parses a JSON object', () => {
    expect(decodeJsonPayload(bytes('{"a":[1,{"b":"c"}]}'))).toEqual({ a: [1, { b: 'c' }] });
  });

  it('accepts nesting up to the limit', () => {
    const nested = `${'['.repeat(MAX_JSON_DEPTH)}${']'.repeat(MAX_JSON_DEPTH)}`;
    expect(() => decodeJsonPayload(bytes(nested))).not.toThrow();
  });

  it('refuses a body over the size limit before parsing it', () => {
    const error = refusal(bytes(`"${'x'.repeat(MAX_BODY_BYTES)}"`));
    expect(error).toBeInstanceOf(PayloadTooLargeError);
    expect(error.message).toContain(`at most ${MAX_BODY_BYTES} bytes`);
  });

  it('refuses an empty body and one that is not JSON', () => {
    expect(refusal(bytes(''))).toBeInstanceOf(MalformedPayloadError);
    expect(refusal(bytes('  \n'))).toBeInstanceOf(MalformedPayloadError);
    const error = refusal(bytes('employees[123][changedFields][0]=Employment+Status'));
    expect(error).toBeInstanceOf(MalformedPayloadError);
    expect(error.message).toMatch(/^the body is not valid JSON/);
  });

  it('refuses bytes that are not UTF-8', () => {
    expect(refusal(Uint8Array.from([0x7b, 0x22, 0xff, 0xfe, 0x22, 0x7d]))).toBeInstanceOf(
      MalformedPayloadError,
    );
  });

  it('refuses JSON nested deeper than the limit (it would overflow the stack when serialised)', () => {
    const deep = `${'['.repeat(100_000)}${']'.repeat(100_000)}`;
    const error = refusal(bytes(deep));
    expect(error).toBeInstanceOf(MalformedPayloadError);
    expect(error.message).toContain(`deeper than ${MAX_JSON_DEPTH} levels`);
    const justOver = `${'{"a":'.repeat(MAX_JSON_DEPTH + 1)}1${'}'.repeat(MAX_JSON_DEPTH + 1)}`;
    expect(refusal(bytes(justOver))).toBeInstanceOf(MalformedPayloadError);
  });

  it('refuses numbers that do not fit a double (JSON.parse makes them Infinity)', () => {
    expect(refusal(bytes('{"n":1e400}'))).toBeInstanceOf(MalformedPayloadError);
  });

  it('refuses "__proto__" keys anywhere, and leaves Object.prototype untouched', () => {
    const error = refusal(bytes('{"raw":{"x":[{"__proto__":{"polluted":true}}]}}'));
    expect(error).toBeInstanceOf(MalformedPayloadError);
    expect(error.message).toContain('__proto__');
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });
});
