// Authentication schemes of the HR and IdP push sources that are not scimitar's own: HiBob's HMAC
// signature, and the shared secrets Okta (a header of the admin's choice), Rippling and Personio
// (a bearer token) send. Pure functions over the raw body and headers, comparing in constant time;
// a failure says why and never echoes the key or what was expected.
import { createHash, createHmac } from 'node:crypto';
import { SignatureError } from './errors.ts';
import {
  type HeaderBag,
  type RawBody,
  requiredHeader,
  type SyncSignatureVerifier,
  sameDigest,
  type VerifyOptions,
} from './signature.ts';

/**
 * HiBob signs each webhook with the webhook's secret: `Bob-Signature` is the Base64 HMAC-SHA512 of
 * the raw body (https://apidocs.hibob.com/docs/working-with-webhooks, "Authenticate your events").
 */
export const HIBOB_SIGNATURE_HEADER = 'Bob-Signature';

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/**
 * HiBob's scheme signs no timestamp: a replayed delivery verifies. Its events are deduplicated by
 * an id derived from their content (hibob.ts), so a replay starts nothing new.
 */
export const verifyHiBobSignature: SyncSignatureVerifier = (body, headers, key, options) => {
  const value = requiredHeader(headers, HIBOB_SIGNATURE_HEADER);
  if (!BASE64.test(value) || value.length === 0) {
    throw new SignatureError(
      'malformed',
      `the ${HIBOB_SIGNATURE_HEADER} header must hold a Base64 HMAC-SHA512`,
    );
  }
  const received = Buffer.from(value, 'base64');
  const expected = createHmac('sha512', key).update(body).digest();
  if (!sameDigest(expected, received)) {
    throw new SignatureError('mismatch', `the ${HIBOB_SIGNATURE_HEADER} header does not match the body`);
  }
  return { signedAt: options.now };
};

/** The header HiBob would send with this body: for tests, fakes and the local CLI. */
export function signHiBob(body: RawBody, key: string): Record<string, string> {
  return { [HIBOB_SIGNATURE_HEADER]: createHmac('sha512', key).update(body).digest('base64') };
}

/**
 * Compares a presented secret with the key in constant time. Both are hashed first, so the
 * comparison takes the same time whatever their lengths (timingSafeEqual needs equal lengths).
 */
function sameSecret(presented: string, key: string): boolean {
  const digest = (v: string) => createHash('sha256').update(v, 'utf8').digest();
  return sameDigest(digest(key), digest(presented));
}

/**
 * A static secret in a header of the sender's choice (Okta event hooks: the "Authentication
 * field" and "Authentication secret"). The value is compared whole.
 */
export function verifyHeaderSecret(
  headers: HeaderBag,
  headerName: string,
  key: string,
  options: VerifyOptions,
): { signedAt: Date } {
  const value = requiredHeader(headers, headerName);
  if (!sameSecret(value, key)) {
    throw new SignatureError('mismatch', `the ${headerName} header does not hold the source's shared secret`);
  }
  return { signedAt: options.now };
}

const BEARER = /^Bearer\s+(\S+)$/i;

/** `Authorization: Bearer <token>`, the token being the source's secret (Rippling, Personio). */
export const verifyBearerSecret: SyncSignatureVerifier = (_body, headers, key, options) => {
  const value = requiredHeader(headers, 'Authorization');
  const match = BEARER.exec(value);
  if (!match) throw new SignatureError('malformed', 'the Authorization header must read "Bearer <token>"');
  if (!sameSecret(match[1] as string, key)) {
    throw new SignatureError('mismatch', "the bearer token is not the source's shared secret");
  }
  return { signedAt: options.now };
};

/** Okta event hooks: the secret in the header the source names (default Authorization). */
export const verifyOktaEventHook: SyncSignatureVerifier = (_body, headers, key, options) => {
  const source = options.source;
  const headerName = source?.kind === 'okta-event-hook' ? source.authHeader : 'Authorization';
  return verifyHeaderSecret(headers, headerName, key, options);
};
