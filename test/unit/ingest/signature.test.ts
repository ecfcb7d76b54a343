import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { SignatureError, type SignatureFailureReason } from '../../../lambdas/core/ingest/errors.ts';
import {
  BAMBOOHR_SIGNATURE_HEADER,
  BAMBOOHR_TIMESTAMP_HEADER,
  GENERIC_SIGNATURE_HEADER,
  headerValues,
  signBambooHR,
  signGeneric,
  verifyBambooHRSignature,
  verifyGenericSignature,
} from '../../../lambdas/core/ingest/signature.ts';

const KEY = 'whsec_test_9f2c1b7e4a6d';
const OTHER_KEY = 'whsec_other_0000000000';
const NOW = new Date('2026-11-28T09:00:00Z');
const NOW_SECONDS = NOW.getTime() / 1000;
const BODY = '{"eventId":"evt-1","note":"exact bytes matter"}';
const at = (offsetSeconds: number) => new Date(NOW.getTime() + offsetSeconds * 1000);

function failure(verify: () => unknown): SignatureError {
  try {
    verify();
  } catch (err) {
    expect(err).toBeInstanceOf(SignatureError);
    const error = err as SignatureError;
    // Whatever the reason, the message never gives away the key or the signature expected.
    expect(error.message).not.toContain(KEY);
    expect(error.message).not.toMatch(/[0-9a-f]{64}/);
    return error;
  }
  throw new Error('expected the signature to be refused');
}

function refusesWith(reason: SignatureFailureReason, verify: () => unknown): void {
  expect(failure(verify).reason).toBe(reason);
}

