import { execFile } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LocalDynamo, startDynalite } from '../../support/dynalite.ts';
import { type ScimTarget, startTarget, TOKEN } from '../../support/scim-target.ts';

const run = promisify(execFile);
let dynamo: LocalDynamo;
let target: ScimTarget;
let dir: string;
beforeAll(async () => {
  [dynamo, target] = await Promise.all([startDynalite(), startTarget()]);
  dir = mkdtempSync(join(tmpdir(), 'reconcile-cli-'));
  writeFileSync(
    join(dir, 'config.json'),
    JSON.stringify({
      sources: [{ id: 'generic', kind: 'generic' }],
      targets: [
        {
          id: 'app',
          kind: 'scim',
          displayName: 'App',
          owner: 'o@example.com',
          tier: 'privileged',
          baseUrl: target.proxy.url,
        },
        {
          id: 'ledger-book',
          kind: 'manual',
          displayName: 'Ledger book',
          owner: 'o@example.com',
          coverage: { status: 'accepted-gap', compensatingControl: 'Monthly review.', reviewCadenceDays: 30 },
        },
      ],
    }),
  );
  writeFileSync(join(dir, 'roster.csv'), 'employeeId,userName\nE1,kept@example.com\n');
  writeFileSync(join(dir, 'secrets.json'), JSON.stringify({ 'Scimitar/targets/app': TOKEN }));
  target.app.seed({ users: [{ userName: 'kept@example.com' }, { userName: 'stray@example.com' }] });
});
afterAll(async () => {
  await Promise.all([dynamo.close(), target.close()]);
});

const cli = (...args: string[]) =>
  run(
    process.execPath,
    ['--import', 'tsx', 'local/cli.ts', 'reconcile', ...args, '--config', join(dir, 'config.json')],
    {
      env: { ...process.env, AWS_REGION: 'local' },
    },
  );

// Each test spawns the CLI (a TypeScript process start of several seconds on a busy machine).
describe('reconcile CLI', { timeout: 90_000 }, () => {
  it('runs a dry pass without a queue, then reports coverage from the same state', async () => {
    const common = [
      '--dynamo',
      dynamo.endpoint,
      '--roster',
      join(dir, 'roster.csv'),
      '--secrets',
      join(dir, 'secrets.json'),
    ];
    const { stdout } = await cli('run', ...common, '--json');
    const result = JSON.parse(stdout);
    expect(result.outcomes).toEqual([
      expect.objectContaining({
        targetId: 'app',
        status: 'complete',
        counts: expect.objectContaining({ accounts: 2, managed: 1, orphan: 1, remediated: 0 }),
      }),
    ]);
    expect(target.proxy.requests.every((r) => r.method === 'GET')).toBe(true);

    const table = await cli('coverage', '--dynamo', dynamo.endpoint);
    expect(table.stdout).toMatch(
      /privileged\s+app \(App\)\s+scim\s+SCIM-integrated\s+-\s+complete \S+ \S+\s+1\s+0/,
    );
    expect(table.stdout).toMatch(/ledger-book \(Ledger book\)\s+manual\s+accepted gap/);
    const json = JSON.parse((await cli('coverage', '--dynamo', dynamo.endpoint, '--json')).stdout);
    expect(json.totals).toMatchObject({ 'scim-integrated': 1, 'accepted-gap': 1, 'unmanaged-risk': 0 });
    // The coverage JSON lists the orphan, as the state table holds it.
    const stray = target.app.userByName('stray@example.com');
    expect(json.entries[0].findings).toEqual({
      accounts: [
        expect.objectContaining({
          scimId: stray?.id,
          userName: 'stray@example.com',
          classification: 'orphan',
        }),
      ],
      more: 0,
      limit: 100,
    });
    expect(table.stdout).toMatch(/\n {4}orphan {2}stray@example\.com {2}SCIM id \S+ {2}last seen /);
  });

  it('prints each orphan with the keys tried, and counts those past --list', async () => {
    const { stdout } = await cli(
      'run',
      '--roster',
      join(dir, 'roster.csv'),
      '--secrets',
      join(dir, 'secrets.json'),
      '--list',
      '0',
    );
    expect(stdout).toMatch(
      /^ {2}app\s+complete\s+accounts 2: managed 1, drift 0, orphan 1, accepted 0, inactive 0; re-queued 0, refused 0\n/,
    );
    expect(stdout).toContain(
      '      ... and 1 more orphan or drift account not listed (the list stops at 0)\n',
    );
    expect(stdout).toContain('(dry run: no --sqs given, nothing was re-queued)');

    const listed = await cli(
      'run',
      '--roster',
      join(dir, 'roster.csv'),
      '--secrets',
      join(dir, 'secrets.json'),
    );
    expect(listed.stdout).toMatch(
      /\n {6}orphan {2}stray@example\.com {2}SCIM id \S+ {2}last seen \S+ \S+\n {8}roster: userName "stray@example\.com" → no active person in the roster of \S+ has it\n {8}ledger: SCIM id "\S+", userName "stray@example\.com" → no leaver is recorded at this target under any of them\n/,
    );
  });

  it('refuses a roster with a repeated employeeId in one clear message naming the id and its lines', async () => {
    const roster = join(dir, 'duplicate.csv');
    const usersRequestsBefore = target.proxy.requests.filter((r) => r.url.includes('/Users')).length;
    writeFileSync(
      roster,
      'employeeId,userName\nE1,kept@example.com\nE2,other@example.com\nE1,again@example.com\n',
    );
    const failed = await cli('run', '--roster', roster, '--secrets', join(dir, 'secrets.json')).then(
      () => undefined,
      (err: { code: number; stdout: string; stderr: string }) => err,
    );
    expect(failed?.code).toBe(1);
    expect(failed?.stderr).toBe(
      `invalid roster file ${roster}:\n` +
        '  - employeeId "E1" is on 2 rows (line 2 and line 4): each person must be listed once; merge the rows or correct the id\n',
    );
    expect(failed?.stdout).toBe('');
    // Nothing was asked of the target: the pass never started.
    expect(target.proxy.requests.filter((r) => r.url.includes('/Users')).length).toBe(usersRequestsBefore);
  });

  it('refuses to report coverage without a state to read, saying where the state is', async () => {
    const failed = await cli('coverage').then(
      () => undefined,
      (err: { code: number; stderr: string }) => err,
    );
    expect(failed?.code).toBe(2);
    expect(failed?.stderr).toMatch(
      /^coverage reads reconciliation state: give --dynamo ENDPOINT .* or --state-table NAME/,
    );
    expect(failed?.stderr).toContain('npm run scimitar -- coverage');
  });

  it('refuses a --list that is not a whole number', async () => {
    const failed = await cli('coverage', '--dynamo', dynamo.endpoint, '--list', 'lots').then(
      () => undefined,
      (err: { code: number; stderr: string }) => err,
    );
    expect(failed?.code).toBe(2);
    expect(failed?.stderr).toBe('--list "lots": give a whole number of accounts, 0 or more\n');
  });
});
