// Rotation of a target's credential through Secrets Manager's four-step protocol (createSecret,
// setSecret, testSecret, finishSecret over the AWSPENDING and AWSCURRENT labels), with one
// strategy per target: a token minted by the application's API, or OAuth2 client credentials.
// AWSCURRENT moves only in finishSecret, after the pending credential passed a read-only probe.
import type { ScimitarConfig, ScimTargetConfig } from '../model/config.ts';
import { targetSecretName } from '../model/config.ts';
import { ScimitarError } from '../model/errors.ts';
import { SecretSource } from '../model/ports.ts';
import { scimClientFor } from '../targets/target-client.ts';
import { AWSCURRENT, AWSPENDING, type SecretDescription, type SecretStore } from './secret-store.ts';

/** Tag on a target's secret naming the target it belongs to; without it, the secret's name decides. */
export const TARGET_TAG = 'scimitar:target';

export const rotationSteps = ['createSecret', 'setSecret', 'testSecret', 'finishSecret'] as const;
export type RotationStep = (typeof rotationSteps)[number];

/** Base of every rotation failure. None carries a credential. */
export class RotationError extends ScimitarError {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'RotationError';
  }
}

/** The secret is not set up for this rotation (rotation off, version not staged as the protocol requires). */
export class RotationProtocolError extends RotationError {
  constructor(message: string) {
    super(message);
    this.name = 'RotationProtocolError';
  }
}

/** The secret belongs to no target that scimitar can rotate (unknown, not SCIM, manual strategy). */
export class RotationUnsupportedError extends RotationError {
  constructor(message: string) {
    super(message);
    this.name = 'RotationUnsupportedError';
  }
}

/** The application's mint endpoint did not issue a new token. */
export class CredentialMintError extends RotationError {
  readonly status?: number;
  constructor(message: string, status?: number) {
    super(message);
    this.name = 'CredentialMintError';
    if (status !== undefined) this.status = status;
  }
}

/** The pending credential failed the read-only probe: finishSecret must not promote it. */
export class CredentialTestError extends RotationError {
  readonly problems: readonly string[];
  constructor(message: string, problems: readonly string[]) {
    super(message);
    this.name = 'CredentialTestError';
    this.problems = problems;
  }
}

/** The new credential is AWSCURRENT, but the application did not revoke the old one. */
export class CredentialRevokeError extends RotationError {
  readonly status?: number;
  constructor(message: string, status?: number) {
    super(message);
    this.name = 'CredentialRevokeError';
    if (status !== undefined) this.status = status;
  }
}

export interface RotationRequest {
  /** The secret's ARN or name, as Secrets Manager sends it. */
  readonly secretId: string;
  /** ClientRequestToken: the id of the version being rotated in. */
  readonly token: string;
  readonly step: RotationStep;
}

export type RotationAction =
  | 'created'
  | 'already-created'
  | 'set'
  | 'tested'
  | 'promoted'
  /** The version already holds AWSCURRENT: a step retried after the rotation finished. */
  | 'already-current';

export interface RotationOutcome {
  readonly step: RotationStep;
  readonly targetId: string;
  readonly strategy: 'api' | 'oauth2';
  readonly action: RotationAction;
  /** finishSecret of a strategy that revokes: whether the old credential was revoked. */
  readonly revokedPrevious?: boolean;
}

export interface RotationDeps {
  readonly store: SecretStore;
  readonly config: ScimitarConfig;
  /** For the mint, revoke, token and SCIM requests. @default globalThis.fetch */
  readonly fetch?: typeof fetch;
  /** Per HTTP request. @default 10_000 */
  readonly timeoutMs?: number;
}

/** What a strategy does at each step; the protocol around it (labels, idempotency) is rotateSecret's. */
export interface RotationStrategy {
  readonly name: 'api' | 'oauth2';
  /** The value to store as AWSPENDING, derived from the current value. */
  create(current: string, token: string): Promise<string>;
  /** Makes the application accept the pending credential. */
  set(pending: string, current: string): Promise<void>;
  /** Proves the pending credential against the target; throws CredentialTestError. */
  test(pending: string): Promise<void>;
  /** After promotion: retires the previous credential at the application, when it allows. */
  retire?(previous: string): Promise<void>;
}

