// A session target's lane client: the lane's find → (hold, budget) → note the write → write →
// verify, with a provider's session API in place of SCIM. Built per target from its config and
// secret (sessionRevokerFor), on the target's one shared rate budget, as scimClientFor builds a
// SCIM client.

import { credentialFromSecret } from '../credentials/secret-format.ts';
import { SecretLookupError, type SecretSource } from '../credentials/secret-source.ts';
import type { MatchAttribute, SessionTargetConfig } from '../model/config.ts';
import type {
  LaneRevokeEvidence,
  LaneRevokeRequest,
  LaneScimClient,
  SessionsVerified,
} from '../revocation/ports.ts';
import { ScimConnection } from '../scim/connection.ts';
import {
  CredentialUnavailableError,
  type FindResult,
  type MembershipUpdateEvidence,
  OAuth2ClientCredentials,
  type RequestRecord,
  type SecretProvider,
} from '../scim/index.ts';
import { InMemoryRateBudget } from '../targets/pacing.ts';
import type { RateBudget, RequestClass } from '../targets/rate-budget.ts';
import {
  GOOGLE_USER_READONLY_SCOPE,
  GOOGLE_USER_SECURITY_SCOPE,
  GoogleServiceAccount,
  OktaApiToken,
} from './credentials.ts';
import { sessionHook } from './hook.ts';
import {
  entraSessions,
  googleQuotaAsThrottle,
  googleSessions,
  oktaSessions,
  type SessionApi,
} from './providers.ts';

export class SessionRevoker implements LaneScimClient {
  constructor(
    private readonly api: SessionApi,
    private readonly attribute: MatchAttribute,
    private readonly clock: () => number = Date.now,
  ) {}

  async findAccount(match: { attribute: MatchAttribute; value: string }): Promise<FindResult> {
    const user = await this.api.find(match.value, match.attribute, []);
    return user
      ? { status: 'found', account: { id: user.id, userName: user.userName, emails: [], groupIds: [] } }
      : { status: 'none' };
  }

  /** A session target manages no groups: the plan never sends it a mover's lane. */
  async updateMemberships(): Promise<MembershipUpdateEvidence> {
    throw new Error("a session target's lane only revokes sessions; it has no group memberships to update");
  }

  async revoke(request: LaneRevokeRequest): Promise<LaneRevokeEvidence> {
    if (request.action !== 'revoke-sessions')
      throw new Error(`a session target's lane only revokes sessions; it was asked to ${request.action}`);
    const requests: RequestRecord[] = [];
    const user = await this.api.find(
      request.match.value,
      request.match.attribute ?? this.attribute,
      requests,
    );
    if (!user) return { outcome: 'no-account', requests };
    const account = { id: user.id, userName: user.userName };
    // A rescind or a spent blast-radius budget stops it here, before anything is sent.
    await request.beforeChanges?.(account);
    const write = this.api.write(user);
    await request.beforeWrite?.({ ...write, account });
    const sentAt = this.clock();
    const { gone } = await this.api.send(user, requests);
    const verified: SessionsVerified = gone
      ? { sessionsRevoked: true, checkedBy: 'answer', detail: 'the provider no longer knows the user (404)' }
      : await this.api.verify(user, sentAt, requests);
    return {
      outcome: gone ? 'already-revoked' : 'revoked',
      account,
      requests,
      verified,
      ...(gone && { alreadyGone: true }),
    };
  }

  /** A retry's read-back of an earlier attempt's write (its answer lost): the provider's own check. */
  async verify(id: string, _after: unknown, trace: RequestRecord[] = []): Promise<SessionsVerified> {
    return this.api.verify({ id, userName: id }, 0, trace);
  }
}

export interface SessionRevokerOptions {
  readonly secretId: string;
  readonly secrets: SecretSource;
  /** @default 10_000 */
  readonly timeoutMs?: number;
  readonly throttleWaitMaxMs?: number;
  readonly fetch?: typeof fetch;
  /** The target's shared rate budget. @default - one of its configured rate for this client alone */
  readonly budget?: RateBudget;
  /** @default 'leaver' */
  readonly requestClass?: RequestClass;
  readonly clock?: () => number;
}

/** The documented endpoints, where the config names none. */
export const SESSION_DEFAULTS = {
  entraGraphUrl: 'https://graph.microsoft.com/v1.0',
  entraTokenUrl: (tenantId: string) => `https://login.microsoftonline.com/${tenantId}/oauth2/v2.0/token`,
  entraScope: 'https://graph.microsoft.com/.default',
  googleBaseUrl: 'https://admin.googleapis.com',
  googleTokenUrl: 'https://oauth2.googleapis.com/token',
} as const;

