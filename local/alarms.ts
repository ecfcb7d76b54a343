// CloudWatch, locally: datapoints the handlers emit (Powertools' EMF, captured in process), the
// runtime's own service metrics (Step Functions executions, SQS queue depths), and the template's
// alarms evaluated over them. A rule moving to ALARM publishes to its topic as the platform.
import { Metrics } from '@aws-lambda-powertools/metrics';
import type { Clock, Notification } from '../lambdas/core/model/ports.ts';
import type { AlarmQuery, AlarmRule, Comparison } from './topology.ts';

export interface Datapoint {
  readonly namespace: string;
  readonly metricName: string;
  readonly dimensions: Readonly<Record<string, string>>;
  readonly value: number;
  /** Epoch milliseconds. */
  readonly at: number;
  /** What the local alert says beyond the number (a failed execution's error, a probe's problems). */
  readonly detail?: string;
}

/** The datapoints of the last day (the longest local evaluation window kept). */
export class MetricStore {
  private readonly points: Datapoint[] = [];
  private readonly notes = new Map<string, string>();
  constructor(private readonly clock: Clock) {}

  /** Says more about a series than its numbers (a probe's problems): the local alert shows it. */
  note(metricName: string, group: string, detail: string): void {
    this.notes.set(`${metricName}/${group}`, detail);
  }

  noteOf(metricName: string, group: string): string | undefined {
    return this.notes.get(`${metricName}/${group}`);
  }

  put(point: Omit<Datapoint, 'at'>): void {
    const at = this.clock.now().getTime();
    this.points.push({ ...point, at });
    while ((this.points[0]?.at ?? at) < at - 86_400_000) this.points.shift();
  }

  /** Reads Powertools' EMF output (one JSON document) into datapoints. */
  putEmf(document: string): void {
    const emf = JSON.parse(document) as Record<string, unknown> & {
      _aws?: {
        CloudWatchMetrics?: { Namespace: string; Dimensions: string[][]; Metrics: { Name: string }[] }[];
      };
    };
    for (const directive of emf._aws?.CloudWatchMetrics ?? []) {
      for (const set of directive.Dimensions) {
        const dimensions = Object.fromEntries(set.map((name) => [name, String(emf[name])]));
        for (const { Name } of directive.Metrics) {
          for (const value of [emf[Name]].flat()) {
            this.put({ namespace: directive.Namespace, metricName: Name, dimensions, value: Number(value) });
          }
        }
      }
    }
  }

  /** Datapoints of a rule per series (one, or one per GROUP BY value) in [from, to). */
  series(rule: AlarmRule, from: number, to: number): Map<string, Datapoint[]> {
    const { query } = rule;
    const out = new Map<string, Datapoint[]>();
    for (const p of this.points) {
      if (p.at < from || p.at >= to || p.namespace !== query.namespace || p.metricName !== query.metricName)
        continue;
      let key = '';
      if (query.kind === 'metric') {
        const wanted = Object.entries(query.dimensions);
        if (wanted.length !== Object.keys(p.dimensions).length) continue;
        if (!wanted.every(([k, v]) => p.dimensions[k] === v)) continue;
      } else {
        if (!query.where.every((w) => p.dimensions[w.dimension] === w.value)) continue;
        if (query.groupBy) {
          const group = p.dimensions[query.groupBy];
          if (group === undefined) continue;
          key = group;
        }
      }
      out.set(key, [...(out.get(key) ?? []), p]);
    }
    return out;
  }
}

/** Powertools Metrics whose EMF output goes to the store instead of stdout. */
export function capturedMetrics(
  store: MetricStore,
  options: { namespace?: string; serviceName?: string; singleMetric?: boolean },
): Metrics {
  class Captured extends Metrics {
    constructor() {
      super({ ...options, logger: { debug() {}, info() {}, warn() {}, error() {} } as never });
      // The runtime decides where metrics go, not POWERTOOLS_METRICS_DISABLED.
      // Powertools offers no option for either: the one place that sets them.
      const self = this as unknown as { disabled: boolean; console: { log(line: string): void } };
      self.disabled = false;
      self.console = { log: (line: string) => store.putEmf(line) };
    }
    override singleMetric(): Metrics {
      return capturedMetrics(store, { ...options, singleMetric: true });
    }
  }
  return new Captured();
}

const COMPARE: Record<Comparison, (v: number, t: number) => boolean> = {
  GreaterThanThreshold: (v, t) => v > t,
  GreaterThanOrEqualToThreshold: (v, t) => v >= t,
  LessThanThreshold: (v, t) => v < t,
  LessThanOrEqualToThreshold: (v, t) => v <= t,
};

function statistic(name: string, values: number[]): number {
  if (name === 'Sum') return values.reduce((a, b) => a + b, 0);
  if (name === 'Maximum') return Math.max(...values);
  if (name === 'Minimum') return Math.min(...values);
  if (name === 'SampleCount') return values.length;
  return values.reduce((a, b) => a + b, 0) / values.length;
}

/** What the rule reports for a series: `ALARM` or `OK`, or undefined when it keeps its state. */
export function evaluate(
  rule: AlarmRule,
  points: readonly Datapoint[],
  now: number,
): 'ALARM' | 'OK' | undefined {
  const period = rule.periodSeconds * 1000;
  let breaching = 0;
  let known = 0;
  for (let i = 0; i < rule.evaluationPeriods; i++) {
    const to = now - i * period;
    const values = points.filter((p) => p.at >= to - period && p.at < to).map((p) => p.value);
    if (values.length === 0) {
      if (rule.treatMissingData === 'breaching') breaching++;
      if (rule.treatMissingData === 'breaching' || rule.treatMissingData === 'notBreaching') known++;
      continue;
    }
    known++;
    if (COMPARE[rule.comparison](statistic(rule.query.statistic, values), rule.threshold)) breaching++;
  }
  if (breaching >= rule.datapointsToAlarm) return 'ALARM';
  return known > 0 ? 'OK' : undefined;
}

