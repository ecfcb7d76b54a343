// Builds the SCIM client for a configured target: its base URL, quirks and credential, read
// from the target's secret (a bearer token, or an OAuth2 client secret; format in
// credentials/secret-format.ts).

import { credentialFieldFor, credentialFromSecret } from '../credentials/secret-format.ts';
import { SecretLookupError, type SecretSource } from '../credentials/secret-source.ts';
import type { ScimTargetConfig } from '../model/config.ts';
import {
  BearerToken,
  type CredentialSource,
  CredentialUnavailableError,
  OAuth2ClientCredentials,
  ScimClient,
} from '../scim/index.ts';
import { InMemoryRateBudget } from './pacing.ts';
import type { RateBudget, RequestClass } from './rate-budget.ts';

export interface TargetClientOptions {
  /** Secret id (name or ARN) holding the target's credential. */
  readonly secretId: string;
  readonly secrets: SecretSource;
  /** @default 10_000 */
  readonly timeoutMs?: number;
  /** How long one operation may wait out the target's rate limit before it is handed back. @default the SCIM client's */
  readonly throttleWaitMaxMs?: number;
  /** @default globalThis.fetch */
  readonly fetch?: typeof fetch;
  /**
   * The target's rate budget, shared by every caller of the target (DynamoRateBudget on the state
   * table): each request takes a slot of it, and a target's 429 pauses and slows it for everyone.
   * @default - a budget of the target's configured rate for this client alone (tests, tools with no table)
   */
  readonly budget?: RateBudget;
  /** Who is asking: lane workers 'leaver' (priority lanes 'urgent'), the reconciler 'background'. @default 'leaver' */
  readonly requestClass?: RequestClass;
}

export function credentialsFor(target: ScimTargetConfig, options: TargetClientOptions): CredentialSource {
  // The credential objects cache; each read of the secret itself is fresh, so a refresh after a
  // 401 sees a rotated value.
  const read = () =>
    options.secrets.read(options.secretId, { refresh: true }).catch((err: unknown) => {
      // Safe to pass on: it names the secret and where it was looked for, never a value.
      if (err instanceof SecretLookupError) throw new CredentialUnavailableError(err.message, { cause: err });
      throw err;
    });
  // The secret's stored format (bare, or JSON with the field) is secret-format.ts's.
  const credential = async () => credentialFromSecret(await read(), credentialFieldFor(target));
  if (target.auth.type === 'bearer') return new BearerToken(credential);
  return new OAuth2ClientCredentials({
    tokenUrl: target.auth.tokenUrl,
    clientId: target.auth.clientId,
    ...(target.auth.scope ? { scope: target.auth.scope } : {}),
    ...(target.auth.grantType && { grantType: target.auth.grantType }),
    ...(target.auth.accountId && { accountId: target.auth.accountId }),
    clientSecret: credential,
    ...(options.fetch ? { fetch: options.fetch } : {}),
  });
}

export function scimClientFor(target: ScimTargetConfig, options: TargetClientOptions): ScimClient {
  const { userAgent, ...quirks } = target.quirks;
  const budget =
    options.budget ??
    new InMemoryRateBudget({
      ratePerSecond: target.rateBudget.requestsPerSecond,
      burst: target.rateBudget.burst,
    });
  const requestClass = options.requestClass ?? 'leaver';
  return new ScimClient({
    baseUrl: target.baseUrl,
    credentials: credentialsFor(target, options),
    quirks,
    ...(userAgent ? { userAgent } : {}),
    ...(options.timeoutMs ? { timeoutMs: options.timeoutMs } : {}),
    ...(options.throttleWaitMaxMs !== undefined && { throttleWaitMaxMs: options.throttleWaitMaxMs }),
    ...(options.fetch ? { fetch: options.fetch } : {}),
    // Paced by the client itself, so the evidence keeps the wait apart from the server's time.
    pace: () => budget.take(requestClass),
    // Advice to the other callers: if the budget cannot be told (its table throttled), the client
    // still waits the server's time itself, so the request does not fail for it.
    onRateLimited: (signal) => budget.throttled(signal).catch(() => {}),
  });
}
