// Entra ID access tokens on a Lifecycle Workflows call: Lifecycle Workflows calls an Azure Logic
// App, which forwards the task to scimitar with a token of its managed identity for scimitar's app
// registration. The token is checked with `jose` against the tenant's published keys (JWKS):
// signature, issuer (this tenant, v1 or v2), audience, lifetime, and that the caller is allowed.
import { createRemoteJWKSet, errors, type JWTVerifyGetKey, jwtVerify } from 'jose';
import type { SourceConfig } from '../model/config.ts';
import { SignatureError } from './errors.ts';
import { requiredHeader, type SignatureVerifier } from './signature.ts';

type EntraSource = Extract<SourceConfig, { kind: 'entra-lcw' }>;

/** Seconds of clock difference allowed on exp and nbf. */
const CLOCK_TOLERANCE_SECONDS = 300;
/** Longest token read: Entra access tokens are a few KB. */
const MAX_TOKEN_CHARS = 16_384;

/** The tenant's signing keys (https://learn.microsoft.com/entra/identity-platform/access-tokens#validate-tokens). */
export function entraJwksUrl(source: Pick<EntraSource, 'authority' | 'tenantId'>): URL {
  return new URL(`${source.authority.replace(/\/$/, '')}/${source.tenantId}/discovery/v2.0/keys`);
}

/** Issuers of the tenant's v1 and v2 access tokens. */
export function entraIssuers(source: Pick<EntraSource, 'authority' | 'tenantId'>): string[] {
  const v2 = `${source.authority.replace(/\/$/, '')}/${source.tenantId}/v2.0`;
  // v1 tokens name sts.windows.net in the public cloud; the local fake issues both under its own host.
  const v1 =
    new URL(source.authority).hostname === 'login.microsoftonline.com'
      ? `https://sts.windows.net/${source.tenantId}/`
      : `${source.authority.replace(/\/$/, '')}/${source.tenantId}/`;
  return [v1, v2];
}

// One key set per JWKS URL for the life of the container: jose caches the keys and refetches on an unknown kid.
const keySets = new Map<string, JWTVerifyGetKey>();
function keySetFor(url: URL): JWTVerifyGetKey {
  const key = url.toString();
  let set = keySets.get(key);
  if (!set) {
    set = createRemoteJWKSet(url, { timeoutDuration: 3000, cooldownDuration: 30_000 });
    keySets.set(key, set);
  }
  return set;
}

const BEARER = /^Bearer\s+(\S+)$/i;

/**
 * Verifies the bearer token of an entra-lcw delivery. The source's secret (Graph client
 * credentials for the resume call) plays no part: the token is proven by the tenant's keys.
 */
export const verifyEntraToken: SignatureVerifier = async (_body, headers, _key, options) => {
  const source = options.source;
  if (source?.kind !== 'entra-lcw') throw new Error('verifyEntraToken needs its entra-lcw source');
  const match = BEARER.exec(requiredHeader(headers, 'Authorization'));
  if (!match || (match[1] as string).length > MAX_TOKEN_CHARS) {
    throw new SignatureError('malformed', 'the Authorization header must read "Bearer <Entra access token>"');
  }
  let payload: Record<string, unknown>;
  try {
    ({ payload } = await jwtVerify(match[1] as string, keySetFor(entraJwksUrl(source)), {
      issuer: entraIssuers(source),
      audience: source.audience,
      algorithms: ['RS256'],
      clockTolerance: CLOCK_TOLERANCE_SECONDS,
      currentDate: options.now,
      requiredClaims: ['exp', 'iat'],
    }));
  } catch (err) {
    throw tokenRefusal(err);
  }
  if (payload.tid !== undefined && payload.tid !== source.tenantId) {
    throw new SignatureError('mismatch', 'the token was issued for another tenant');
  }
  const caller = typeof payload.appid === 'string' ? payload.appid : payload.azp;
  if (
    typeof caller !== 'string' ||
    !source.allowedCallers.some((c) => c.toLowerCase() === caller.toLowerCase())
  ) {
    throw new SignatureError(
      'mismatch',
      "the token's caller (appid/azp) is not in the source's allowedCallers; add the Logic App managed identity's client id",
    );
  }
  return { signedAt: new Date((payload.iat as number) * 1000) };
};

/** Maps jose's failures to refusals that say what is wrong, without echoing the token. */
function tokenRefusal(err: unknown): SignatureError {
  if (err instanceof errors.JWTExpired)
    return new SignatureError('stale', 'the access token has expired', { cause: err });
  if (err instanceof errors.JWTClaimValidationFailed) {
    const claim = err.claim;
    if (claim === 'nbf' || claim === 'iat') {
      return new SignatureError('future', 'the access token is not valid yet (check the clocks)', {
        cause: err,
      });
    }
    return new SignatureError(
      'mismatch',
      `the access token's ${claim} claim is not what this source accepts`,
      {
        cause: err,
      },
    );
  }
  if (
    err instanceof errors.JWSSignatureVerificationFailed ||
    err instanceof errors.JWKSNoMatchingKey ||
    err instanceof errors.JOSEAlgNotAllowed
  ) {
    return new SignatureError('mismatch', "the access token is not signed by the tenant's keys", {
      cause: err,
    });
  }
  if (
    err instanceof errors.JWSInvalid ||
    err instanceof errors.JWTInvalid ||
    err instanceof errors.JOSENotSupported
  ) {
    return new SignatureError('malformed', 'the access token is not a well-formed JWT', { cause: err });
  }
  // The tenant's key set could not be fetched: not the sender's fault, and not a pass either.
  throw err;
}
