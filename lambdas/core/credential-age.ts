// Age of the credentials only a person can renew (rotation strategy 'manual'): the application
// issues tokens in its console, so scimitar measures how old the AWSCURRENT version is and alarms
// ahead of the configured maximum age.
import type { ScimitarConfig, ScimTargetConfig } from './config.ts';
import { targetSecretName } from './config.ts';
import type { Clock } from './ports.ts';
import { AWSCURRENT, type SecretStore, SecretStoreError } from './secret-store.ts';

const DAY_MS = 86_400_000;

export interface CredentialAge {
  readonly targetId: string;
  /** Whole and fractional days since the credential was stored. */
  readonly ageDays: number;
  readonly maxAgeDays: number;
  /** Age at which the alarm fires: maxAgeDays - warnDaysBefore. */
  readonly warnAtDays: number;
  /** ageDays has reached warnAtDays: the owner must renew the token now. */
  readonly due: boolean;
  /** ISO time the age counts from. */
  readonly since: string;
  /** What the age counts from: the AWSCURRENT version's creation, else the secret's last change. */
  readonly basis: 'version-created' | 'last-changed';
}

/** The alarm threshold of a manual target: never below zero, even if warnDaysBefore exceeds maxAgeDays. */
export function warnAtDays(rotation: { maxAgeDays: number; warnDaysBefore: number }): number {
  return Math.max(0, rotation.maxAgeDays - rotation.warnDaysBefore);
}

export interface CredentialAgeReport {
  readonly ages: readonly CredentialAge[];
  /** Targets whose age could not be measured (no secret, no date); their alarm gets no data. */
  readonly failures: readonly { readonly targetId: string; readonly reason: string }[];
}

/** Measures the age of every manual target's credential; one unreadable secret does not hide the others. */
export async function measureCredentialAges(
  config: ScimitarConfig,
  deps: { readonly store: SecretStore; readonly clock: Clock },
): Promise<CredentialAgeReport> {
  const manual = config.targets.filter(
    (t): t is ScimTargetConfig => t.kind === 'scim' && t.rotation.strategy === 'manual',
  );
  const now = deps.clock.now().getTime();
  const settled = await Promise.allSettled(
    manual.map(async (target): Promise<CredentialAge> => {
      const rotation = target.rotation as Extract<ScimTargetConfig['rotation'], { strategy: 'manual' }>;
      const secretId = targetSecretName(target);
      const current = await deps.store.getValue(secretId, { stage: AWSCURRENT });
      if (!current)
        throw new SecretStoreError(
          `secret "${secretId}" of target "${target.id}" has no ${AWSCURRENT} value`,
        );
      let since = current.createdDate;
      let basis: CredentialAge['basis'] = 'version-created';
      if (!since) {
        since = (await deps.store.describe(secretId)).lastChangedDate;
        basis = 'last-changed';
      }
      if (!since) {
        throw new SecretStoreError(
          `secret "${secretId}" of target "${target.id}" has no creation or change date`,
        );
      }
      const ageDays = Math.max(0, (now - since.getTime()) / DAY_MS);
      const threshold = warnAtDays(rotation);
      return {
        targetId: target.id,
        ageDays,
        maxAgeDays: rotation.maxAgeDays,
        warnAtDays: threshold,
        due: ageDays >= threshold,
        since: since.toISOString(),
        basis,
      };
    }),
  );
  const ages: CredentialAge[] = [];
  const failures: { targetId: string; reason: string }[] = [];
  settled.forEach((result, i) => {
    const targetId = (manual[i] as ScimTargetConfig).id;
    if (result.status === 'fulfilled') ages.push(result.value);
    else failures.push({ targetId, reason: reasonOf(result.reason) });
  });
  return { ages, failures };
}

/** scimitar's own errors carry no secret; an SDK error is named by its kind only. */
function reasonOf(err: unknown): string {
  if (err instanceof SecretStoreError) return err.message;
  return err instanceof Error ? err.name : 'unknown error';
}
