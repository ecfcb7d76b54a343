// The overdue check of owner tasks, run with the canary on its schedule: counts the open tasks and
// the ones past due, publishes both (OwnerTasksOverdue is 0 when none, so the alarm clears), and
// logs each overdue task with its owner, so the alarm's runbook can name who to chase.
import type { Logger } from '@aws-lambda-powertools/logger';
import { type Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { OWNER_TASK_METRICS } from '../core/model/metrics.ts';
import type { Clock } from '../core/model/ports.ts';
import type { OwnerTaskBoard } from '../core/tasks/ports.ts';
import { checkOwnerTasks, type OwnerTaskCheck } from '../core/tasks/tasks.ts';

export interface OwnerTaskCheckDeps {
  readonly tasks: OwnerTaskBoard;
  readonly clock: Clock;
  readonly logger: Pick<Logger, 'info' | 'warn'>;
  readonly metrics: Metrics;
}

export async function publishOwnerTaskCheck(deps: OwnerTaskCheckDeps): Promise<OwnerTaskCheck> {
  const check = await checkOwnerTasks(deps.tasks, deps.clock.now());
  const single = deps.metrics.singleMetric();
  single.addMetric(OWNER_TASK_METRICS.open, MetricUnit.Count, check.open);
  single.addMetric(OWNER_TASK_METRICS.overdue, MetricUnit.Count, check.overdue.length);
  for (const task of check.overdue) {
    deps.logger.warn('owner task overdue', {
      taskId: task.taskId,
      targetId: task.targetId,
      owner: task.owner,
      personId: task.personId,
      eventId: task.eventId,
      dueAt: task.dueAt,
    });
  }
  deps.logger.info('owner tasks checked', { open: check.open, overdue: check.overdue.length });
  return check;
}
