// What `npm start` shows: hints that fit the start (port, config, data directory, demo apps or
// not, dry run), and the handlers' JSON logs kept in a file unless --verbose.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { parseConfig } from '../../lambdas/core/model/config.ts';
import type { LocalRuntime } from '../../local/runtime.ts';
import { renderBanner } from '../../local/start-banner.ts';
import { captureOutput } from '../support/captured-output.ts';
import { postSigned, startTestRuntime, terminationOf, testConfig } from '../support/local-runtime.ts';

const SLOW = { timeout: 300_000 };
const DEFAULT_URL = 'http://127.0.0.1:8787';
const ownConfig = parseConfig({
  sources: [{ id: 'hr', kind: 'generic' }],
  targets: [
    {
      id: 'crm',
      kind: 'scim',
      displayName: 'CRM',
      owner: 'o@example.com',
      baseUrl: 'https://crm.example.com/scim/v2',
    },
  ],
  dryRun: true,
});

const runtimes: LocalRuntime[] = [];
afterEach(async () => {
  await Promise.all(runtimes.splice(0).map((r) => r.stop()));
});

describe('start banner', SLOW, () => {
  it('fits its hints to --port, --config, --data-dir and --no-demo-apps, and shows the dry run', async () => {
    const runtime = await startTestRuntime({ config: ownConfig, demoApps: false, canary: false });
    runtimes.push(runtime);
    const banner = renderBanner(runtime, {
      persist: false,
      configFile: 'my.config.ts',
      dataDir: 'my-data',
      defaultUrl: DEFAULT_URL,
      logFile: join(runtime.dataDir, 'runtime.log'),
    });
    const reach = `--url ${runtime.url} --config my.config.ts --data-dir my-data`;
    expect(banner).toContain(
      `  npm run scimitar -- send --employee <employee id> --user-name <userName> --email <email> ${reach}`,
    );
    expect(banner).toContain(`  npm run scimitar -- audit <employee id> ${reach}`);
    expect(banner).not.toContain('npm run demo');
    expect(banner).not.toMatch(/E1001|ada\.lovelace|8787/);
    expect(banner).toContain(
      'dry run   ON (dryRun: true): every event is planned and audited; nothing is written to any target',
    );
    expect(banner).toContain(
      ': none yet, so no scheduled reconciliation; write the HR export there or start with --roster FILE',
    );
    expect(banner).toContain(`runtime.log (the handlers' JSON logs; --verbose prints them here)`);
  });

  it('suggests the demo and a demo person when demo apps run, with --url only off the default port', async () => {
    const runtime = await startTestRuntime({ canary: false });
    runtimes.push(runtime);
    const banner = renderBanner(runtime, { persist: false, defaultUrl: DEFAULT_URL });
    expect(banner).toContain(`  npm run demo -- --url ${runtime.url}\n`);
    expect(banner).toContain(
      `  npm run scimitar -- send --employee E1001 --user-name ada.lovelace@example.com --email ada.lovelace@example.com --url ${runtime.url}\n`,
    );
    expect(banner).not.toContain('dry run');
    expect(banner).toContain('(the demo people unless you replace it)');
    expect(renderBanner(runtime, { persist: false, defaultUrl: runtime.url })).toContain('  npm run demo\n');
  });
});

describe('start: --roster', SLOW, () => {
  it('refuses a roster file that does not exist, naming it', async () => {
    await expect(
      startTestRuntime({ config: ownConfig, demoApps: false, roster: '/nonexistent/hr.csv' }),
    ).rejects.toThrow(
      'roster file not found: /nonexistent/hr.csv (--roster takes an HR export, CSV or JSON)',
    );
  });

  it('reconciles against the file given, and never writes the demo roster over it', async () => {
    const first = await startTestRuntime({ canary: false, reconcileOnSchedule: false });
    const roster = join(first.dataDir, 'hr-export.csv');
    await first.stop();
    const people = first.people.slice(0, 3);
    writeFileSync(
      roster,
      `employeeId,userName\n${people.map((p) => `${p.employeeId},${p.userName}`).join('\n')}\n`,
    );
    const runtime = await startTestRuntime({ canary: false, reconcileOnSchedule: false, roster });
    runtimes.push(runtime);
    expect(runtime.rosterFile).toBe(roster);
    const { outcomes } = await runtime.reconcile({ targets: ['code'] });
    expect(outcomes[0]?.status).toBe('complete');
    // Everyone the file leaves out is an orphan: the pass read this file, not the demo roster.
    expect(outcomes[0]?.counts.orphan).toBeGreaterThan(0);
    expect(readFileSync(roster, 'utf8').split('\n').length).toBe(5);
  });
});

/** Sends one termination and waits for its execution, capturing all that is printed meanwhile. */
async function terminateOneCapturing(runtime: Awaited<ReturnType<typeof startTestRuntime>>) {
  const output = captureOutput();
  try {
    const person = runtime.people[0];
    if (!person) throw new Error('no demo people');
    expect((await postSigned(runtime, terminationOf(person))).status).toBe(202);
    await runtime.workflow.idle();
  } finally {
    output.restore();
  }
  return output;
}

describe('start: handler logs', SLOW, () => {
  it('keeps the JSON logs out of the terminal, in the log file', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'runtime-log-')), 'runtime.log');
    const logged = await startTestRuntime({
      canary: false,
      reconcileOnSchedule: false,
      logLevel: 'INFO',
      logFile: file,
    });
    runtimes.push(logged);
    const output = await terminateOneCapturing(logged);
    expect(output.records).toEqual([]);
    expect(logged.lines.filter((line) => line.trim().startsWith('{'))).toEqual([]);
    await logged.stop();
    runtimes.pop();
    const records = readFileSync(file, 'utf8')
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as { service: string; level: string });
    expect(records.map((r) => r.service)).toContain('scimitar-ingest');
  });

  it('prints them on the terminal without a log file (--verbose)', async () => {
    const runtime = await startTestRuntime({
      config: testConfig(),
      canary: false,
      reconcileOnSchedule: false,
      logLevel: 'INFO',
    });
    runtimes.push(runtime);
    const output = await terminateOneCapturing(runtime);
    expect(output.records.map((r) => r.service)).toContain('scimitar-ingest');
  });
});
