// The operator's approve command: parse `{ eventId, approvedBy }`, release the held revocation,
// answer what was released. The local CLI's `approve <eventId>` and a future AWS operator CLI call it.
import type { Logger } from '@aws-lambda-powertools/logger';
import { parseOrThrow } from '../core/model/validation.ts';
import {
  type ApproveDeps,
  type ApproveOutcome,
  approveHeld,
  approveInputSchema,
} from '../core/revocation/approve.ts';

export function createApproveHandler(deps: ApproveDeps & { readonly logger: Pick<Logger, 'info'> }) {
  return async (input: unknown): Promise<ApproveOutcome> => {
    const parsed = parseOrThrow(approveInputSchema, input, 'invalid approve request');
    const outcome = await approveHeld(parsed, deps);
    deps.logger.info('approved', { ...outcome });
    return outcome;
  };
}
