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
  writeFileSync(join(dir, 'secrets.json'), JSON.stringify({ 'scimitar/targets/app': TOKEN }));
  target.app.seed({ users: [{ userName: 'kept@example.com' }, { userName: 'stray@example.com' }] });
});
afterAll(async () => {
  await Promise.all([dynamo.close(), target.close()]);
});

const cli = (...args: string[]) =>
  run(
    process.execPath,
    ['--import', 'tsx', 'local/reconcile-cli.ts', ...args, '--config', join(dir, 'config.json')],
    {
      env: { ...process.env, AWS_REGION: 'local' },
    },
  );

describe('reconcile CLI', () => {
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
  });
});
