// Captures what Powertools' Logger and Metrics print (JSON lines on stdout and stderr), so tests can
// assert on metrics and prove that no secret reaches a log or a metric.
import { vi } from 'vitest';

export interface CapturedOutput {
  /** Every printed line that parses as JSON. */
  readonly records: Record<string, unknown>[];
  /** Everything printed, as one string. */
  text(): string;
  /** EMF records carrying this metric, as { value, dimensions }. */
  metric(name: string): { value: unknown; dimensions: Record<string, unknown> }[];
  restore(): void;
}

export function captureOutput(): CapturedOutput {
  const chunks: string[] = [];
  const collect = (chunk: unknown) => {
    chunks.push(typeof chunk === 'string' ? chunk : Buffer.from(chunk as Uint8Array).toString('utf8'));
    return true;
  };
  const out = vi.spyOn(process.stdout, 'write').mockImplementation(collect);
  const err = vi.spyOn(process.stderr, 'write').mockImplementation(collect);
  const records = () =>
    chunks
      .join('')
      .split('\n')
      .flatMap((line) => {
        try {
          const parsed: unknown = JSON.parse(line);
          return parsed && typeof parsed === 'object' ? [parsed as Record<string, unknown>] : [];
        } catch {
          return [];
        }
      });
  return {
    get records() {
      return records();
    },
    text: () => chunks.join(''),
    metric: (name) =>
      records()
        .filter((r) => name in r && r._aws !== undefined)
        .map((r) => {
          const aws = r._aws as { CloudWatchMetrics: { Dimensions: string[][] }[] };
          const keys = aws.CloudWatchMetrics.flatMap((m) => m.Dimensions.flat());
          return { value: r[name], dimensions: Object.fromEntries(keys.map((k) => [k, r[k]])) };
        }),
    restore: () => {
      out.mockRestore();
      err.mockRestore();
    },
  };
}
