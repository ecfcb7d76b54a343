// Age of the credentials only a person can renew (rotation strategy 'manual'): the application
// issues tokens in its console, so scimitar measures how old the current version is and alarms
// ahead of the configured maximum age.
import type { ScimitarConfig, ScimTargetConfig } from '../model/config.ts';
import { sourceKeyAge, sourceSecretName, targetSecretName } from '../model/config.ts';
import type { Clock } from '../model/ports.ts';
import { type SecretStore, SecretStoreError } from './secret-store.ts';

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
  /** What the age counts from: the current version's creation, else the secret's last change. */
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
  const now = deps.clock.now();
  const { values, failed } = await measureEach(manual, async (target): Promise<CredentialAge> => {
    const rotation = target.rotation as Extract<ScimTargetConfig['rotation'], { strategy: 'manual' }>;
    const secretId = targetSecretName(target);
    const current = await deps.store.current(secretId);
    if (!current) {
      const label = deps.store.roleNames.current;
      throw new SecretStoreError(`secret "${secretId}" of target "${target.id}" has no ${label} value`);
    }
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
    return { targetId: target.id, ...ageAgainst(since, now, rotation), basis };
  });
  return { ages: values, failures: failed.map(({ item, reason }) => ({ targetId: item.id, reason })) };
}

export interface SourceKeyAge {
  readonly sourceId: string;
  /** Days since the secret last changed. */
  readonly ageDays: number;
  readonly maxAgeDays: number;
  /** Age at which the SourceKeyAge alarm fires: maxAgeDays - warnDaysBefore. */
  readonly warnAtDays: number;
  readonly due: boolean;
  /** ISO time the age counts from: the secret's last change. */
  readonly since: string;
}

export interface SourceKeyAgeReport {
  readonly ages: readonly SourceKeyAge[];
  /** Sources whose key age could not be measured; their alarm gets no data. */
  readonly failures: readonly { readonly sourceId: string; readonly reason: string }[];
}

/**
 * Measures the age of every HRIS source's signing key from DescribeSecret alone, so whoever
 * measures never reads a signing key: the age counts from the secret's last change (a new value,
 * and also a change of its description or tags, which restarts the count).
 */
export async function measureSourceKeyAges(
  config: ScimitarConfig,
  deps: { readonly store: SecretStore; readonly clock: Clock },
): Promise<SourceKeyAgeReport> {
  const now = deps.clock.now();
  const { values, failed } = await measureEach(config.sources, async (source): Promise<SourceKeyAge> => {
    const secretId = sourceSecretName(source);
    const since = (await deps.store.describe(secretId)).lastChangedDate;
    if (!since)
      throw new SecretStoreError(`secret "${secretId}" of source "${source.id}" has no change date`);
    return { sourceId: source.id, ...ageAgainst(since, now, sourceKeyAge(source)) };
  });
  return { ages: values, failures: failed.map(({ item, reason }) => ({ sourceId: item.id, reason })) };
}

/** A secret's age against its limit: due from maxAgeDays - warnDaysBefore on. */
function ageAgainst(
  since: Date,
  now: Date,
  limit: { maxAgeDays: number; warnDaysBefore: number },
): { ageDays: number; maxAgeDays: number; warnAtDays: number; due: boolean; since: string } {
  const ageDays = Math.max(0, (now.getTime() - since.getTime()) / DAY_MS);
  const threshold = warnAtDays(limit);
  return {
    ageDays,
    maxAgeDays: limit.maxAgeDays,
    warnAtDays: threshold,
    due: ageDays >= threshold,
    since: since.toISOString(),
  };
}

/** Measures every item at once; one failure (its reason safe to log) hides no other. */
async function measureEach<T, R>(
  items: readonly T[],
  measure: (item: T) => Promise<R>,
): Promise<{ values: R[]; failed: { item: T; reason: string }[] }> {
  const settled = await Promise.allSettled(items.map(measure));
  const values: R[] = [];
  const failed: { item: T; reason: string }[] = [];
  settled.forEach((result, i) => {
    if (result.status === 'fulfilled') values.push(result.value);
    else failed.push({ item: items[i] as T, reason: reasonOf(result.reason) });
  });
  return { values, failed };
}

/** scimitar's own errors carry no secret; an SDK error is named by its kind only. */
function reasonOf(err: unknown): string {
  if (err instanceof SecretStoreError) return err.message;
  return err instanceof Error ? err.name : 'unknown error';
}
