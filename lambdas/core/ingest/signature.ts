// Webhook signature schemes: pure functions over the raw body as received (never a re-serialised
// parse), comparing in constant time. A failure says why (missing, malformed, mismatch, stale,
// future) and never echoes the expected signature or the key.
import { createHmac, timingSafeEqual } from 'node:crypto';
import type { SourceConfig } from '../model/config.ts';
import { SignatureError } from './errors.ts';

export const GENERIC_SIGNATURE_HEADER = 'X-Scimitar-Signature';
export const BAMBOOHR_SIGNATURE_HEADER = 'X-BambooHR-Signature';
export const BAMBOOHR_TIMESTAMP_HEADER = 'X-BambooHR-Timestamp';

/** Deliveries signed longer ago (or further ahead) than this are refused. Matches the config default. */
export const DEFAULT_TOLERANCE_SECONDS = 300;
/** A sender rolling its key signs with the old and the new one; more than this is not a rollover. */
export const MAX_GENERIC_SIGNATURES = 8;

export type RawBody = string | Uint8Array;
/** Request headers as API Gateway passes them: any case, possibly null. */
export type HeaderBag = Readonly<Record<string, string | undefined | null>> | null | undefined;

export interface VerifyOptions {
  now: Date;
  /** @default 300 */
  toleranceSeconds?: number;
  /** The source delivered to: schemes with settings of their own (header name, tenant) read them here. */
  source?: SourceConfig;
}

/** What a verified signature proves beyond authenticity: when the sender signed it. */
export interface VerifiedDelivery {
  signedAt: Date;
}

export type SignatureVerifier = (
  body: RawBody,
  headers: HeaderBag,
  key: string,
  options: VerifyOptions,
) => VerifiedDelivery | Promise<VerifiedDelivery>;

/** A scheme checked from the request alone, with no key fetch (every HMAC and shared-secret scheme). */
export type SyncSignatureVerifier = (
  body: RawBody,
  headers: HeaderBag,
  key: string,
  options: VerifyOptions,
) => VerifiedDelivery;

/** Every distinct value of a header, looked up case-insensitively. */
export function headerValues(headers: HeaderBag, name: string): string[] {
  if (!headers) return [];
  const wanted = name.toLowerCase();
  const values = new Set<string>();
  for (const [key, value] of Object.entries(headers)) {
    if (key.toLowerCase() === wanted && typeof value === 'string') values.add(value.trim());
  }
  return [...values];
}

/** The one value of a required signature header, or a SignatureError (missing, or sent twice differently). */
export function requiredHeader(headers: HeaderBag, name: string): string {
  const values = headerValues(headers, name).filter((v) => v.length > 0);
  if (values.length === 0) throw new SignatureError('missing', `the ${name} header is missing`);
  if (values.length > 1) {
    throw new SignatureError('malformed', `the ${name} header was sent more than once with different values`);
  }
  return values[0] as string;
}

function hmacSha256(key: string, ...parts: RawBody[]): Buffer {
  const hmac = createHmac('sha256', key);
  for (const part of parts) hmac.update(part);
  return hmac.digest();
}

const HEX = /^(?:[0-9a-f]{2})+$/i;

/** Decodes a hex signature, or refuses it as malformed (Buffer.from would silently drop bad digits). */
function decodeHex(value: string, header: string): Buffer {
  if (!HEX.test(value)) {
    throw new SignatureError('malformed', `the ${header} header must hold a hex-encoded HMAC-SHA256`);
  }
  return Buffer.from(value, 'hex');
}

/** Constant-time equality; timingSafeEqual throws on different lengths, so those are compared first. */
export function sameDigest(expected: Buffer, received: Buffer): boolean {
  return expected.length === received.length && timingSafeEqual(expected, received);
}

/** Refuses a signing time outside the window around `now`, in either direction. */
function checkWindow(signedAt: Date, { now, toleranceSeconds = DEFAULT_TOLERANCE_SECONDS }: VerifyOptions) {
  const ageSeconds = (now.getTime() - signedAt.getTime()) / 1000;
  if (ageSeconds > toleranceSeconds) {
    throw new SignatureError(
      'stale',
      `the delivery was signed ${Math.floor(ageSeconds)} s ago; deliveries older than ${toleranceSeconds} s are refused as replays`,
    );
  }
  if (-ageSeconds > toleranceSeconds) {
    throw new SignatureError(
      'future',
      `the delivery is dated ${Math.floor(-ageSeconds)} s in the future; more than ${toleranceSeconds} s ahead is refused (check the sender's clock)`,
    );
  }
}

const UNIX_SECONDS = /^\d{1,11}$/;
// BambooHR documents unix seconds; an ISO 8601 instant is accepted too, as some deliveries show one.
const ISO_INSTANT = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{1,9})?(?:Z|[+-]\d{2}:?\d{2})$/;

function parseUnixSeconds(value: string, header: string): Date {
  if (!UNIX_SECONDS.test(value)) {
    throw new SignatureError('malformed', `the ${header} timestamp must be unix seconds`);
  }
  return new Date(Number(value) * 1000);
}

