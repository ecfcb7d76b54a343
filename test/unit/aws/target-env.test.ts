import { describe, expect, it } from 'vitest';
import {
  deadLetterQueueOfLane,
  laneKindOfQueue,
  laneQueueName,
  priorityQueueName,
  targetOfLaneQueue,
} from '../../../lambdas/aws/target-env.ts';

const ARN = 'arn:aws:sqs:eu-west-1:123456789012:';
const URL = 'https://sqs.eu-west-1.amazonaws.com/123456789012/';

describe("target-env: a lane's two queues by name", () => {
  it('names the priority queue <stack>_prio_<id>, as long as the lane queue', () => {
    expect(priorityQueueName('Prod', 'code')).toBe('Prod_prio_code');
    expect(priorityQueueName('Prod', 'code')).toHaveLength(laneQueueName('Prod', 'code').length);
  });

  it('tells which queue of its lane a batch came from: prio or lane, by ARN or URL', () => {
    expect(laneKindOfQueue('Prod', `${ARN}Prod_prio_code`)).toBe('prio');
    expect(laneKindOfQueue('Prod', `${URL}Prod_prio_code`)).toBe('prio');
    expect(laneKindOfQueue('Prod', `${ARN}Prod_lane_code`)).toBe('lane');
    expect(targetOfLaneQueue('Prod', `${ARN}Prod_prio_a-b`)).toBe('a-b');
  });

  it("refuses another stack's priority queue, a dead-letter queue and a name without a target", () => {
    expect(laneKindOfQueue('Prod', `${ARN}Prod-eu_prio_code`)).toBeUndefined();
    expect(laneKindOfQueue('Prod', `${ARN}Prod_dlq_code`)).toBeUndefined();
    expect(laneKindOfQueue('Prod', `${ARN}Prod_prio_`)).toBeUndefined();
    expect(targetOfLaneQueue('Prod', `${ARN}Prod-eu_prio_code`)).toBeUndefined();
  });

  it("parks a priority queue's failures in its lane's one dead-letter queue", () => {
    expect(deadLetterQueueOfLane('Prod', `${ARN}Prod_prio_code`)).toBe(`${ARN}Prod_dlq_code`);
    expect(deadLetterQueueOfLane('Prod', `${URL}Prod_prio_code`)).toBe(`${URL}Prod_dlq_code`);
  });
});
