// BENCH_TRACE=1 for the layoff benchmark: where a run's time goes. Every few seconds, each lane's
// queue as SQS counts it (visible, in flight, delayed); at the end, every DynamoDB and SQS call
// the runtime made, by operation: how many, and their round trips (median, p95, max).

import { monitorEventLoopDelay } from 'node:perf_hooks';
import { GetQueueAttributesCommand, type SQSClient } from '@aws-sdk/client-sqs';
import type { AuditEntry } from '../lambdas/core/model/audit.ts';
import { observeAwsCalls } from '../local/aws-calls.ts';

interface Lane {
  readonly queueUrl: string;
  readonly priority: { readonly queueUrl: string };
}

export function startTrace(sqs: SQSClient, lanes: ReadonlyMap<string, Lane>) {
  const rtts = new Map<string, number[]>();
  const loop = monitorEventLoopDelay({ resolution: 10 });
  loop.enable();
  const stop = observeAwsCalls((call) => {
    if (call.operation === 'ReceiveMessage') return;
    const key = `${call.service}:${call.operation}`;
    const list = rtts.get(key) ?? [];
    list.push(call.endedMs - call.startedMs);
    rtts.set(key, list);
  });
  const counts = async (url: string) => {
    const { Attributes = {} } = await sqs.send(
      new GetQueueAttributesCommand({
        QueueUrl: url,
        AttributeNames: [
          'ApproximateNumberOfMessages',
          'ApproximateNumberOfMessagesNotVisible',
          'ApproximateNumberOfMessagesDelayed',
        ],
      }),
    );
    const n = (name: string) => Number(Attributes[name as keyof typeof Attributes] ?? 0);
    return `${n('ApproximateNumberOfMessages')}/${n('ApproximateNumberOfMessagesNotVisible')}/${n('ApproximateNumberOfMessagesDelayed')}`;
  };
  return {
    /** One line: each lane's queue (and priority queue) as visible/in flight/delayed. */
    async line(): Promise<string> {
      const parts = await Promise.all(
        [...lanes].map(
          async ([id, lane]) =>
            `${id} ${await counts(lane.queueUrl)} prio ${await counts(lane.priority.queueUrl)}`,
        ),
      );
      return `    queues (visible/in flight/delayed): ${parts.join(', ')}`;
    },
    /** The calls' table, by total time spent, and the time between a lane's audit steps. */
    report(timelines: ReadonlyMap<string, readonly AuditEntry[]>): string[] {
      stop();
      const q = (sorted: number[], p: number) =>
        sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] ?? 0;
      // Each lane's steps in order (per event and target), and the time from one to the next.
      const gaps = new Map<string, number[]>();
      for (const entries of timelines.values()) {
        const byTarget = new Map<string, AuditEntry[]>();
        for (const e of entries) {
          const key = e.targetId ?? '(event)';
          byTarget.set(key, [...(byTarget.get(key) ?? []), e]);
        }
        for (const [target, list] of byTarget) {
          const sorted = [...list].sort((a, b) => a.at.localeCompare(b.at));
          for (let i = 1; i < sorted.length; i++) {
            const a = sorted[i - 1] as AuditEntry;
            const b = sorted[i] as AuditEntry;
            const key = `${target === '(event)' ? target : 'lane'} ${a.step}→${b.step}`;
            gaps.set(key, [...(gaps.get(key) ?? []), Date.parse(b.at) - Date.parse(a.at)]);
          }
        }
      }
      const steps = [...gaps]
        .map(([key, list]) => ({ key, sorted: [...list].sort((a, b) => a - b) }))
        .sort((a, b) => b.sorted.length - a.sorted.length)
        .slice(0, 25);
      const rows = [...rtts]
        .map(([op, list]) => {
          const sorted = [...list].sort((a, b) => a - b);
          return { op, n: list.length, total: list.reduce((s, v) => s + v, 0), sorted };
        })
        .sort((a, b) => b.total - a.total);
      loop.disable();
      const ms = (ns: number) => (ns / 1e6).toFixed(0);
      return [
        `event loop delay: median ${ms(loop.percentile(50))} ms, p99 ${ms(loop.percentile(99))} ms, max ${ms(loop.max)} ms`,
        'audit steps (one to the next)             count   median      p95',
        ...steps.map(
          (r) =>
            `${r.key.padEnd(40)} ${String(r.sorted.length).padStart(6)} ${q(r.sorted, 0.5).toFixed(0).padStart(8)} ${q(r.sorted, 0.95).toFixed(0).padStart(8)}`,
        ),
        'AWS calls by operation   count   median      p95      max   total s',
        ...rows.map(
          (r) =>
            `${r.op.padEnd(24)} ${String(r.n).padStart(6)} ${q(r.sorted, 0.5).toFixed(1).padStart(8)} ${q(r.sorted, 0.95).toFixed(1).padStart(8)} ${q(r.sorted, 1).toFixed(0).padStart(8)} ${(r.total / 1000).toFixed(1).padStart(9)}`,
        ),
      ];
    },
  };
}
