// The credential canary: probes every SCIM target read-only with its current credential
// (ServiceProviderConfig and a one-item /Users listing) and records the result per target, so a
// dead token or endpoint raises an alarm before any leaver depends on that target.

import type { ScimitarConfig, ScimTargetConfig } from '../model/config.ts';
import { targetSecretName } from '../model/config.ts';
import { ScimitarError } from '../model/errors.ts';
import type { Clock } from '../model/ports.ts';
import { scheduleIntervalMs } from '../model/schedule.ts';
import { ScimError } from '../scim/index.ts';
import type { RateBudgets } from '../targets/rate-budget.ts';
import { scimClientFor } from '../targets/target-client.ts';
import type { SecretSource } from './secret-source.ts';

export interface CanaryResult {
  readonly targetId: string;
  /** ISO time the probe started. */
  readonly checkedAt: string;
  /** The credential works: GET /Users?count=1 answered with a list. */
  readonly ok: boolean;
  /** The server answered at all (any HTTP status). */
  readonly reachable: boolean;
  readonly authenticated: boolean;
  /** Why the probe failed, and what hampers revocation there (e.g. no PATCH); never a credential. */
  readonly problems: readonly string[];
  readonly durationMs: number;
}

/** A target's latest canary result, as stored. */
export interface CanaryRecord extends CanaryResult {
  /** Last time the probe passed; absent if it never did. */
  readonly lastOkAt?: string;
  /**
   * When the current run of failures began: the first failed probe after the last pass (or the
   * first probe, if none passed). Absent while the probe passes, and on records written before it
   * was kept.
   */
  readonly failingSince?: string;
  /** Failed probes in a row; 0 after a pass. */
  readonly consecutiveFailures: number;
}

/** Where canary results are kept per target (the state table on AWS). */
export abstract class CanaryStatus {
  /** Records a result; an older result never replaces a newer one. */
  abstract record(result: CanaryResult): Promise<void>;
  abstract read(targetId: string): Promise<CanaryRecord | undefined>;
}

export interface CanaryDeps {
  /** Reads each target's current credential. */
  readonly secrets: SecretSource;
  readonly status: CanaryStatus;
  readonly clock: Clock;
  /** @default globalThis.fetch */
  readonly fetch?: typeof fetch;
  /** Per HTTP request. @default 10_000 */
  readonly timeoutMs?: number;
  /** Targets probed at once. @default 4 */
  readonly concurrency?: number;
  /**
   * Each target's shared rate budget; a probe takes it as a leaver does, so it never starves into
   * a false alarm. @default - a budget of the target's rate for the probe alone
   */
  readonly budgets?: RateBudgets;
}

export interface CheckOptions {
  /** Probe only these targets (on demand). @default - every SCIM target */
  readonly targetIds?: readonly string[];
}

/** The canary could not run as asked (e.g. an unknown target id). A failing probe is a result, not this. */
export class CanaryError extends ScimitarError {
  constructor(message: string) {
    super(message);
    this.name = 'CanaryError';
  }
}

/** Probes each SCIM target with its current credential and records the result. */
export async function checkTargets(
  config: ScimitarConfig,
  deps: CanaryDeps,
  options: CheckOptions = {},
): Promise<CanaryResult[]> {
  const targets = selectTargets(config, options.targetIds);
  const results: CanaryResult[] = new Array(targets.length);
  let next = 0;
  const worker = async () => {
    while (next < targets.length) {
      const i = next++;
      const target = targets[i] as ScimTargetConfig;
      const result = await probeTarget(target, deps);
      await deps.status.record(result);
      results[i] = result;
    }
  };
  const lanes = Math.max(1, Math.min(deps.concurrency ?? 4, targets.length));
  await Promise.all(Array.from({ length: lanes }, worker));
  return results;
}

function selectTargets(config: ScimitarConfig, ids: readonly string[] | undefined): ScimTargetConfig[] {
  const scim = config.targets.filter((t): t is ScimTargetConfig => t.kind === 'scim');
  if (ids === undefined) return scim;
  return ids.map((id) => {
    const target = scim.find((t) => t.id === id);
    if (!target) {
      throw new CanaryError(
        `no SCIM target "${id}" to probe; known: ${scim.map((t) => t.id).join(', ') || 'none'}`,
      );
    }
    return target;
  });
}

async function probeTarget(target: ScimTargetConfig, deps: CanaryDeps): Promise<CanaryResult> {
  const started = deps.clock.now();
  const startedMs = Date.now();
  const done = (report: { reachable: boolean; authenticated: boolean; problems: readonly string[] }) => ({
    targetId: target.id,
    checkedAt: started.toISOString(),
    ok: report.authenticated,
    reachable: report.reachable,
    authenticated: report.authenticated,
    problems: report.problems,
    durationMs: Date.now() - startedMs,
  });
  try {
    const client = scimClientFor(target, {
      secretId: targetSecretName(target),
      secrets: deps.secrets,
      ...(deps.budgets && { budget: deps.budgets(target), requestClass: 'leaver' as const }),
      ...(deps.fetch ? { fetch: deps.fetch } : {}),
      ...(deps.timeoutMs ? { timeoutMs: deps.timeoutMs } : {}),
    });
    const report = await client.probe();
    return done(report);
  } catch (err) {
    // A failing probe is the canary's finding, recorded for this target; the others still run.
    return done({
      reachable: false,
      authenticated: false,
      problems: [`probe could not run: ${describe(err)}`],
    });
  }
}

/** A failure's kind and, for scimitar's own errors (which carry no secret), its message. */
function describe(err: unknown): string {
  if (err instanceof ScimitarError || err instanceof ScimError) return `${err.name}: ${err.message}`;
  return err instanceof Error ? err.name : 'unknown error';
}

export type CanaryState = 'ok' | 'failing' | 'stale' | 'never-checked';

export interface CanaryCoverage {
  readonly targetId: string;
  readonly state: CanaryState;
  readonly record?: CanaryRecord;
}

/**
 * The canary's view of every SCIM target, for the coverage report: `stale` when the latest
 * result is older than two canary intervals (the canary stopped running).
 */
export async function readCanaryStatus(
  config: ScimitarConfig,
  deps: { readonly status: CanaryStatus; readonly clock: Clock },
): Promise<CanaryCoverage[]> {
  const staleAfterMs = 2 * scheduleIntervalMs(config.canary.schedule);
  const now = deps.clock.now().getTime();
  const scim = config.targets.filter((t): t is ScimTargetConfig => t.kind === 'scim');
  return Promise.all(
    scim.map(async (target): Promise<CanaryCoverage> => {
      const record = await deps.status.read(target.id);
      if (!record) return { targetId: target.id, state: 'never-checked' };
      const state: CanaryState =
        now - Date.parse(record.checkedAt) > staleAfterMs ? 'stale' : record.ok ? 'ok' : 'failing';
      return { targetId: target.id, state, record };
    }),
  );
}

// Kept here too: the canary's construct and the local runtime read it from the canary module.
export { scheduleIntervalMs } from '../model/schedule.ts';