/** The session revoker of a configured session target. */
export function sessionRevokerFor(
  target: SessionTargetConfig,
  options: SessionRevokerOptions,
): SessionRevoker {
  const read: SecretProvider = () =>
    options.secrets.read(options.secretId, { refresh: true }).catch((err: unknown) => {
      if (err instanceof SecretLookupError) throw new CredentialUnavailableError(err.message, { cause: err });
      throw err;
    });
  const budget =
    options.budget ??
    new InMemoryRateBudget({
      ratePerSecond: target.rateBudget.requestsPerSecond,
      burst: target.rateBudget.burst,
    });
  const requestClass = options.requestClass ?? 'leaver';
  const pace = () => budget.take(requestClass);
  const onRateLimited = (signal: Parameters<RateBudget['throttled']>[0]) =>
    budget.throttled(signal).catch(() => {});
  const common = {
    ...(options.timeoutMs && { timeoutMs: options.timeoutMs }),
    ...(options.throttleWaitMaxMs !== undefined && { throttleWaitMaxMs: options.throttleWaitMaxMs }),
    ...(options.fetch && { fetch: options.fetch }),
    ...(options.clock && { clock: options.clock }),
    pace,
    onRateLimited,
  };
  const connection = (
    baseUrl: string,
    credentials: ConstructorParameters<typeof ScimConnection>[0]['credentials'],
    fetchFn?: typeof fetch,
  ) => new ScimConnection({ baseUrl, credentials, ...common, ...(fetchFn && { fetch: fetchFn }) });
  const api = ((): SessionApi => {
    switch (target.provider) {
      case 'okta':
        return oktaSessions(
          connection(
            required(target, 'baseUrl'),
            new OktaApiToken(async () => credentialFromSecret(await read(), 'token')),
          ),
          target.id,
        );
      case 'entra': {
        const tenantId = required(target, 'tenantId');
        return entraSessions(
          connection(
            target.baseUrl ?? SESSION_DEFAULTS.entraGraphUrl,
            new OAuth2ClientCredentials({
              tokenUrl: target.tokenUrl ?? SESSION_DEFAULTS.entraTokenUrl(tenantId),
              clientId: required(target, 'clientId'),
              scope: SESSION_DEFAULTS.entraScope,
              // The Microsoft identity platform takes the secret in the form body.
              clientAuth: 'body',
              clientSecret: async () => credentialFromSecret(await read(), 'clientSecret'),
              ...(options.fetch && { fetch: options.fetch }),
              ...(options.clock && { clock: options.clock }),
            }),
          ),
        );
      }
      case 'google':
        return googleSessions(
          connection(
            target.baseUrl ?? SESSION_DEFAULTS.googleBaseUrl,
            new GoogleServiceAccount({
              key: read,
              subject: required(target, 'adminEmail'),
              tokenUrl: target.tokenUrl ?? SESSION_DEFAULTS.googleTokenUrl,
              scopes: [GOOGLE_USER_SECURITY_SCOPE, GOOGLE_USER_READONLY_SCOPE],
              ...(options.fetch && { fetch: options.fetch }),
              ...(options.clock && { clock: options.clock }),
            }),
            // Google's 403 userRateLimitExceeded is its rate limit (providers.ts).
            googleQuotaAsThrottle(options.fetch ?? globalThis.fetch),
          ),
        );
      case 'hook':
        return sessionHook({
          url: required(target, 'baseUrl'),
          targetId: target.id,
          attribute: target.matchAttribute,
          key: async () => credentialFromSecret(await read(), 'token'),
          pace,
          onRateLimited,
          ...(options.fetch && { fetch: options.fetch }),
          ...(options.clock && { clock: options.clock }),
          ...(options.timeoutMs && { timeoutMs: options.timeoutMs }),
        });
    }
  })();
  return new SessionRevoker(api, target.matchAttribute, options.clock);
}

function required<K extends 'baseUrl' | 'tenantId' | 'clientId' | 'adminEmail'>(
  target: SessionTargetConfig,
  field: K,
): string {
  const value = target[field];
  // parseConfig refuses a session target without it; a hand-built config may still lack it.
  if (!value) throw new Error(`session target "${target.id}" (${target.provider}) has no ${field}`);
  return value;
}
