// The operator's approve-burst command: parse `{ targets, count, approvedBy, reason, until? }`, add
// the burst to the targets' blast-radius windows, answer what was granted. The local CLI's
// `approve-burst` and a future AWS operator CLI call it.
import type { Logger } from '@aws-lambda-powertools/logger';
import { parseOrThrow } from '../core/model/validation.ts';
import {
  type ApproveBurstDeps,
  type ApproveBurstOutcome,
  approveBurst,
  approveBurstInputSchema,
} from '../core/revocation/approve-burst.ts';

export function createApproveBurstHandler(
  deps: ApproveBurstDeps & { readonly logger: Pick<Logger, 'info'> },
) {
  return async (input: unknown): Promise<ApproveBurstOutcome> => {
    const parsed = parseOrThrow(approveBurstInputSchema, input, 'invalid burst approval');
    const outcome = await approveBurst(parsed, deps);
    deps.logger.info('burst approved', { ...outcome });
    return outcome;
  };
}
