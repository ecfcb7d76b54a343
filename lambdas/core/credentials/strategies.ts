// How each target's credential is renewed, one strategy per rotation.strategy: a token minted by
// the application's API ('api'), or OAuth2 client credentials proven on schedule ('oauth2').
// 'manual' targets are refused: only a person can renew them (credential-age.ts watches them).
import { HttpTransport, HttpUnansweredError } from '../http/transport.ts';
import type { ScimTargetConfig } from '../model/config.ts';
import type { RateBudgets } from '../targets/rate-budget.ts';
import { scimClientFor } from '../targets/target-client.ts';
import {
  CredentialMintError,
  CredentialRevokeError,
  CredentialTestError,
  RotationProtocolError,
  RotationUnsupportedError,
} from './rotation-errors.ts';
import { credentialFromSecret, SecretFormatError, withCredential } from './secret-format.ts';
import { SecretSource } from './secret-source.ts';
import type { VersionRole } from './secret-store.ts';

/** What the strategies need to reach the application. */
export interface StrategyDeps {
  /** For the mint, revoke, token and SCIM requests. @default globalThis.fetch */
  readonly fetch?: typeof fetch;
  /** Per HTTP request. @default 10_000 */
  readonly timeoutMs?: number;
  /**
   * Each target's shared rate budget; the test of a pending credential takes it as a leaver does.
   * @default - a budget of the target's rate for the test alone
   */
  readonly budgets?: RateBudgets;
  /** How the secret store names the versions, for messages. @default - the roles' own names */
  readonly roleNames?: Readonly<Record<VersionRole, string>>;
}

/** What a strategy does at each step; the protocol around it (versions, idempotency) is rotateSecret's. */
export interface RotationStrategy {
  readonly name: 'api' | 'oauth2';
  /** The value to store as the pending credential, derived from the current value. */
  create(current: string, token: string): Promise<string>;
  /** Makes the application accept the pending credential. */
  set(pending: string, current: string): Promise<void>;
  /** Proves the pending credential against the target; throws CredentialTestError. */
  test(pending: string): Promise<void>;
  /** After promotion: retires the previous credential at the application, when it allows. */
  retire?(previous: string): Promise<void>;
}

/** The strategy configured for a target; refuses targets whose credential scimitar cannot renew. */
export function strategyFor(target: ScimTargetConfig, deps: StrategyDeps): RotationStrategy {
  const rotation = target.rotation;
  switch (rotation.strategy) {
    case 'manual':
      throw new RotationUnsupportedError(
        `target "${target.id}" rotates manually (rotation.strategy 'manual'): its application issues tokens only in its console. Turn off rotation on its secret and renew the token by hand (docs/credentials.md)`,
      );
    case 'api':
      if (target.auth.type !== 'bearer') {
        throw new RotationUnsupportedError(
          `target "${target.id}": rotation.strategy 'api' mints bearer tokens, but auth.type is '${target.auth.type}'`,
        );
      }
      return new MintedTokenStrategy(target, rotation, deps);
    case 'oauth2':
      if (target.auth.type !== 'oauth2-client-credentials') {
        throw new RotationUnsupportedError(
          `target "${target.id}": rotation.strategy 'oauth2' needs auth.type 'oauth2-client-credentials', got '${target.auth.type}'`,
        );
      }
      return new ClientCredentialsStrategy(target, deps);
  }
}

/** A SecretSource that answers one value: the pending credential, for the probe. */
class FixedSecret extends SecretSource {
  constructor(private readonly value: string) {
    super();
  }
  async read(): Promise<string> {
    return this.value;
  }
}

/** Proves a credential with the SCIM client's read-only probe: ServiceProviderConfig and one /Users item. */
async function probeWith(target: ScimTargetConfig, secretValue: string, deps: StrategyDeps): Promise<void> {
  const client = scimClientFor(target, {
    secretId: 'pending',
    secrets: new FixedSecret(secretValue),
    ...(deps.budgets && { budget: deps.budgets(target), requestClass: 'leaver' as const }),
    ...(deps.fetch ? { fetch: deps.fetch } : {}),
    ...(deps.timeoutMs ? { timeoutMs: deps.timeoutMs } : {}),
  });
  const report = await client.probe();
  if (!report.authenticated) {
    throw new CredentialTestError(
      `target "${target.id}": the pending credential failed the read-only probe: ${report.problems.join('; ')}`,
      report.problems,
    );
  }
}

type ApiRotation = Extract<ScimTargetConfig['rotation'], { strategy: 'api' }>;

/**
 * strategy 'api': the application's endpoint mints a new token when asked with the current one;
 * the old one is revoked at `revokeEndpoint` once the new one is current.
 */
class MintedTokenStrategy implements RotationStrategy {
  readonly name = 'api';
  readonly retire?: (previous: string) => Promise<void>;
  private readonly transport: HttpTransport;

