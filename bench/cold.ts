// Benchmark, not a test: each function's module import time, the part of a Lambda cold start its
// bundle decides. Synthesizes the stack with bundling (as `cdk deploy` would), then imports each
// bundle in a fresh Node process, several times, with the function's synthesized environment
// (what CloudFormation would resolve filled in with placeholders). The AWS SDK is not in the
// bundles: it resolves from node_modules here, as the Lambda runtime provides it there.
//   npm run bench:cold                      (defaults)
//   BENCH_RUNS=20 npm run bench:cold
//   BENCH_TARGETS=200 npm run bench:cold    (the generated config of 200 SCIM targets, 20 manual)
import { execFileSync } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import sample from '../scimitar.config.ts';
import { synthesizeBundles, withEveryFunction } from '../test/support/bundles.ts';
import { scaleConfig } from '../test/support/scale-config.ts';

const RUNS = Number(process.env.BENCH_RUNS ?? 10);
const TARGETS = process.env.BENCH_TARGETS ? Number(process.env.BENCH_TARGETS) : undefined;
const config =
  TARGETS === undefined ? withEveryFunction(sample) : scaleConfig(TARGETS, Math.floor(TARGETS / 10));
// Inside the repository, so the bundles' external @aws-sdk imports resolve from node_modules.
const workDir = join(import.meta.dirname, '..', '.scimitar', 'bench-cold');

const IMPORT_ONCE = `
const started = performance.now();
await import(process.argv[1]);
process.stdout.write(String(performance.now() - started));
`;

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil(p * sorted.length) - 1)] ?? Number.NaN;
}

rmSync(workDir, { recursive: true, force: true });
// One bundle per entry: the workers of different targets ship the same code.
const bundles = [...new Map(synthesizeBundles(config).map((b) => [b.entry, b])).values()];
const rows: string[] = [];
for (const bundle of bundles.sort((a, b) => a.entry.localeCompare(b.entry))) {
  const dir = join(workDir, bundle.entry);
  mkdirSync(dir, { recursive: true });
  const file = join(dir, 'index.mjs');
  writeFileSync(file, bundle.files['index.mjs'] ?? '');
  const env = {
    PATH: process.env.PATH ?? '',
    AWS_REGION: 'us-east-1',
    AWS_LAMBDA_FUNCTION_NAME: `bench-${bundle.entry}`,
    ...bundle.environment,
  };
  const times: number[] = [];
  for (let run = 0; run < RUNS; run++) {
    const out = execFileSync(
      process.execPath,
      ['--input-type=module', '-e', IMPORT_ONCE, pathToFileURL(file).href],
      {
        env,
        encoding: 'utf8',
      },
    );
    times.push(Number(out));
  }
  times.sort((a, b) => a - b);
  const kb = Buffer.byteLength(bundle.files['index.mjs'] ?? '') / 1024;
  rows.push(
    `${bundle.entry.padEnd(14)} ${kb.toFixed(0).padStart(5)} KB   import median ${percentile(times, 0.5).toFixed(1).padStart(6)} ms   p95 ${percentile(times, 0.95).toFixed(1).padStart(6)} ms`,
  );
}
rmSync(workDir, { recursive: true, force: true });
process.stdout.write(
  `cold: module import time per function, ${RUNS} fresh processes each (Node ${process.versions.node}; ${TARGETS === undefined ? 'sample config' : `${TARGETS} SCIM targets`})\n`,
);
for (const row of rows) process.stdout.write(`${row}\n`);
