// The operator's commands on the AWS path, end to end: the CLI's own command functions against a
// started local runtime, which answers the AWS APIs on its port (no /_local route is used). A
// target goes down: `alarms` shows its dead-letter alarm, `status` the failed execution; it comes
// back: `redrive` completes the revocation and `audit` shows it; `targets check` and `coverage`
// read the canary through the canary function and the state table.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { targetSecretName } from '../../lambdas/core/model/config.ts';
import type { Args } from '../../local/cli/context.ts';
import { audit, revokeNow, status } from '../../local/cli/event-commands.ts';
import { alarms, coverage, redrive } from '../../local/cli/operations-commands.ts';
import { checkTargets } from '../../local/cli/targets-check.ts';
import type { LocalRuntime } from '../../local/runtime.ts';
import { start as startScimApp } from '../../local/scim-app.ts';
import sample from '../../scimitar.config.ts';
import { captureOutput } from '../support/captured-output.ts';
import { steps as stepsOf } from '../support/events.ts';
import { eventually } from '../support/eventually.ts';
import { postSigned, startTestRuntime, terminationOf, testConfig } from '../support/local-runtime.ts';

const input = {
  ...sample,
  maxAttempts: 2,
  targets: sample.targets.filter((t) => t.id === 'code' || t.id === 'chat'),
};

/** What a command prints (stdout and stderr) and the exit code it sets; the exit code is reset. */
async function run(command: () => Promise<void>): Promise<{ text: string; exitCode: number }> {
  const lines: string[] = [];
  const collect = (...parts: unknown[]) => {
    lines.push(`${parts.map(String).join(' ')}\n`);
  };
  const spies = [vi.spyOn(console, 'log'), vi.spyOn(console, 'error')].map((s) =>
    s.mockImplementation(collect),
  );
  const output = captureOutput();
  try {
    await command();
  } finally {
    output.restore();
    for (const spy of spies) spy.mockRestore();
  }
  const exitCode = Number(process.exitCode ?? 0);
  process.exitCode = 0;
  return { text: lines.join('') + output.text(), exitCode };
}

