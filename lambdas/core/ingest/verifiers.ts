// The authentication scheme of each source kind: HMAC signatures (generic, BambooHR, HiBob),
// shared secrets (Okta event hooks, Rippling, Personio) and Entra access tokens (Lifecycle Workflows).
import type { SourceConfig } from '../model/config.ts';
import { verifyEntraToken } from './entra-token.ts';
import { SignatureError } from './errors.ts';
import { verifyBearerSecret, verifyHiBobSignature, verifyOktaEventHook } from './push-auth.ts';
import { type SignatureVerifier, verifyBambooHRSignature, verifyGenericSignature } from './signature.ts';

/** The signature scheme of each source kind. */
export const signatureVerifiers: Readonly<Record<SourceConfig['kind'], SignatureVerifier>> = {
  generic: verifyGenericSignature,
  bamboohr: verifyBambooHRSignature,
  hibob: verifyHiBobSignature,
  rippling: verifyBearerSecret,
  personio: verifyBearerSecret,
  'okta-event-hook': verifyOktaEventHook,
  'entra-lcw': verifyEntraToken,
  // Pulled, not pushed (lambdas/core/pull): nothing posted for a Workday source is accepted.
  workday: refusePush('Workday has no webhook: its terminations are polled (docs/roster-pull.md)'),
};

function refusePush(why: string): SignatureVerifier {
  return () => {
    throw new SignatureError('missing', why);
  };
}
