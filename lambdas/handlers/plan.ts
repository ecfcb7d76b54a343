// Plan step of the workflow: parse the execution input, plan, return the Plan.
import type { Logger } from '@aws-lambda-powertools/logger';
import type { Plan } from '../core/model/messages.ts';
import { workflowInputSchema } from '../core/model/messages.ts';
import { parseOrThrow } from '../core/model/validation.ts';
import { type PlanDeps, planRevocation } from '../core/revocation/plan.ts';

export function createPlanHandler(deps: PlanDeps & { readonly logger: Logger }) {
  return async (input: unknown): Promise<Plan> => {
    const parsed = parseOrThrow(workflowInputSchema, input, 'invalid workflow input');
    const plan = await planRevocation(parsed, deps);
    deps.logger.info('planned', {
      eventId: plan.eventId,
      lanes: plan.lanes.map((l) => l.targetId),
      settled: plan.settled.map((s) => `${s.targetId}:${s.status}`),
      dryRun: plan.dryRun,
    });
    return plan;
  };
}