describe('generic signature (X-Scimitar-Signature: t=<unix>,v1=<hex>)', () => {
  const signed = (body = BODY, key = KEY, when = NOW) => ({
    [GENERIC_SIGNATURE_HEADER]: signGeneric(body, key, when),
  });
  const verify = (headers: Record<string, string>, body: string | Uint8Array = BODY) =>
    verifyGenericSignature(body, headers, KEY, { now: NOW, toleranceSeconds: 300 });

  it('signs "<t>.<body>" with HMAC-SHA256, as documented for senders', () => {
    const t = String(NOW_SECONDS);
    const v1 = createHmac('sha256', KEY).update(`${t}.${BODY}`).digest('hex');
    expect(signGeneric(BODY, KEY, NOW)).toBe(`t=${t},v1=${v1}`);
  });

  it('accepts a valid signature and reports when it was signed', () => {
    expect(verify(signed()).signedAt).toEqual(NOW);
  });

  it('accepts the raw body as bytes as well as text', () => {
    expect(() => verify(signed(), Buffer.from(BODY, 'utf8'))).not.toThrow();
  });

  it('accepts a signature within the tolerance, in either direction', () => {
    expect(() => verify(signed(BODY, KEY, at(-299)))).not.toThrow();
    expect(() => verify(signed(BODY, KEY, at(299)))).not.toThrow();
  });

  it('accepts any of several v1 values (the sender rolling its key)', () => {
    const t = String(NOW_SECONDS);
    const old = createHmac('sha256', OTHER_KEY).update(`${t}.${BODY}`).digest('hex');
    const current = createHmac('sha256', KEY).update(`${t}.${BODY}`).digest('hex');
    expect(() => verify({ [GENERIC_SIGNATURE_HEADER]: `t=${t},v1=${old},v1=${current}` })).not.toThrow();
    expect(() => verify({ [GENERIC_SIGNATURE_HEADER]: `t=${t}, v1=${current}, v0=ignored` })).not.toThrow();
  });

  it('finds the header whatever its case', () => {
    const value = signGeneric(BODY, KEY, NOW);
    for (const name of ['x-scimitar-signature', 'X-SCIMITAR-SIGNATURE', 'x-Scimitar-signature']) {
      expect(() => verify({ [name]: value })).not.toThrow();
    }
  });

  it('refuses a tampered body', () => {
    refusesWith('mismatch', () => verify(signed(), BODY.replace('evt-1', 'evt-2')));
    refusesWith('mismatch', () => verify(signed(), `${BODY} `));
  });

  it('refuses a tampered signature', () => {
    const value = signGeneric(BODY, KEY, NOW);
    const last = value.at(-1) === '0' ? '1' : '0';
    refusesWith('mismatch', () => verify({ [GENERIC_SIGNATURE_HEADER]: `${value.slice(0, -1)}${last}` }));
  });

  it('refuses a signature made with another key', () => {
    refusesWith('mismatch', () => verify(signed(BODY, OTHER_KEY)));
  });

  it('refuses a signature whose timestamp was changed after signing', () => {
    const value = signGeneric(BODY, KEY, NOW).replace(`t=${NOW_SECONDS}`, `t=${NOW_SECONDS + 1}`);
    refusesWith('mismatch', () => verify({ [GENERIC_SIGNATURE_HEADER]: value }));
  });

  it('refuses a stale delivery (a replay) and one dated too far ahead', () => {
    refusesWith('stale', () => verify(signed(BODY, KEY, at(-301))));
    refusesWith('future', () => verify(signed(BODY, KEY, at(301))));
  });

  it('refuses a signature of a different length without throwing from the comparison', () => {
    const t = String(NOW_SECONDS);
    const v1 = createHmac('sha256', KEY).update(`${t}.${BODY}`).digest('hex');
    refusesWith('mismatch', () => verify({ [GENERIC_SIGNATURE_HEADER]: `t=${t},v1=${v1.slice(0, 62)}` }));
    refusesWith('mismatch', () => verify({ [GENERIC_SIGNATURE_HEADER]: `t=${t},v1=${v1}00` }));
  });

  it('refuses a missing header', () => {
    refusesWith('missing', () => verify({}));
    refusesWith('missing', () => verify({ [GENERIC_SIGNATURE_HEADER]: '  ' }));
    refusesWith('missing', () => verifyGenericSignature(BODY, null, KEY, { now: NOW }));
  });

  it('refuses malformed headers', () => {
    const v1 = 'a'.repeat(64);
    for (const value of [
      'garbage',
      `v1=${v1}`,
      `t=${NOW_SECONDS}`,
      `t=${NOW_SECONDS},t=${NOW_SECONDS},v1=${v1}`,
      `t=soon,v1=${v1}`,
      `t=${NOW_SECONDS},v1=not-hex`,
      `t=${NOW_SECONDS},v1=${'a'.repeat(63)}`,
      `t=${NOW_SECONDS},v1=`,
      `t=${NOW_SECONDS},${Array.from({ length: 9 }, () => `v1=${v1}`).join(',')}`,
    ]) {
      refusesWith('malformed', () => verify({ [GENERIC_SIGNATURE_HEADER]: value }));
    }
  });

  it('refuses the header sent twice in different cases with different values', () => {
    refusesWith('malformed', () =>
      verify({ 'x-scimitar-signature': signGeneric(BODY, KEY, NOW), 'X-Scimitar-Signature': 't=1,v1=aa' }),
    );
  });
});