/** The target a secret belongs to: its `scimitar:target` tag, else the config's secret name. */
export function targetForSecret(description: SecretDescription, config: ScimitarConfig): ScimTargetConfig {
  const scimTargets = config.targets.filter((t): t is ScimTargetConfig => t.kind === 'scim');
  const tagged = description.tags[TARGET_TAG];
  if (tagged !== undefined) {
    const target = config.targets.find((t) => t.id === tagged);
    if (!target) {
      throw new RotationUnsupportedError(
        `secret "${description.name}" is tagged ${TARGET_TAG}=${tagged}, but no target has that id`,
      );
    }
    if (target.kind !== 'scim') {
      throw new RotationUnsupportedError(
        `secret "${description.name}" belongs to target "${tagged}" of kind '${target.kind}', which holds no credential to rotate`,
      );
    }
    return target;
  }
  const named = scimTargets.find((t) => targetSecretName(t) === description.name);
  if (!named) {
    throw new RotationUnsupportedError(
      `secret "${description.name}" belongs to no SCIM target: tag it ${TARGET_TAG}=<target id> or name it as the target's auth.secretName`,
    );
  }
  return named;
}

/** Runs one step of the protocol for one secret version. Throws on any failure; AWSCURRENT moves only in finishSecret. */
export async function rotateSecret(request: RotationRequest, deps: RotationDeps): Promise<RotationOutcome> {
  const { secretId, token, step } = request;
  const { store } = deps;
  const description = await store.describe(secretId);
  if (!description.rotationEnabled) {
    throw new RotationProtocolError(`secret "${description.name}" is not enabled for rotation`);
  }
  const target = targetForSecret(description, deps.config);
  const strategy = strategyFor(target, deps);
  const outcome = (action: RotationAction, extra: Partial<RotationOutcome> = {}): RotationOutcome => ({
    step,
    targetId: target.id,
    strategy: strategy.name,
    action,
    ...extra,
  });

  const stages = description.versions[token];
  if (!stages) {
    throw new RotationProtocolError(
      `secret "${description.name}": version ${token} has no stage for rotation (unknown ClientRequestToken)`,
    );
  }
  if (stages.includes(AWSCURRENT)) return outcome('already-current');
  if (!stages.includes(AWSPENDING)) {
    throw new RotationProtocolError(
      `secret "${description.name}": version ${token} is not labelled ${AWSPENDING}, so it is not being rotated in`,
    );
  }

  switch (step) {
    case 'createSecret': {
      const current = await requireValue(store, secretId, { stage: AWSCURRENT }, description.name);
      // Retried step: the pending value exists already; minting again would orphan a token.
      if (await store.getValue(secretId, { versionId: token, stage: AWSPENDING })) {
        return outcome('already-created');
      }
      const pending = await strategy.create(current.value, token);
      await store.putPending(secretId, token, pending);
      return outcome('created');
    }
    case 'setSecret': {
      const current = await requireValue(store, secretId, { stage: AWSCURRENT }, description.name);
      const pending = await requireValue(
        store,
        secretId,
        { versionId: token, stage: AWSPENDING },
        description.name,
      );
      await strategy.set(pending.value, current.value);
      return outcome('set');
    }
    case 'testSecret': {
      const pending = await requireValue(
        store,
        secretId,
        { versionId: token, stage: AWSPENDING },
        description.name,
      );
      await strategy.test(pending.value);
      return outcome('tested');
    }
    case 'finishSecret': {
      const currentVersion = Object.entries(description.versions).find(([, s]) =>
        s.includes(AWSCURRENT),
      )?.[0];
      // Read before the move: after it, AWSCURRENT is the new credential.
      const previous = strategy.retire
        ? await requireValue(store, secretId, { stage: AWSCURRENT }, description.name)
        : undefined;
      await store.updateStage(secretId, AWSCURRENT, token, currentVersion);
      await store.updateStage(secretId, AWSPENDING, undefined, token);
      if (!strategy.retire || !previous) return outcome('promoted');
      await strategy.retire(previous.value);
      return outcome('promoted', { revokedPrevious: true });
    }
  }
}

async function requireValue(
  store: SecretStore,
  secretId: string,
  select: Parameters<SecretStore['getValue']>[1],
  name: string,
) {
  const found = await store.getValue(secretId, select);
  if (!found) {
    const which = 'versionId' in select ? `version ${select.versionId}` : `the ${select.stage} version`;
    throw new RotationProtocolError(`secret "${name}": ${which} has no value`);
  }
  return found;
}