describe('operator CLI on the AWS path of the local runtime', () => {
  let runtime: LocalRuntime & { lines: string[] };
  let args: Args;
  beforeAll(async () => {
    runtime = await startTestRuntime({ config: testConfig(input), scimTimeoutMs: 1_000 });
    const file = join(mkdtempSync(join(tmpdir(), 'operator-cli-')), 'scimitar.config.json');
    writeFileSync(file, JSON.stringify(input));
    args = { url: runtime.url, config: file };
  }, 120_000);
  afterAll(async () => runtime?.stop());

  it('checks every SCIM target of the config with the canary function, one line each', async () => {
    const { text, exitCode } = await run(() => checkTargets(args, []));
    expect(text).toMatch(/^ {2}✔ code {7}credential works {2}\(\d+ ms\)$/m);
    expect(text).toMatch(/^ {2}✔ chat {7}credential works {2}\(\d+ ms\)$/m);
    expect(exitCode).toBe(0);
  }, 60_000);

  it('a target down: alarms shows its dead-letter alarm, status the failed execution; back up, redrive revokes', async () => {
    const lane = runtime.lanes.get('code');
    const app = lane?.app;
    if (!lane || !app) throw new Error('no demo app for code');
    const person = runtime.people.find((p) => app.userByName(p.userName)?.active);
    if (!person) throw new Error('no active person in code');
    const port = Number(new URL(app.url).port);
    await app.close();
    const body = terminationOf(person);
    expect((await postSigned(runtime, body)).status).toBe(202);
    const { eventId } = JSON.parse(body) as { eventId: string };
    await eventually('a retry of code', async () =>
      stepsOf(await runtime.audit.forEvent(eventId)).includes('RETRY:code'),
    );
    await runtime.clock.advance('10m');
    await eventually("one message in code's DLQ", async () => (await runtime.deadLetters('code')) === 1);

    const firing = await eventually('the dead-letter alarm of code in ALARM', async () => {
      const shown = await run(() => alarms(args));
      return /^ {2}✖ ALARM +\S*DeadLetters-code/m.test(shown.text) && shown;
    });
    expect(firing.exitCode).toBe(1);
    expect(firing.text).toMatch(/^alarms: [1-9]\d* in ALARM, /);
    // The alerts sent, as the stack keeps them (NOTIFY items in the state table).
    const kept = await eventually(
      'the failed execution’s alert among the notifications kept',
      async () => {
        const shown = await run(() => alarms(args));
        return (
          new RegExp(
            `^alerts \\(last 7 days\\):\\n(?: {2}.*\\n)*? {2}\\S+ {2}scimitar: revocation incomplete for employee ${person.employeeId} \\(1 target\\)$`,
            'm',
          ).test(shown.text) && shown
        );
      },
      { seen: async () => (await run(() => alarms(args))).text.split('alerts (last')[1] },
    );
    expect(kept.text).toMatch(/^owner notifications:$/m);
    const failed = await run(() => status(args, eventId));
    expect(failed.text).toContain(`event ${eventId}: execution FAILED`);
    expect(failed.text).toMatch(/^ {2}✖ code +failed/m);

    const secrets = JSON.parse(readFileSync(join(runtime.dataDir, 'secrets.json'), 'utf8')) as Record<
      string,
      string
    >;
    const target = runtime.config.targets.find((t) => t.id === 'code');
    if (!target) throw new Error('no code target');
    const revived = await startScimApp({ tokens: [secrets[targetSecretName(target)] ?? ''], port });
    try {
      revived.seed({ users: [{ userName: person.userName, externalId: person.employeeId }] });
      const moved = await run(() => redrive(args, 'code'));
      expect(moved.text.trim()).toBe('1 message moved back to the queue of code');
      await eventually(
        'the account deactivated in the revived app',
        () => revived.userByName(person.userName)?.active === false,
      );
      const timeline = await eventually('REDRIVEN in the audit command', async () => {
        const shown = await run(() => audit(args, person.employeeId));
        return shown.text.includes('REDRIVEN') && shown.text;
      });
      expect(timeline).toMatch(/^ {2}code +revoked /m);
      expect(await runtime.deadLetters('code')).toBe(0);
    } finally {
      await revived.close();
    }
  }, 180_000);

  it('refuses to redrive a target the stack does not have, or a message an empty queue cannot hold', async () => {
    await expect(redrive(args, 'nope')).rejects.toThrow(/^no SCIM target "nope" in stack Scimitar/);
    await expect(redrive({ ...args, message: 'm-1' }, 'chat')).rejects.toThrow(
      'the dead-letter queue of chat is empty: no message m-1 to redrive',
    );
  });

  it('revoke-now through the operator function: followed live until it ends (code down: failed there), or handed back at once with --no-follow', async () => {
    const [first, second] = runtime.people
      .filter((p) => runtime.lanes.get('chat')?.app?.userByName(p.userName)?.active)
      .slice(-2);
    if (!first || !second) throw new Error('no two people with an account in chat');
    const followed = await run(() =>
      revokeNow(
        { ...args, 'user-name': first.userName, email: first.userName, reason: 'INC-1', by: 'dana' },
        first.employeeId,
      ),
    );
    expect(followed.text).toMatch(
      new RegExp(`^revoke-now of ${first.employeeId}: event \\S+, execution \\S+$`, 'm'),
    );
    expect(followed.text).toMatch(
      new RegExp(`^${first.employeeId} \\(FAILED\\)\\n(?: {2}.*\\n)*? {2}✔ chat +revoked`, 'm'),
    );
    // code is still down (the test above closed it): the execution fails there, and so does the command.
    expect(followed.text).toMatch(/^ {2}✖ code +failed/m);
    expect(followed.exitCode).toBe(1);
    const [received] = (await runtime.audit.forPerson(first.employeeId)).filter((e) => e.step === 'RECEIVED');
    expect(received?.detail).toMatchObject({
      requestedBy: `dana (arn:aws:iam::000000000000:user/${process.env.USER || 'local'})`,
      reason: 'INC-1',
    });

    const handed = await run(() =>
      revokeNow({ ...args, 'user-name': second.userName, 'no-follow': true }, second.employeeId),
    );
    expect(handed.text).toMatch(/^follow it: npm run scimitar -- status \S+$/m);
    expect(handed.text).not.toMatch(/\((?:RUNNING|SUCCEEDED|FAILED)\)/);
  }, 120_000);

  it('shows coverage from the state table with the canary’s last check', async () => {
    const { text } = await run(() => coverage({ ...args, json: true }));
    const report = JSON.parse(text) as { entries: { targetId: string; reasons: string[] }[] };
    const code = report.entries.find((e) => e.targetId === 'code');
    expect(code).toBeDefined();
    expect(code?.reasons.join('\n')).not.toContain('never-checked');
  }, 60_000);
});
