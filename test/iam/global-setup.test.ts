import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { localArns, RECORD_AWS_CALLS_ENV, type RecordedCall, registerStack } from '../../local/aws-calls.ts';
import { testConfig } from '../support/local-runtime.ts';
import setup from './global-setup.ts';

afterEach(() => {
  vi.unstubAllEnvs();
  vi.restoreAllMocks();
});

/** A test run's setup, one recorded call by the sample stack's function, and the run's end. */
function runRecording(call: Omit<RecordedCall, 'stack'>): () => void {
  const dir = mkdtempSync(join(tmpdir(), 'scimitar-iam-proof-'));
  vi.stubEnv(RECORD_AWS_CALLS_ENV, dir);
  const teardown = setup();
  const recorded: RecordedCall = { ...call, stack: registerStack(testConfig()) };
  writeFileSync(join(dir, 'calls-1.jsonl'), `${JSON.stringify(recorded)}\n`);
  return teardown;
}

describe('IAM proof at the end of the test run', () => {
  // The first proof synthesizes the stack: seconds on an idle machine, far more on a loaded one.
  it("fails the run when a recorded call is outside its function's role, and says which", {
    timeout: 180_000,
  }, () => {
    vi.spyOn(console, 'log').mockImplementation(() => {});
    const teardown = runRecording({
      entry: 'summarize',
      action: 'secretsmanager:GetSecretValue',
      resources: [localArns.secret('scimitar/targets/code')],
      via: 'stand-in',
    });

    expect(() => teardown()).toThrow(
      /IAM proof failed: 1 recorded AWS call\(s\) are not allowed[\s\S]*summarize calls secretsmanager:GetSecretValue on arn:aws:secretsmanager:local:000000000000:secret:scimitar\/targets\/code-[0-9a-f]{6} \[via the local stand-in\]: implicit-deny; closest statement/,
    );
  });

  it('passes and summarises per function when every call is allowed', () => {
    const log = vi.spyOn(console, 'log').mockImplementation(() => {});
    const teardown = runRecording({
      entry: 'summarize',
      action: 'sns:Publish',
      resources: [localArns.topic('alerts')],
      via: 'stand-in',
    });

    expect(() => teardown()).not.toThrow();
    expect(String(log.mock.calls[0]?.[0])).toMatch(
      /IAM proof: 1 recorded AWS call\(s\) checked against the synthesized roles, 0 not allowed[\s\S]*summarize: 1 call\(s\) allowed; granted, never used: dynamodb:PutItem/,
    );
  });
});
