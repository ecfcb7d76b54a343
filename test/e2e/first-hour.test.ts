// The first hour with scimitar, as a new user meets it: the real CLI against a real local runtime
// (or failing to reach one), with the README's own kind of config (a BambooHR source only), a
// missing credential, a failed execution retried, a bad roster, and mistakes in the config.
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig, type ScimitarConfigInput } from '../../lambdas/core/model/config.ts';
import { envNameFor } from '../../local/secrets.ts';
import { eventually } from '../support/eventually.ts';
import { startTestRuntime } from '../support/local-runtime.ts';
import { closedPort } from '../support/ports.ts';
import { type ScimTarget, startTarget, TOKEN } from '../support/scim-target.ts';

const run = promisify(execFile);

/** The real CLI, as `npm run scimitar -- ...` runs it; never throws, returns what a user sees. */
async function cli(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, ['--import', 'tsx', 'local/cli.ts', ...args], {
      env: { ...process.env, SCIMITAR_URL: '' },
    });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code?: number; stdout?: string; stderr?: string };
    return { code: e.code ?? 1, stdout: e.stdout ?? '', stderr: e.stderr ?? '' };
  }
}

const dir = mkdtempSync(join(tmpdir(), 'first-hour-'));
function configFile(name: string, config: unknown): string {
  const file = join(dir, name);
  writeFileSync(file, JSON.stringify(config));
  return file;
}

// Each CLI run starts tsx afresh: seconds on a busy machine, hence the generous time limits.
const SLOW = { timeout: 300_000 };

describe('first hour: one clear line, no stack trace', SLOW, () => {
  it('refuses a config with a syntax error, naming the file, line and message', async () => {
    const file = join(dir, 'broken.config.ts');
    writeFileSync(file, "export default {\n  sources: [{ id: 'hr', kind: 'generic' }]\n  targets: [],\n};\n");
    const { code, stdout, stderr } = await cli('send', '--employee', 'E1', '--config', file);
    expect(code).toBe(1);
    expect(stdout).toBe('');
    expect(stderr.trim()).toBe(`config file ${file}:3:3: Expected "}" but found "targets"`);
  });

  it('refuses a misspelt config key, naming its path and the key it meant', async () => {
    const file = configFile('typo.json', {
      sources: [{ id: 'hr', kind: 'generic' }],
      targets: [
        {
          id: 'github',
          kind: 'scim',
          displayName: 'GitHub',
          owner: 'o@example.com',
          baseUrl: 'https://x.example.com/scim/v2',
          matchAtribute: 'email',
        },
      ],
    });
    const { code, stderr } = await cli('send', '--employee', 'E1', '--config', file);
    expect(code).toBe(1);
    expect(stderr).toContain(
      'target "github" (targets[0]) field "matchAtribute": unknown field (given "email"); did you mean "matchAttribute"?',
    );
    expect(stderr).not.toMatch(/^\s+at /m);
  });

  it('refuses `demo --url` at a port where no runtime listens, saying what to check', async () => {
    const port = await closedPort();
    const { code, stdout, stderr } = await cli('demo', '--url', `http://127.0.0.1:${port}`);
    expect(code).toBe(1);
    expect(stdout).toBe('');
    expect(stderr.trim().split('\n')).toEqual([
      `no scimitar runtime answers at http://127.0.0.1:${port} (connection refused): start one with \`npm start\`, or check the port it printed and pass --url (or SCIMITAR_URL); or leave out --url and the demo starts a runtime of its own`,
    ]);
  });

  it('refuses to start on a taken demo-application port, naming the port and the flag', async () => {
    const taken: Server = createServer();
    await new Promise<void>((ready) => taken.listen(0, '127.0.0.1', ready));
    const { port } = taken.address() as { port: number };
    try {
      const start = startTestRuntime({
        ephemeralPorts: false,
        config: parseConfig({
          sources: [{ id: 'hr', kind: 'generic' }],
          targets: [
            {
              id: 'code',
              kind: 'scim',
              displayName: 'Code',
              owner: 'o@example.com',
              baseUrl: `http://localhost:${port}/scim/v2`,
            },
          ],
        }),
      });
      await expect(start).rejects.toThrow(
        `port ${port} (the demo application of target "code") is already in use, perhaps by another \`npm start\`: stop that, or start with --no-demo-apps, or give the target another port in its baseUrl`,
      );
    } finally {
      await new Promise<void>((closed) => taken.close(() => closed()));
    }
  });

  it('refuses to start on a taken API port, naming the port and --port', async () => {
    const taken: Server = createServer();
    await new Promise<void>((ready) => taken.listen(0, '127.0.0.1', ready));
    const { port } = taken.address() as { port: number };
    try {
      await expect(startTestRuntime({ port, demoApps: false, canary: false })).rejects.toThrow(
        `port ${port} (the local API) is already in use, perhaps by another \`npm start\`: stop that, or choose another with --port N`,
      );
    } finally {
      await new Promise<void>((closed) => taken.close(() => closed()));
    }
  });

  it('lists every command in --help and in the header of local/cli.ts', async () => {
    const source = readFileSync('local/cli.ts', 'utf8');
    const commands = [...source.matchAll(/^ {4}case '([a-z]+)':/gm)].map((m) => m[1] as string);
    expect(commands.length).toBeGreaterThanOrEqual(11);
    const header = source.slice(0, source.indexOf('import '));
    const { code, stdout } = await cli('--help');
    expect(code).toBe(0);
    for (const command of commands) {
      expect(stdout, command).toMatch(new RegExp(`^  ${command}\\b`, 'm'));
      expect(header, command).toContain(command);
    }
  });
});