// ---------------------------------------------------------------------------------------------
// generic: scimitar's own scheme, Stripe-style. X-Scimitar-Signature: t=<unix>,v1=<hex>[,v1=<hex>]
// where v1 = hex(HMAC-SHA256(key, `${t}.${rawBody}`)).

interface GenericSignatureHeader {
  timestamp: string;
  signatures: string[];
}

function parseGenericHeader(value: string): GenericSignatureHeader {
  const header = GENERIC_SIGNATURE_HEADER;
  let timestamp: string | undefined;
  const signatures: string[] = [];
  for (const item of value.split(',')) {
    const part = item.trim();
    const eq = part.indexOf('=');
    if (eq <= 0 || eq === part.length - 1) {
      throw new SignatureError('malformed', `the ${header} header must read t=<unix seconds>,v1=<hex>`);
    }
    const key = part.slice(0, eq);
    const val = part.slice(eq + 1);
    if (key === 't') {
      if (timestamp !== undefined)
        throw new SignatureError('malformed', `the ${header} header holds t twice`);
      timestamp = val;
    } else if (key === 'v1') {
      signatures.push(val);
    }
    // Other schemes (v0, a future v2) are ignored, as Stripe does: they are not ours to check.
  }
  if (timestamp === undefined) throw new SignatureError('malformed', `the ${header} header has no t=`);
  if (signatures.length === 0) throw new SignatureError('malformed', `the ${header} header has no v1=`);
  if (signatures.length > MAX_GENERIC_SIGNATURES) {
    throw new SignatureError(
      'malformed',
      `the ${header} header holds more than ${MAX_GENERIC_SIGNATURES} v1 signatures`,
    );
  }
  return { timestamp, signatures };
}

export const verifyGenericSignature: SyncSignatureVerifier = (body, headers, key, options) => {
  const { timestamp, signatures } = parseGenericHeader(requiredHeader(headers, GENERIC_SIGNATURE_HEADER));
  const signedAt = parseUnixSeconds(timestamp, GENERIC_SIGNATURE_HEADER);
  const received = signatures.map((s) => decodeHex(s, GENERIC_SIGNATURE_HEADER));
  const expected = hmacSha256(key, `${timestamp}.`, body);
  // Check every candidate so the time taken does not tell which one matched.
  let matched = false;
  for (const candidate of received) matched = sameDigest(expected, candidate) || matched;
  if (!matched) {
    throw new SignatureError('mismatch', `no v1 signature in ${GENERIC_SIGNATURE_HEADER} matches the body`);
  }
  checkWindow(signedAt, options);
  return { signedAt };
};

/** The X-Scimitar-Signature value for a body: for tests, the local CLI and senders written in JS. */
export function signGeneric(body: RawBody, key: string, now: Date): string {
  const t = Math.floor(now.getTime() / 1000).toString();
  return `t=${t},v1=${hmacSha256(key, `${t}.`, body).toString('hex')}`;
}

// ---------------------------------------------------------------------------------------------
// BambooHR: X-BambooHR-Signature = hex(HMAC-SHA256(private key, rawBody + X-BambooHR-Timestamp)).

function parseBambooHRTimestamp(value: string): Date {
  if (UNIX_SECONDS.test(value)) return new Date(Number(value) * 1000);
  if (ISO_INSTANT.test(value)) {
    const date = new Date(value.replace(/([+-]\d{2})(\d{2})$/, '$1:$2'));
    if (!Number.isNaN(date.getTime())) return date;
  }
  throw new SignatureError(
    'malformed',
    `the ${BAMBOOHR_TIMESTAMP_HEADER} header must be unix seconds (or an ISO 8601 instant)`,
  );
}

export const verifyBambooHRSignature: SyncSignatureVerifier = (body, headers, key, options) => {
  const signature = requiredHeader(headers, BAMBOOHR_SIGNATURE_HEADER);
  const timestamp = requiredHeader(headers, BAMBOOHR_TIMESTAMP_HEADER);
  const signedAt = parseBambooHRTimestamp(timestamp);
  const received = decodeHex(signature, BAMBOOHR_SIGNATURE_HEADER);
  if (!sameDigest(hmacSha256(key, body, timestamp), received)) {
    throw new SignatureError('mismatch', `the ${BAMBOOHR_SIGNATURE_HEADER} header does not match the body`);
  }
  checkWindow(signedAt, options);
  return { signedAt };
};

/** The two headers BambooHR would send with this body: for tests, the local CLI and docs. */
export function signBambooHR(body: RawBody, key: string, now: Date): Record<string, string> {
  const timestamp = Math.floor(now.getTime() / 1000).toString();
  return {
    [BAMBOOHR_SIGNATURE_HEADER]: hmacSha256(key, body, timestamp).toString('hex'),
    [BAMBOOHR_TIMESTAMP_HEADER]: timestamp,
  };
}
