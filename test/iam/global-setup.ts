// Vitest global setup: every test process records the AWS calls the functions make (local/aws-calls.ts)
// into one directory; when the run ends, the IAM proof evaluates them against the synthesized roles
// and fails the run if any call is not allowed. `npm run iam:report` prints the full report after.
import { mkdirSync, readdirSync, rmSync } from 'node:fs';
import { resolve } from 'node:path';
import { RECORD_AWS_CALLS_ENV } from '../../local/aws-calls.ts';
import { describeDenial, describeProof, proveRecordings } from './proof.ts';

export const DEFAULT_RECORDINGS = resolve('.scimitar/aws-calls');

export default function setup(): () => void {
  const dir = process.env[RECORD_AWS_CALLS_ENV] || DEFAULT_RECORDINGS;
  mkdirSync(dir, { recursive: true });
  // Only the recorder's own files: the directory may be one the user named.
  for (const file of readdirSync(dir))
    if (/^(calls-\d+\.jsonl|stack-\w+\.json)$/.test(file)) rmSync(resolve(dir, file));
  // Test processes start after this and inherit the variable.
  process.env[RECORD_AWS_CALLS_ENV] = dir;
  return () => {
    const { proofs, calls } = proveRecordings(dir);
    if (calls === 0) return;
    const denials = proofs.flatMap((p) => p.denials);
    const lines = proofs.flatMap((p, i) => [
      ...(proofs.length > 1
        ? [`stack ${i + 1} of ${proofs.length} (a config some tests start the runtime with):`]
        : []),
      ...describeProof(p),
    ]);
    console.log(
      `\nIAM proof: ${proofs.reduce((n, p) => n + p.checked, 0)} recorded AWS call(s) checked against the synthesized roles, ${denials.length} not allowed\n  ${lines.join('\n  ')}\n  (full report: npm run iam:report)\n`,
    );
    if (denials.length > 0) {
      throw new Error(
        `IAM proof failed: ${denials.length} recorded AWS call(s) are not allowed by the function's synthesized role:\n${denials.map((d) => `  - ${describeDenial(d)}`).join('\n')}`,
      );
    }
  };
}
