// The schedule expressions the config accepts (reconciliation, canary, roster pull, Workday poll).
// Apart from model/schedule.ts so that functions reading an interval do not bundle zod.
import * as z from 'zod';

/** An EventBridge schedule expression: `rate(...)` or `cron(...)`. */
export const scheduleExpression = z
  .string()
  .regex(/^(rate\(\d+ (minute|minutes|hour|hours|day|days)\)|cron\([^)]+\))$/, {
    message: "must be an EventBridge schedule: 'rate(1 day)' or 'cron(0 3 * * ? *)'",
  });
