// How often an EventBridge schedule expression (config's reconciliation and canary schedules)
// runs: alarm periods and staleness checks derive from it.

const UNIT_MS: Record<string, number> = { minute: 60_000, hour: 3_600_000, day: 86_400_000 };

/** The interval of `rate(...)`; a `cron(...)` counts as one day (its longest common period). */
export function scheduleIntervalMs(expression: string): number {
  const rate = /^rate\((\d+) (minute|hour|day)s?\)$/.exec(expression);
  if (!rate) return UNIT_MS.day as number;
  return Number(rate[1]) * (UNIT_MS[rate[2] as string] as number);
}