describe('BambooHR signature (X-BambooHR-Signature over body + X-BambooHR-Timestamp)', () => {
  const verify = (headers: Record<string, string>, body: string | Uint8Array = BODY) =>
    verifyBambooHRSignature(body, headers, KEY, { now: NOW, toleranceSeconds: 300 });

  it('signs body + timestamp with HMAC-SHA256, as BambooHR does', () => {
    const t = String(NOW_SECONDS);
    expect(signBambooHR(BODY, KEY, NOW)).toEqual({
      [BAMBOOHR_SIGNATURE_HEADER]: createHmac('sha256', KEY)
        .update(BODY + t)
        .digest('hex'),
      [BAMBOOHR_TIMESTAMP_HEADER]: t,
    });
  });

  it('accepts a valid delivery', () => {
    expect(verify(signBambooHR(BODY, KEY, NOW)).signedAt).toEqual(NOW);
  });

  it('accepts an upper-case hex signature and lower-case header names', () => {
    const headers = signBambooHR(BODY, KEY, NOW);
    expect(() =>
      verify({
        'x-bamboohr-signature': (headers[BAMBOOHR_SIGNATURE_HEADER] as string).toUpperCase(),
        'x-bamboohr-timestamp': headers[BAMBOOHR_TIMESTAMP_HEADER] as string,
      }),
    ).not.toThrow();
  });

  it('accepts an ISO 8601 timestamp header, signed as sent', () => {
    const timestamp = '2026-11-28T08:59:00+0000';
    const signature = createHmac('sha256', KEY)
      .update(BODY + timestamp)
      .digest('hex');
    const verified = verify({
      [BAMBOOHR_SIGNATURE_HEADER]: signature,
      [BAMBOOHR_TIMESTAMP_HEADER]: timestamp,
    });
    expect(verified.signedAt).toEqual(at(-60));
  });

  it('refuses a tampered body, a tampered signature and another key', () => {
    const headers = signBambooHR(BODY, KEY, NOW);
    refusesWith('mismatch', () => verify(headers, `${BODY}\n`));
    const signature = headers[BAMBOOHR_SIGNATURE_HEADER] as string;
    const flipped = `${signature[0] === 'a' ? 'b' : 'a'}${signature.slice(1)}`;
    refusesWith('mismatch', () => verify({ ...headers, [BAMBOOHR_SIGNATURE_HEADER]: flipped }));
    refusesWith('mismatch', () => verify(signBambooHR(BODY, OTHER_KEY, NOW)));
  });

  it('refuses a timestamp changed after signing (it is part of what is signed)', () => {
    const headers = signBambooHR(BODY, KEY, NOW);
    refusesWith('mismatch', () =>
      verify({ ...headers, [BAMBOOHR_TIMESTAMP_HEADER]: String(NOW_SECONDS - 1) }),
    );
  });

  it('refuses stale and future-dated deliveries', () => {
    refusesWith('stale', () => verify(signBambooHR(BODY, KEY, at(-301))));
    refusesWith('future', () => verify(signBambooHR(BODY, KEY, at(301))));
  });

  it('refuses a signature of a different length', () => {
    const headers = signBambooHR(BODY, KEY, NOW);
    refusesWith('mismatch', () =>
      verify({
        ...headers,
        [BAMBOOHR_SIGNATURE_HEADER]: (headers[BAMBOOHR_SIGNATURE_HEADER] as string).slice(2),
      }),
    );
  });

  it('refuses a missing signature or timestamp', () => {
    const headers = signBambooHR(BODY, KEY, NOW);
    refusesWith('missing', () =>
      verify({ [BAMBOOHR_TIMESTAMP_HEADER]: headers[BAMBOOHR_TIMESTAMP_HEADER] as string }),
    );
    refusesWith('missing', () =>
      verify({ [BAMBOOHR_SIGNATURE_HEADER]: headers[BAMBOOHR_SIGNATURE_HEADER] as string }),
    );
  });

  it('refuses malformed signature and timestamp headers', () => {
    const headers = signBambooHR(BODY, KEY, NOW);
    refusesWith('malformed', () => verify({ ...headers, [BAMBOOHR_SIGNATURE_HEADER]: 'sha256=zz' }));
    refusesWith('malformed', () => verify({ ...headers, [BAMBOOHR_TIMESTAMP_HEADER]: 'yesterday' }));
    refusesWith('malformed', () => verify({ ...headers, [BAMBOOHR_TIMESTAMP_HEADER]: '1764320400000000' }));
  });

  it('does not accept a generic-scheme header in place of its own', () => {
    refusesWith('missing', () => verify({ [GENERIC_SIGNATURE_HEADER]: signGeneric(BODY, KEY, NOW) }));
  });
});

describe('header lookup', () => {
  it('finds every distinct value of a header whatever its case, ignoring null', () => {
    expect(headerValues({ 'X-A': '1', 'x-a': '1', 'x-b': '2', 'X-a': null }, 'x-A')).toEqual(['1']);
    expect(headerValues(undefined, 'x-a')).toEqual([]);
  });
});