describe('first hour: a BambooHR source only (the README example)', SLOW, () => {
  const config: ScimitarConfigInput = {
    sources: [{ id: 'bamboohr', kind: 'bamboohr' }],
    targets: [
      {
        id: 'code',
        kind: 'scim',
        displayName: 'Code',
        owner: 'o@example.com',
        baseUrl: 'http://localhost:4101/scim/v2',
      },
    ],
  };
  let runtime: Awaited<ReturnType<typeof startTestRuntime>>;
  let file: string;
  beforeAll(async () => {
    file = configFile('bamboohr.json', config);
    runtime = await startTestRuntime({ config: parseConfig(config) });
  }, 300_000);
  afterAll(async () => {
    await runtime?.stop();
  });
  const reach = () => ['--url', runtime.url, '--config', file, '--data-dir', runtime.dataDir];

  it('sends a BambooHR-signed termination that revokes the account, then calls a repeat a duplicate', async () => {
    const ada = runtime.people[0];
    if (!ada) throw new Error('no demo people');
    const sent = await cli('send', '--employee', ada.employeeId, '--email', ada.userName, ...reach());
    expect(sent.stderr).toBe('');
    expect(sent.code).toBe(0);
    expect(sent.stdout).toContain('HTTP 202');
    const eventId = JSON.parse(sent.stdout.slice(sent.stdout.indexOf('{'), sent.stdout.lastIndexOf('}') + 1))
      .eventId as string;
    expect(eventId).toMatch(/^bamboohr:/);
    await runtime.workflow.idle();
    const account = [...(runtime.lanes.get('code')?.app?.users.values() ?? [])].find(
      (u) => u.userName === ada.userName,
    );
    expect(account?.active).toBe(false);

    const again = await cli('send', '--employee', ada.employeeId, '--email', ada.userName, ...reach());
    expect(again.code).toBe(0);
    expect(again.stdout).toMatch(
      new RegExp(
        `duplicate of event ${eventId.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} \\(execution bamboohr-[0-9a-f]{40}, status SUCCEEDED\\): nothing started`,
      ),
    );
    expect(runtime.workflow.executions.size).toBe(1);
  });

  it('refuses what a BambooHR delivery cannot carry, saying what to do instead', async () => {
    const { code, stderr } = await cli(
      'send',
      '--employee',
      'E1',
      '--kind',
      'hire',
      '--event-id',
      'x',
      ...reach(),
    );
    expect(code).toBe(1);
    expect(stderr.trim()).toBe(
      'cannot send as BambooHR source "bamboohr": a BambooHR source sends terminations and rescinds only; --kind hire needs a generic source; BambooHR derives the event id from the change; leave out --event-id (or use a generic source)',
    );
  });
});

