// The local CloudWatch: EMF captured from Powertools, Metrics Insights queries of the stack's
// alarms, and a rule's evaluation over periods as CloudWatch does it.
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { describe, expect, it } from 'vitest';
import { Clock } from '../../../lambdas/core/model/ports.ts';
import { capturedMetrics, evaluate, insightsQuery, LocalAlarms, MetricStore } from '../../../local/alarms.ts';
import type { AlarmRule } from '../../../local/topology.ts';

class ManualClock extends Clock {
  constructor(public at: number) {
    super();
  }
  now(): Date {
    return new Date(this.at);
  }
}

const rule = (over: Partial<AlarmRule> = {}): AlarmRule => ({
  logicalId: 'CanaryFailed',
  description: 'scimitar: a probe failed. Runbook: docs/credentials.md',
  actions: ['topic'],
  query: insightsQuery(
    "SELECT MAX(CanaryFailed) FROM SCHEMA(Scimitar, service, target) WHERE service = 'scimitar-canary' GROUP BY target",
  ) as AlarmRule['query'],
  periodSeconds: 3600,
  evaluationPeriods: 1,
  datapointsToAlarm: 1,
  threshold: 1,
  comparison: 'GreaterThanOrEqualToThreshold',
  treatMissingData: 'ignore',
  ...over,
});

describe('local alarms: Metrics Insights queries', () => {
  it('reads the statistic, namespace, conditions and group of the stack queries', () => {
    expect(
      insightsQuery(
        "SELECT MAX(CanaryFailed) FROM SCHEMA(Scimitar, service, target) WHERE service = 'scimitar-canary' GROUP BY target",
      ),
    ).toEqual({
      kind: 'insights',
      namespace: 'Scimitar',
      metricName: 'CanaryFailed',
      statistic: 'Maximum',
      where: [{ dimension: 'service', value: 'scimitar-canary' }],
      groupBy: 'target',
    });
  });

  it('refuses what it cannot evaluate rather than guessing', () => {
    expect(insightsQuery('SUM(FILL(METRICS(), 0))')).toBeUndefined();
    expect(insightsQuery("SELECT MAX(x) FROM SCHEMA(S, a) WHERE a != 'b'")).toBeUndefined();
    // Not in AWS's WHERE grammar (=, != and AND): CloudWatch would refuse the alarm.
    expect(insightsQuery("SELECT MAX(x) FROM SCHEMA(S, a) WHERE a LIKE 'b%' GROUP BY a")).toBeUndefined();
  });
});

describe('local alarms: evaluation', () => {
  it('captures Powertools single metrics as datapoints with their dimensions', () => {
    const store = new MetricStore(new ManualClock(1_000_000));
    const single = capturedMetrics(store, {
      namespace: 'Scimitar',
      serviceName: 'scimitar-canary',
    }).singleMetric();
    single.addDimension('target', 'wiki');
    single.addMetric('CanaryFailed', MetricUnit.Count, 1);
    expect([...store.series(rule(), 0, 2_000_000)]).toEqual([
      [
        'wiki',
        [
          {
            namespace: 'Scimitar',
            metricName: 'CanaryFailed',
            dimensions: { service: 'scimitar-canary', target: 'wiki' },
            value: 1,
            at: 1_000_000,
          },
        ],
      ],
    ]);
  });

  it('alarms when enough periods breach, keeps state on missing data when told to ignore it', () => {
    const at = (t: number, value: number) => ({
      namespace: 'n',
      metricName: 'm',
      dimensions: {},
      value,
      at: t,
    });
    expect(evaluate(rule(), [at(10, 1)], 20)).toBe('ALARM');
    expect(evaluate(rule(), [at(10, 0)], 20)).toBe('OK');
    expect(evaluate(rule(), [], 20)).toBeUndefined();
    expect(evaluate(rule({ treatMissingData: 'notBreaching' }), [], 20)).toBe('OK');
    const twoOfThree = rule({ evaluationPeriods: 3, datapointsToAlarm: 2, periodSeconds: 1 });
    expect(evaluate(twoOfThree, [at(2_500, 1)], 3_000)).toBe('OK');
    expect(evaluate(twoOfThree, [at(1_500, 1), at(2_500, 1)], 3_000)).toBe('ALARM');
  });

  it('notifies once per series on the move to ALARM, and again only after it was OK', async () => {
    const clock = new ManualClock(1_000_000);
    const store = new MetricStore(clock);
    const sent: string[] = [];
    const alarms = new LocalAlarms({
      rules: [rule()],
      store,
      clock,
      publish: async (topic, n) => void sent.push(`${topic}: ${n.subject}`),
      text: (r, group, latest) => ({
        subject: `${r.logicalId} ${group} ${latest?.detail ?? ''}`,
        message: '',
      }),
    });
    const probe = (value: number) =>
      store.put({
        namespace: 'Scimitar',
        metricName: 'CanaryFailed',
        dimensions: { service: 'scimitar-canary', target: 'wiki' },
        value,
      });
    store.note('CanaryFailed', 'wiki', '401');
    probe(1);
    await alarms.evaluate();
    probe(1);
    await alarms.evaluate();
    expect(sent).toEqual(['topic: CanaryFailed wiki 401']);
    clock.at += 3_600_000;
    probe(0);
    await alarms.evaluate();
    probe(1);
    clock.at += 3_600_000;
    probe(1);
    await alarms.evaluate();
    expect(sent).toHaveLength(2);
  });
});