/** The strategy configured for a target; refuses targets whose credential scimitar cannot renew. */
export function strategyFor(
  target: ScimTargetConfig,
  deps: Pick<RotationDeps, 'fetch' | 'timeoutMs'>,
): RotationStrategy {
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
async function probeWith(
  target: ScimTargetConfig,
  secretValue: string,
  deps: Pick<RotationDeps, 'fetch' | 'timeoutMs'>,
): Promise<void> {
  const client = scimClientFor(target, {
    secretId: 'pending',
    secrets: new FixedSecret(secretValue),
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
 * the old one is revoked at `revokeEndpoint` once the new one is AWSCURRENT.
 */
class MintedTokenStrategy implements RotationStrategy {
  readonly name = 'api';
  readonly retire?: (previous: string) => Promise<void>;

  constructor(
    private readonly target: ScimTargetConfig,
    private readonly rotation: ApiRotation,
    private readonly deps: Pick<RotationDeps, 'fetch' | 'timeoutMs'>,
  ) {
    const revokeEndpoint = rotation.revokeEndpoint;
    if (revokeEndpoint) this.retire = (previous) => this.revoke(revokeEndpoint, previous);
  }

  async create(current: string, token: string): Promise<string> {
    const currentToken = tokenOf(current);
    const { status, text } = await post(
      this.rotation.endpoint,
      {
        bearer: currentToken,
        // Endpoints that honour it return the same token when a failed step is retried.
        idempotencyKey: token,
        body: '{}',
      },
      this.deps,
    ).catch((err: unknown) => {
      throw new CredentialMintError(`target "${this.target.id}": mint endpoint ${unreachable(err)}`);
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
    return withToken(current, minted.trim());
  }

  async set(): Promise<void> {
    // The application issued the token itself in createSecret: it accepts it already.
  }

  test(pending: string): Promise<void> {
    return probeWith(this.target, pending, this.deps);
  }

  private async revoke(endpoint: string, previous: string): Promise<void> {
    const oldToken = tokenOf(previous);
    const { status } = await post(
      endpoint,
      { bearer: oldToken, body: JSON.stringify({ token: oldToken }) },
      this.deps,
    ).catch((err: unknown) => {
      throw new CredentialRevokeError(
        `target "${this.target.id}": the new token is AWSCURRENT, but the revoke endpoint ${unreachable(err)}; the old token (AWSPREVIOUS) may still work: revoke it in the application`,
      );
    });
    // 401: the application no longer accepts the old token, which is what revoking means.
    if ((status >= 200 && status <= 299) || status === 401) return;
    throw new CredentialRevokeError(
      `target "${this.target.id}": the new token is AWSCURRENT, but the revoke endpoint answered ${status}; the old token (AWSPREVIOUS) may still work: revoke it in the application`,
      status,
    );
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
    private readonly deps: Pick<RotationDeps, 'fetch' | 'timeoutMs'>,
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

/** The token in a bearer secret: the bare value or the JSON `token` field. */
function tokenOf(secretValue: string): string {
  const trimmed = secretValue.trim();
  if (!trimmed.startsWith('{')) return trimmed;
  const token = parseObject(trimmed)?.token;
  if (typeof token !== 'string' || token === '') {
    throw new RotationProtocolError('the secret is JSON without a "token" string field');
  }
  return token;
}

/** The new secret value in the current one's format: bare stays bare, JSON keeps its other fields. */
function withToken(current: string, token: string): string {
  const trimmed = current.trim();
  if (!trimmed.startsWith('{')) return token;
  return JSON.stringify({ ...parseObject(trimmed), token });
}

function parseObject(text: string): Record<string, unknown> | undefined {
  try {
    const parsed: unknown = JSON.parse(text);
    return parsed && typeof parsed === 'object' && !Array.isArray(parsed)
      ? (parsed as Record<string, unknown>)
      : undefined;
  } catch {
    // Never echo the text: it is a credential.
    throw new RotationProtocolError('the secret looks like JSON but does not parse');
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

/** A request that got no answer; carries only its kind, never the request. */
class EndpointUnreachable extends Error {
  constructor(readonly reason: 'timed out' | 'connection failed') {
    super(reason);
    this.name = 'EndpointUnreachable';
  }
}

function unreachable(err: unknown): string {
  if (err instanceof EndpointUnreachable) return err.reason;
  throw err;
}

/**
 * POSTs JSON with a bearer token. Rejects with a short reason only (an undici cause can hold
 * request details, headers included). Redirects are not followed: the token stays with this host.
 */
async function post(
  url: string,
  request: { bearer: string; body: string; idempotencyKey?: string },
  deps: Pick<RotationDeps, 'fetch' | 'timeoutMs'>,
): Promise<{ status: number; text: string }> {
  const fetchFn = deps.fetch ?? globalThis.fetch;
  try {
    const response = await fetchFn(url, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${request.bearer}`,
        accept: 'application/json',
        'content-type': 'application/json',
        ...(request.idempotencyKey ? { 'idempotency-key': request.idempotencyKey } : {}),
      },
      body: request.body,
      redirect: 'manual',
      signal: AbortSignal.timeout(deps.timeoutMs ?? 10_000),
    });
    return { status: response.status, text: await response.text() };
  } catch (err) {
    throw new EndpointUnreachable(
      err instanceof Error && err.name === 'TimeoutError' ? 'timed out' : 'connection failed',
    );
  }
}