describe('first hour: a missing credential, a failed execution and its retry', SLOW, () => {
  let target: ScimTarget;
  let runtime: Awaited<ReturnType<typeof startTestRuntime>>;
  let file: string;
  beforeAll(async () => {
    target = await startTarget();
    target.app.seed({ users: [{ userName: 'grace@example.com', externalId: 'E7' }] });
    const config = {
      sources: [{ id: 'hr', kind: 'generic' }],
      targets: [
        { id: 'app', kind: 'scim', displayName: 'App', owner: 'o@example.com', baseUrl: target.proxy.url },
      ],
    };
    file = configFile('missing-secret.json', config);
    runtime = await startTestRuntime({
      config: parseConfig(config as ScimitarConfigInput),
      demoApps: false,
    });
  }, 300_000);
  afterAll(async () => {
    await runtime?.stop();
    await target?.close();
  });
  const reach = () => ['--url', runtime.url, '--config', file, '--data-dir', runtime.dataDir];
  const secretsFile = () => join(runtime.dataDir, 'secrets.json');
  const expectedProblem = () =>
    `could not read the credential: secret "Scimitar/targets/app" not found: add the key "Scimitar/targets/app" to ${secretsFile()}, or set the environment variable ${envNameFor('Scimitar/targets/app')}`;

  it('names the missing key and environment variable in the canary alarm, never a value', async () => {
    expect(envNameFor('Scimitar/targets/app')).toBe('SCIMITAR_SECRET_SCIMITAR_TARGETS_APP');
    const alarm = await eventually('the canary alarm of target app', () =>
      runtime.alerts.sent.find((a) => a.subject.includes('credential canary failed for target app')),
    );
    expect(alarm.message).toContain(expectedProblem());
  });

  it('fails the execution naming the key, calls a repeat a duplicate pointing at retry, and retries it once the secret is there', async () => {
    const send = () =>
      cli(
        'send',
        '--employee',
        'E7',
        '--user-name',
        'grace@example.com',
        '--event-id',
        'leaver-7',
        ...reach(),
      );
    expect((await send()).code).toBe(0);
    await runtime.workflow.idle();
    const failed = await cli('status', 'leaver-7', ...reach());
    expect(failed.stdout).toContain('execution FAILED');
    expect(failed.stdout).toContain(expectedProblem());

    const again = await send();
    expect(again.stdout).toMatch(
      /duplicate of event leaver-7 \(execution hr-[0-9a-f]{40}, status FAILED\): nothing started; use `npm run scimitar -- retry leaver-7`/,
    );

    const secrets = JSON.parse(readFileSync(secretsFile(), 'utf8')) as Record<string, string>;
    writeFileSync(secretsFile(), JSON.stringify({ ...secrets, 'Scimitar/targets/app': TOKEN }));
    const retried = await cli('retry', 'leaver-7', ...reach());
    expect(retried.stderr).toBe('');
    expect(retried.stdout).toMatch(
      /^retry 1 of event leaver-7 started: execution hr-[0-9a-f]{40}-r2 \(after hr-[0-9a-f]{40}\)/,
    );
    await runtime.workflow.idle();
    const names = [...runtime.workflow.executions.values()].map((e) => [
      e.name.replace(/^hr-[0-9a-f]{40}/, 'hr-…'),
      e.status,
    ]);
    expect(names).toEqual([
      ['hr-…', 'FAILED'],
      ['hr-…-r2', 'SUCCEEDED'],
    ]);
    expect([...target.app.users.values()].find((u) => u.userName === 'grace@example.com')?.active).toBe(
      false,
    );
    const audit = await runtime.audit.forEvent('leaver-7');
    expect(audit.filter((e) => e.step === 'RECEIVED').map((e) => [e.actor, e.detail?.attempt])).toEqual([
      ['ingest', undefined],
      ['operator', 2],
    ]);
    const status = await cli('status', 'leaver-7', ...reach());
    expect(status.stdout).toContain('execution SUCCEEDED');

    const refused = await cli('retry', 'leaver-7', ...reach());
    expect(refused.code).toBe(1);
    // The operator function's refusals, in its own words.
    expect(refused.stderr.trim()).toMatch(
      /^execution hr-[0-9a-f]{40}-r2 of event "leaver-7" succeeded: nothing to retry$/,
    );
    const unknown = await cli('retry', 'nobody', ...reach());
    expect(unknown.code).toBe(1);
    expect(unknown.stderr.trim()).toBe('no event "nobody" was received (no RECEIVED entry in the audit log)');
  });

  it('raises no reconciliation alarm at a start without a roster, and a pass asked for says where the file goes', async () => {
    expect(runtime.alerts.sent.filter((a) => a.subject.includes('reconciliation'))).toEqual([]);
    const { code, stdout } = await cli('reconcile', ...reach());
    expect(code).toBe(1);
    expect(stdout).toContain(`no HR roster file at ${runtime.rosterFile}`);
    expect(stdout).toContain('start with --roster FILE');
    expect(stdout).not.toContain('upload one');
  });

  it('refuses a roster with a repeated employeeId, naming the rows, through the CLI', async () => {
    writeFileSync(
      runtime.rosterFile,
      'employeeId,userName\nE1,a@example.com\nE2,b@example.com\nE1,c@example.com\n',
    );
    const { code, stdout, stderr } = await cli('reconcile', ...reach());
    expect(code).toBe(1);
    expect(stdout).toBe('');
    expect(stderr.trim().split('\n')).toEqual([
      `invalid roster file ${runtime.rosterFile}:`,
      '  - employeeId "E1" is on 2 rows (line 2 and line 4): each person must be listed once; merge the rows or correct the id',
    ]);
  });
});