/** How an alarm reads locally: the series' group (a GROUP BY value) and its latest datapoint. */
export type AlarmText = (rule: AlarmRule, group: string, latest: Datapoint | undefined) => Notification;

export interface LocalAlarmsProps {
  readonly rules: readonly AlarmRule[];
  readonly store: MetricStore;
  readonly clock: Clock;
  /** Publishes a rule's ALARM to its topic (as the platform). */
  readonly publish: (topicArn: string, notification: Notification) => Promise<void>;
  readonly text: AlarmText;
  /** An evaluation that failed (the next one tries again). @default - ignored */
  readonly onError?: (err: unknown) => void;
  /** Called before each evaluation: samples what no handler emits (queue depths). */
  readonly sample?: () => Promise<void>;
}

/** Evaluates every rule; a series that moves to ALARM notifies once, until it is OK again. */
export class LocalAlarms {
  private readonly state = new Map<string, 'ALARM' | 'OK'>();
  /** Each series' state since when and why: what DescribeAlarms answers locally. */
  private readonly changes = new Map<string, { at: Date; reason: string }>();
  private running: Promise<void> = Promise.resolve();
  private queued: Promise<void> | undefined;
  constructor(private readonly props: LocalAlarmsProps) {}

  /** One evaluation of every rule, after any under way; callers meanwhile share the queued one. */
  evaluate(): Promise<void> {
    if (this.queued) return this.queued;
    const next = this.running
      .then(() => {
        this.queued = undefined;
        return this.evaluateOnce();
      })
      .catch((err: unknown) => this.props.onError?.(err));
    this.queued = next;
    this.running = next;
    return next;
  }

  /** An alarm's series (one, or one per GROUP BY value) that have a state, with when and why. */
  statesOf(logicalId: string): { group: string; state: 'ALARM' | 'OK'; at: Date; reason: string }[] {
    return [...this.state]
      .filter(([key]) => key.slice(0, key.indexOf('/')) === logicalId)
      .map(([key, state]) => {
        const change = this.changes.get(key) ?? { at: new Date(0), reason: '' };
        return { group: key.slice(key.indexOf('/') + 1), state, ...change };
      });
  }

  private async evaluateOnce(): Promise<void> {
    await this.props.sample?.();
    const now = this.props.clock.now().getTime();
    for (const rule of this.props.rules) {
      const window = rule.periodSeconds * 1000 * rule.evaluationPeriods;
      const series = this.props.store.series(rule, now - window, now + 1);
      if (series.size === 0 && rule.query.kind === 'metric') series.set('', []);
      for (const [group, points] of series) {
        const key = `${rule.logicalId}/${group}`;
        const next = evaluate(rule, points, now + 1);
        if (!next || next === this.state.get(key)) continue;
        this.state.set(key, next);
        this.changes.set(key, {
          at: new Date(now),
          reason: `${group ? `${group}: ` : ''}${next === 'ALARM' ? 'breached' : 'within'} the threshold (${rule.comparison} ${rule.threshold}) in ${rule.datapointsToAlarm} of ${rule.evaluationPeriods} periods of ${rule.periodSeconds} s`,
        });
        if (next !== 'ALARM') continue;
        const latest = points.at(-1);
        const detail = latest?.detail ?? this.props.store.noteOf(rule.query.metricName, group);
        const text = this.props.text(rule, group, latest && { ...latest, ...(detail ? { detail } : {}) });
        for (const topic of rule.actions) await this.props.publish(topic, text);
      }
    }
  }
}

/**
 * `SELECT STAT(metric) FROM SCHEMA(namespace, dims...) [WHERE d = 'v' AND ...] [GROUP BY d]`:
 * the Metrics Insights subset the stack's alarms use (AWS's WHERE has no LIKE: the lanes' alarms
 * are plain metric alarms, one per queue).
 */
export function insightsQuery(expression: string): AlarmQuery | undefined {
  const match = expression.match(
    /^SELECT\s+(\w+)\((\w+)\)\s+FROM\s+SCHEMA\(\s*("[^"]+"|[\w/]+)[^)]*\)(?:\s+WHERE\s+(.+?))?(?:\s+GROUP BY\s+(\w+))?\s*$/i,
  );
  if (!match) return undefined;
  const [, stat, metricName, namespace, where, groupBy] = match;
  const conditions = [];
  for (const clause of where ? where.split(/\s+AND\s+/i) : []) {
    const c = clause.match(/^(\w+)\s*=\s*'([^']*)'$/);
    if (!c) return undefined;
    conditions.push({ dimension: c[1] ?? '', value: c[2] ?? '' });
  }
  return {
    kind: 'insights',
    namespace: (namespace ?? '').replace(/"/g, ''),
    metricName: metricName ?? '',
    statistic:
      (stat ?? '').toUpperCase() === 'MAX'
        ? 'Maximum'
        : (stat ?? '').toUpperCase() === 'SUM'
          ? 'Sum'
          : 'Average',
    where: conditions,
    ...(groupBy ? { groupBy } : {}),
  };
}
