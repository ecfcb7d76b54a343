// What a local alarm says: the template's description (what an operator reads on AWS), led by a
// subject that names the target or execution, plus the local way out (the redrive command).

import { deadLetterQueuePrefix } from '../lambdas/aws/target-env.ts';
import { countOf } from '../lambdas/core/model/count-noun.ts';
import { OWNER_TASK_METRICS, RECONCILE_METRICS } from '../lambdas/core/model/metrics.ts';
import type { Notification } from '../lambdas/core/model/ports.ts';
import type { Datapoint } from './alarms.ts';
import type { AlarmRule } from './topology.ts';

export function alarmText(stackName: string) {
  return (rule: AlarmRule, group: string, latest: Datapoint | undefined): Notification => {
    const { metricName } = rule.query;
    const detail = latest?.detail;
    const onAws = `On AWS: ${rule.description}`;
    const prefix = deadLetterQueuePrefix(stackName);
    // A lane's alarm is a plain metric alarm on its queue: the queue is its dimension, not a group.
    const queue = group || (rule.query.kind === 'metric' ? (rule.query.dimensions.QueueName ?? '') : '');
    const deadLetters = queue.startsWith(prefix) ? queue.slice(prefix.length) : undefined;
    if (metricName === 'ApproximateNumberOfMessagesVisible' && deadLetters) {
      return {
        subject: `ALARM: ${countOf(latest?.value ?? 0, 'message')} in the dead-letter queue of target ${deadLetters}`,
        message: `Revocations for ${deadLetters} failed every attempt. Fix the cause, then redrive: npm run scimitar -- redrive ${deadLetters}\n${onAws}`,
      };
    }
    if (metricName === 'ExecutionsFailed') {
      return {
        subject: `ALARM: scimitar execution failed (${detail?.split(':')[0] ?? 'unknown'})`,
        message: `${detail ?? ''}\n${onAws}`,
      };
    }
    if (metricName === 'CanaryFailed') {
      return {
        subject: `ALARM: credential canary failed for target ${group}`,
        message: `The read-only probe of ${group} failed: ${detail ?? 'no reason recorded'}. Leavers there would fail too.\n${onAws}`,
      };
    }
    if (metricName === RECONCILE_METRICS.privilegedFindings) {
      return {
        subject: `ALARM: privileged target ${group} has ${detail ?? countOf(latest?.value ?? 0, 'finding')}`,
        message: `See the coverage report (npm run scimitar -- coverage) and docs/reconciliation.md.\n${onAws}`,
      };
    }
    if (metricName === RECONCILE_METRICS.incomplete) {
      return {
        subject: `ALARM: reconciliation of ${group} incomplete`,
        message: `${detail ?? 'no reason recorded'}\n${onAws}`,
      };
    }
    if (metricName === OWNER_TASK_METRICS.overdue) {
      return {
        subject: `ALARM: OwnerTaskOverdue: ${countOf(latest?.value ?? 0, 'owner task')} open past due`,
        message: `List them: npm run scimitar -- tasks; once an owner closed the account: npm run scimitar -- ack <task> --by <who>\n${onAws}`,
      };
    }
    const first = rule.description.split(/(?<=[.:])\s/)[0] ?? rule.logicalId;
    return {
      subject: `ALARM: ${first}${group ? ` (${group})` : ''}`,
      message: `${detail ? `${detail}\n` : ''}${onAws}`,
    };
  };
}
