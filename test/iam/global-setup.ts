// Vitest global setup: every test process records the AWS calls the functions make (local/aws-calls.ts)
// into one directory; when the run ends, the IAM proof evaluates them against the synthesized roles
// and fails the run if any call is not allowed. `npm run iam:report` prints the full report after.
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { RECORD_AWS_CALLS_ENV } from '../../local/aws-calls.ts';
import { describeDenial, describeProof, proveRecordings } from './proof.ts';

/** Where test runs record: one directory per run, so two runs at once never mix or clear each other's calls. */
export const RECORDINGS_ROOT = resolve('.scimitar/aws-calls');

/** The newest run's directory under {@link RECORDINGS_ROOT} (what `npm run iam:report` reads). */
export function latestRecordings(): string | undefined {
  if (!existsSync(RECORDINGS_ROOT)) return undefined;
  const runs = readdirSync(RECORDINGS_ROOT)
    .filter((name) => name.startsWith('run-'))
    .map((name) => join(RECORDINGS_ROOT, name))
    .sort((a, b) => statSync(b).mtimeMs - statSync(a).mtimeMs);
  return runs[0];
}

export default function setup(): () => void {
  let dir = process.env[RECORD_AWS_CALLS_ENV];
  if (!dir) {
    mkdirSync(RECORDINGS_ROOT, { recursive: true });
    // Runs of more than a day ago go; a run going on now in another terminal is left alone.
    for (const name of readdirSync(RECORDINGS_ROOT)) {
      const old = join(RECORDINGS_ROOT, name);
      if (name.startsWith('run-') && Date.now() - statSync(old).mtimeMs > 86_400_000)
        rmSync(old, { recursive: true, force: true });
    }
    dir = mkdtempSync(join(RECORDINGS_ROOT, 'run-'));
  }
  mkdirSync(dir, { recursive: true });
  // Test processes start after this and inherit the variable.
  process.env[RECORD_AWS_CALLS_ENV] = dir;
  const recordings = dir;
  return () => {
    const { proofs, calls } = proveRecordings(recordings);
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