  constructor(
    private readonly target: ScimTargetConfig,
    private readonly rotation: ApiRotation,
    private readonly deps: StrategyDeps,
  ) {
    this.transport = new HttpTransport({
      timeoutMs: deps.timeoutMs ?? 10_000,
      ...(deps.fetch && { fetch: deps.fetch }),
    });
    const revokeEndpoint = rotation.revokeEndpoint;
    if (revokeEndpoint) this.retire = (previous) => this.revoke(revokeEndpoint, previous);
  }

  async create(current: string, token: string): Promise<string> {
    const currentToken = tokenOf(current);
    const { status, text } = await this.post(this.rotation.endpoint, {
      bearer: currentToken,
      // Endpoints that honour it return the same token when a failed step is retried.
      idempotencyKey: token,
      body: '{}',
    }).catch((err: unknown) => {
      throw new CredentialMintError(`target "${this.target.id}": mint endpoint ${unanswered(err)}`);
    });
    if (status < 200 || status > 299) {
      throw new CredentialMintError(`target "${this.target.id}": mint endpoint answered ${status}`, status);
    }
    let answer: unknown;
    try {
      answer = JSON.parse(text);
    } catch {
      throw new CredentialMintError(
        `target "${this.target.id}": mint endpoint answered ${status} without JSON`,
      );
    }
    const minted = fieldAt(answer, this.rotation.tokenField);
    if (typeof minted !== 'string' || minted.trim() === '') {
      throw new CredentialMintError(
        `target "${this.target.id}": mint endpoint's answer has no string at "${this.rotation.tokenField}" (rotation.tokenField)`,
      );
    }
    if (minted.trim() === currentToken) {
      throw new CredentialMintError(
        `target "${this.target.id}": mint endpoint returned the current token instead of a new one`,
      );
    }
    return withCredential(current, 'token', minted.trim());
  }

  async set(): Promise<void> {
    // The application issued the token itself in createSecret: it accepts it already.
  }

  test(pending: string): Promise<void> {
    return probeWith(this.target, pending, this.deps);
  }

  private async revoke(endpoint: string, previous: string): Promise<void> {
    const oldToken = tokenOf(previous);
    const names = this.deps.roleNames ?? { current: 'current', previous: 'previous' };
    const leftOver = `the old token (${names.previous}) may still work: revoke it in the application`;
    const { status } = await this.post(endpoint, {
      bearer: oldToken,
      body: JSON.stringify({ token: oldToken }),
    }).catch((err: unknown) => {
      throw new CredentialRevokeError(
        `target "${this.target.id}": the new token is ${names.current}, but the revoke endpoint ${unanswered(err)}; ${leftOver}`,
      );
    });
    // 401: the application no longer accepts the old token, which is what revoking means.
    if ((status >= 200 && status <= 299) || status === 401) return;
    throw new CredentialRevokeError(
      `target "${this.target.id}": the new token is ${names.current}, but the revoke endpoint answered ${status}; ${leftOver}`,
      status,
    );
  }

  /** POSTs JSON with a bearer token; the transport keeps the token with this host (no redirects). */
  private post(url: string, request: { bearer: string; body: string; idempotencyKey?: string }) {
    return this.transport.send({
      method: 'POST',
      url,
      headers: {
        authorization: `Bearer ${request.bearer}`,
        accept: 'application/json',
        'content-type': 'application/json',
        ...(request.idempotencyKey ? { 'idempotency-key': request.idempotencyKey } : {}),
      },
      body: request.body,
    });
  }
}

/**
 * strategy 'oauth2': the secret holds client credentials; access tokens are fetched at run time and
 * live minutes. A client-credentials grant cannot issue a new client secret, so rotation re-stores
 * the same credential and proves it (token fetch + probe) on schedule: a revoked or expired client
 * secret fails the rotation, and its alarm, before a leaver needs it.
 */
class ClientCredentialsStrategy implements RotationStrategy {
  readonly name = 'oauth2';

  constructor(
    private readonly target: ScimTargetConfig,
    private readonly deps: StrategyDeps,
  ) {}

  async create(current: string): Promise<string> {
    return current;
  }

  async set(): Promise<void> {
    // Nothing to set: the provider holds the same client credentials.
  }

  test(pending: string): Promise<void> {
    // A fresh token fetch (the pending value is never cached) and the read-only probe.
    return probeWith(this.target, pending, this.deps);
  }
}

/** The token in a bearer secret (secret-format.ts); a malformed secret stops the rotation. */
function tokenOf(secretValue: string): string {
  try {
    return credentialFromSecret(secretValue, 'token');
  } catch (err) {
    if (err instanceof SecretFormatError) throw new RotationProtocolError(err.message);
    throw err;
  }
}

/** `a.b.c` in a JSON answer. */
function fieldAt(value: unknown, path: string): unknown {
  let node = value;
  for (const key of path.split('.')) {
    if (node === null || typeof node !== 'object') return undefined;
    node = (node as Record<string, unknown>)[key];
  }
  return node;
}

/** Why a request got no answer, in words safe to log (never the request). */
function unanswered(err: unknown): string {
  if (!(err instanceof HttpUnansweredError)) throw err;
  if (err.reason === 'timeout') return 'timed out';
  return err.reason === 'connection' ? 'connection failed' : err.message;
}
