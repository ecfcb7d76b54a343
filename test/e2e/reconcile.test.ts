import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { renderCoverageTable } from '../../lambdas/core/reconcile/coverage.ts';
import type { LocalRuntime } from '../../local/runtime.ts';
import { eventually } from '../support/eventually.ts';
import { postSigned, startTestRuntime, terminationOf } from '../support/local-runtime.ts';

const run = promisify(execFile);
let runtime: LocalRuntime & { lines: string[] };
beforeAll(async () => {
  runtime = await startTestRuntime({ reconcileOnSchedule: false, canary: false });
});
afterAll(async () => runtime?.stop());

describe('local runtime: reconciliation and coverage', () => {
  it('finds drift and orphans, revokes the drift through the lane, accepts the allow-list, and reports coverage', async () => {
    const chat = runtime.lanes.get('chat')?.app;
    const code = runtime.lanes.get('code')?.app;
    if (!chat || !code) throw new Error('demo apps missing');
    const leaver = runtime.people.find((p) => chat.userByName(p.userName) && code.userByName(p.userName));
    if (!leaver) throw new Error('no demo person in both chat and code');

    // A leaver, revoked everywhere by the pipeline.
    const body = terminationOf(leaver);
    const { eventId } = JSON.parse(body) as { eventId: string };
    expect((await postSigned(runtime, body)).status).toBe(202);
    await eventually('the COMPLETED entry', async () =>
      (await runtime.audit.forEvent(eventId)).some((e) => e.step === 'COMPLETED'),
    );
    expect(chat.userByName(leaver.userName)).toBeUndefined();

    // Someone re-creates the leaver's chat account by hand (drift), and an account nobody in
    // HR knows appears in the privileged code host (an orphan).
    chat.seed({ users: [{ userName: leaver.userName, externalId: leaver.employeeId }] });
    code.seed({ users: [{ userName: 'mallory@example.com' }] });

    const { outcomes } = await runtime.reconcile();
    const by = Object.fromEntries(outcomes.map((o) => [o.targetId, o]));
    expect(by.chat).toMatchObject({
      status: 'complete',
      counts: expect.objectContaining({ drift: 1, remediated: 1, orphan: 0 }),
    });
    expect(by.code).toMatchObject({
      status: 'complete',
      counts: expect.objectContaining({ orphan: 1, drift: 0 }),
    });
    // Not only counts: each orphan and drift account, with the keys tried and why nothing matched.
    const mallory = code.userByName('mallory@example.com');
    expect(by.code?.findings).toEqual({
      accounts: [
        expect.objectContaining({
          scimId: mallory?.id,
          userName: 'mallory@example.com',
          classification: 'orphan',
          match: {
            roster: {
              keys: ['userName "mallory@example.com"'],
              result: expect.stringMatching(/^no active person in the roster of \S+ has it$/),
            },
            ledger: {
              keys: [`SCIM id "${mallory?.id}"`, 'userName "mallory@example.com"'],
              result: 'no leaver is recorded at this target under any of them',
            },
          },
          lastSeen: expect.any(String),
        }),
      ],
      more: 0,
      limit: 100,
    });
    expect(by.chat?.findings?.accounts).toEqual([
      expect.objectContaining({
        userName: leaver.userName,
        classification: 'drift',
        personId: leaver.employeeId,
        match: expect.objectContaining({
          ledger: expect.objectContaining({
            result: expect.stringMatching(`^leaver ${leaver.employeeId} by `),
          }),
        }),
      }),
    ]);
    expect(by.wiki).toMatchObject({
      status: 'complete',
      counts: expect.objectContaining({ accepted: 1, orphan: 0 }),
    });

    // The drift went back through chat's lane: deleted and verified, recorded as a remediation.
    await eventually(
      'the drift account deleted in chat',
      () => chat.userByName(leaver.userName) === undefined,
    );
    await eventually('the remediation verified by the worker', async () =>
      (await runtime.audit.forPerson(leaver.employeeId)).some(
        (e) => e.step === 'VERIFIED' && e.actor === 'worker' && e.eventId !== eventId,
      ),
    );
    const steps = (await runtime.audit.forPerson(leaver.employeeId)).map((e) => e.step);
    expect(steps).toContain('REMEDIATED');
    expect(steps.filter((s) => s === 'REDRIVEN')).toEqual([]);
    // The orphan is reported, never written: deactivating orphans is off by default.
    expect(code.userByName('mallory@example.com')?.active).toBe(true);
    expect(
      runtime.alerts.sent.some(
        (a) => a.subject === 'ALARM: privileged target code has 1 orphan and 0 drift accounts',
      ),
    ).toBe(true);

    const report = await runtime.coverage();
    const entries = Object.fromEntries(report.entries.map((e) => [e.targetId, e]));
    expect(entries.payroll?.status).toBe('accepted-gap');
    expect(entries.code?.status).toBe('scim-integrated');
    expect(entries.code?.reasons).toContain('1 orphan in the last complete pass');
    expect(entries.code?.findings?.accounts.map((a) => [a.classification, a.userName])).toEqual([
      ['orphan', 'mallory@example.com'],
    ]);
    expect(renderCoverageTable(report)).toMatch(
      /\n {4}orphan {2}mallory@example\.com {2}SCIM id \S+ {2}last seen /,
    );
    expect(entries.chat?.lastVerifiedRevocation).toBeDefined();
    // The canary never ran in this runtime: the report says the credentials are not known to work.
    expect(entries.chat?.reasons).toContain(
      'credential canary never-checked: the credential is not known to work',
    );
    expect(report.entries[0]?.tier).toBe('privileged');
  });

  it('prints each orphan account on the command line, with the keys tried', async () => {
    runtime.lanes.get('code')?.app?.seed({ users: [{ userName: 'trudy@example.com' }] });
    const { stdout } = await run(process.execPath, [
      '--import',
      'tsx',
      'local/cli.ts',
      'reconcile',
      'code',
      '--url',
      runtime.url,
    ]);
    const lines = stdout.split('\n');
    const at = lines.findIndex((l) =>
      /^ {6}orphan {2}trudy@example\.com {2}SCIM id \S+ {2}last seen \d{4}-\d\d-\d\d \d\d:\d\d$/.test(l),
    );
    expect(at).toBeGreaterThan(0);
    expect(lines[0]).toMatch(/^ {2}code\s+complete\s+accounts \d+: managed \d+, drift 0, orphan \d+,/);
    expect(lines[at + 1]).toMatch(
      /^ {8}roster: userName "trudy@example\.com" → no active person in the roster of \S+ has it$/,
    );
    expect(lines[at + 2]).toMatch(
      /^ {8}ledger: SCIM id "\S+", userName "trudy@example\.com" → no leaver is recorded at this target under any of them$/,
    );
  }, 90_000); // spawns the CLI: a TypeScript process start of several seconds on a busy machine

  it('refuses to reconcile a target that is not a configured SCIM target', async () => {
    const response = await fetch(`${runtime.url}/_local/reconcile?target=nope`, { method: 'POST' });
    expect(response.status).toBe(404);
  });
});
