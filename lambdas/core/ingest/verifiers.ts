// The authentication scheme of each source kind: HMAC signatures (generic, BambooHR, HiBob),
// shared secrets (Okta event hooks, Rippling, Personio) and Entra access tokens (Lifecycle Workflows).
import type { SourceConfig } from '../model/config.ts';
import { verifyEntraToken } from './entra-token.ts';
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
};
