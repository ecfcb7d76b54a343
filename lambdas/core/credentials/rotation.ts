// Rotation of a target's credential in four steps (createSecret, setSecret, testSecret,
// finishSecret) over the secret store's current and pending versions, with one strategy per target
// (strategies.ts). The current credential changes only in finishSecret, after the pending one
// passed a read-only probe. How the store stages versions is its adapter's (aws/adapters).
import type { ScimitarConfig, ScimTargetConfig } from '../model/config.ts';
import { targetSecretName } from '../model/config.ts';
import { RotationProtocolError, RotationUnsupportedError } from './rotation-errors.ts';
import type { SecretDescription, SecretStore, SecretVersionValue } from './secret-store.ts';
import { type StrategyDeps, strategyFor } from './strategies.ts';

export * from './rotation-errors.ts';
export { type RotationStrategy, type StrategyDeps, strategyFor } from './strategies.ts';

/** Tag on a target's secret naming the target it belongs to; without it, the secret's name decides. */
export const TARGET_TAG = 'scimitar:target';

export const rotationSteps = ['createSecret', 'setSecret', 'testSecret', 'finishSecret'] as const;
export type RotationStep = (typeof rotationSteps)[number];

export interface RotationRequest {
  /** The secret's ARN or name, as the store's rotation sends it. */
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
  /** The version is current already: a step retried after the rotation finished. */
  | 'already-current';

export interface RotationOutcome {
  readonly step: RotationStep;
  readonly targetId: string;
  readonly strategy: 'api' | 'oauth2';
  readonly action: RotationAction;
  /** finishSecret of a strategy that revokes: whether the old credential was revoked. */
  readonly revokedPrevious?: boolean;
}

export interface RotationDeps extends Omit<StrategyDeps, 'roleNames'> {
  readonly store: SecretStore;
  readonly config: ScimitarConfig;
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

/** Runs one step for one secret version. Throws on any failure; the current credential changes only in finishSecret. */
export async function rotateSecret(request: RotationRequest, deps: RotationDeps): Promise<RotationOutcome> {
  const { secretId, token, step } = request;
  const { store } = deps;
  const names = store.roleNames;
  const description = await store.describe(secretId);
  if (!description.rotationEnabled) {
    throw new RotationProtocolError(`secret "${description.name}" is not enabled for rotation`);
  }
  const target = targetForSecret(description, deps.config);
  const strategy = strategyFor(target, { ...deps, roleNames: names });
  const outcome = (action: RotationAction, extra: Partial<RotationOutcome> = {}): RotationOutcome => ({
    step,
    targetId: target.id,
    strategy: strategy.name,
    action,
    ...extra,
  });

  const roles = description.versions[token];
  if (!roles) {
    throw new RotationProtocolError(
      `secret "${description.name}": version ${token} has no stage for rotation (unknown ClientRequestToken)`,
    );
  }
  if (roles.includes('current')) return outcome('already-current');
  if (!roles.includes('pending')) {
    throw new RotationProtocolError(
      `secret "${description.name}": version ${token} is not labelled ${names.pending}, so it is not being rotated in`,
    );
  }
  const current = () => required(store.current(secretId), `the ${names.current} version`, description);
  const pending = () => required(store.pending(secretId, token), `version ${token}`, description);

  switch (step) {
    case 'createSecret': {
      const currentValue = await current();
      // Retried step: the pending value exists already; minting again would orphan a token.
      if (await store.pending(secretId, token)) return outcome('already-created');
      await store.putPending(secretId, token, await strategy.create(currentValue.value, token));
      return outcome('created');
    }
    case 'setSecret': {
      const currentValue = await current();
      await strategy.set((await pending()).value, currentValue.value);
      return outcome('set');
    }
    case 'testSecret': {
      await strategy.test((await pending()).value);
      return outcome('tested');
    }
    case 'finishSecret': {
      const currentVersion = Object.entries(description.versions).find(([, r]) => r.includes('current'))?.[0];
      // Read before the move: after it, the current credential is the new one.
      const previous = strategy.retire ? await current() : undefined;
      await store.promote(secretId, token, currentVersion);
      if (!strategy.retire || !previous) return outcome('promoted');
      await strategy.retire(previous.value);
      return outcome('promoted', { revokedPrevious: true });
    }
  }
}

async function required(
  reading: Promise<SecretVersionValue | undefined>,
  which: string,
  description: SecretDescription,
): Promise<SecretVersionValue> {
  const found = await reading;
  if (!found) throw new RotationProtocolError(`secret "${description.name}": ${which} has no value`);
  return found;
}
