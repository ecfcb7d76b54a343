// One rate budget per target, shared by everything that calls that application (lane workers on
// every Lambda instance, the reconciler, the canary, rotation's tests): the port. Requests take a
// slot by class, so urgent leavers go before bulk and background work (reconciler, remediation)
// only spends what leavers leave. A target that says it is over its limit (429, 503 with
// Retry-After, RateLimit headers at zero) pauses every caller and slows the pace until it recovers.
import type { LaneTargetConfig } from '../model/config.ts';
import type { RateLimitSignal } from '../scim/options.ts';

/** Who is asking, in order of precedence. */
export const requestClasses = ['urgent', 'leaver', 'background'] as const;
export type RequestClass = (typeof requestClasses)[number];

export abstract class RateBudget {
  /**
   * Resolves when one request of this class may go to the target; never above the configured
   * rate (plus burst) over all callers together.
   */
  abstract take(requestClass: RequestClass): Promise<void>;
  /** The target said it is over its limit: no caller spends before `signal.untilMs`; the pace slows, then recovers. */
  abstract throttled(signal: RateLimitSignal): Promise<void>;
  /** Whether background work may start now without delaying any leaver's request. */
  abstract spare(): Promise<boolean>;
}

/** Each target's one budget, as a function's callers of the target share it. */
export type RateBudgets = (target: LaneTargetConfig) => RateBudget;
