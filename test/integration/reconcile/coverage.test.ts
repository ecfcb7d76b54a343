import { describe, expect, it } from 'vitest';
import { DynamoCanaryStatus } from '../../../lambdas/aws/adapters/dynamo-canary-status.ts';
import { DynamoReconciliationStore } from '../../../lambdas/aws/adapters/dynamo-reconciliation.ts';
import { DynamoLeaverLedger } from '../../../lambdas/aws/adapters/dynamo-state.ts';
import type { CanaryResult } from '../../../lambdas/core/credentials/canary.ts';
import { parseConfig, type TargetConfig } from '../../../lambdas/core/model/config.ts';
import { beyondAccount, beyondAccountLabel } from '../../../lambdas/core/reconcile/beyond-account.ts';
import {
  type CoverageFacts,
  coverageReport,
  gatherCoverageFacts,
  renderCoverageTable,
} from '../../../lambdas/core/reconcile/coverage.ts';
import { emptyCounts, type RunResult } from '../../../lambdas/core/reconcile/state.ts';
import { type LocalDynamo, startDynalite } from '../../support/dynalite.ts';
import { FixedClock } from '../../support/recorders.ts';
import { ago, DAY, freshId, NOW } from './world.ts';

const control = { compensatingControl: 'Quarterly access review by the owner.', reviewCadenceDays: 90 };
const scim = (id: string, extra: Record<string, unknown> = {}) => ({
  id,
  kind: 'scim',
  displayName: id.toUpperCase(),
  owner: `${id}@example.com`,
  baseUrl: `https://${id}.example.com/scim/v2`,
  ...extra,
});
const config = parseConfig({
  sources: [{ id: 'generic', kind: 'generic' }],
  targets: [
    scim('chat'),
    scim('code', { tier: 'privileged' }),
    scim('cloud', { tier: 'privileged' }),
    scim('wiki', { mode: 'report-only' }),
    scim('crm', { mode: 'report-only', coverage: { status: 'other-automation', ...control } }),
    scim('stale'),
    scim('never'),
    {
      id: 'payroll',
      kind: 'manual',
      displayName: 'Payroll',
      owner: 'fin@example.com',
      tier: 'privileged',
      coverage: { status: 'manual-runbook', ...control },
    },
    {
      id: 'hr',
      kind: 'custom',
      displayName: 'HRIS',
      owner: 'hr@example.com',
      coverage: { status: 'other-automation', ...control },
    },
  ],
});

const run = (
  status: 'complete' | 'incomplete',
  finishedAt: string,
  counts = {},
  error?: string,
): RunResult => ({
  runId: `r-${finishedAt}`,
  startedAt: finishedAt,
  finishedAt,
  status,
  counts: { ...emptyCounts(), ...counts },
  ...(error && { error }),
});

const facts: CoverageFacts = {
  reconciliations: {
    chat: {
      targetId: 'chat',
      version: 3,
      last: run('complete', ago(DAY)),
      lastComplete: run('complete', ago(DAY)),
    },
    code: {
      targetId: 'code',
      version: 9,
      last: run('complete', ago(3_600_000), { accounts: 40, orphan: 2, drift: 1 }),
      lastComplete: run('complete', ago(3_600_000), { accounts: 40, orphan: 2, drift: 1 }),
    },
    cloud: {
      targetId: 'cloud',
      version: 4,
      last: run('incomplete', ago(3_600_000), {}, 'ScimRetryableError: 503'),
      lastComplete: run('complete', ago(DAY)),
    },
    stale: {
      targetId: 'stale',
      version: 2,
      last: run('complete', ago(5 * DAY)),
      lastComplete: run('complete', ago(5 * DAY)),
    },
    never: { targetId: 'never', version: 0 },
  },
  lastVerifiedRevocations: { code: ago(2 * DAY) },
};

/** A canary probe's result: it passed when it found no problem. */
const canaryResult = (targetId: string, checkedAt: string, problems: string[]): CanaryResult => ({
  targetId,
  checkedAt,
  ok: problems.length === 0,
  reachable: true,
  authenticated: problems.length === 0,
  problems,
  durationMs: 5,
});

describe('coverage report', () => {
  it('counts a SCIM target whose credential fails the canary as an unmanaged risk, naming the problem', () => {
    const report = coverageReport(
      config,
      {
        ...facts,
        credentials: {
          chat: {
            targetId: 'chat',
            state: 'failing',
            record: {
              targetId: 'chat',
              checkedAt: ago(60_000),
              ok: false,
              reachable: true,
              authenticated: false,
              problems: ['GET /Users?count=1 answered 401'],
              durationMs: 12,
              consecutiveFailures: 3,
              lastOkAt: ago(DAY),
              failingSince: ago(DAY - 3_600_000),
            },
          },
          code: { targetId: 'code', state: 'ok' },
          wiki: { targetId: 'wiki', state: 'failing' },
        },
      },
      NOW,
    );
    const by = Object.fromEntries(report.entries.map((e) => [e.targetId, e]));
    expect(by.chat).toMatchObject({ status: 'unmanaged-risk', credential: 'failing' });
    expect(by.chat?.reasons[0]).toBe(
      `credential canary failing since ${ago(DAY - 3_600_000)} (3 failed checks in a row, last passed ${ago(DAY)}): GET /Users?count=1 answered 401`,
    );
    expect(by.chat).toMatchObject({
      credentialFailingSince: ago(DAY - 3_600_000),
      credentialLastOk: ago(DAY),
    });
    expect(by.code).toMatchObject({ status: 'scim-integrated', credential: 'ok' });
    // Report-only: scimitar never writes there, so a failing credential is a finding, not the verdict.
    expect(by.wiki?.reasons).toContainEqual(expect.stringMatching(/^credential canary failing/));
    // Targets the canary has no word on say so.
    expect(by.stale?.reasons).toContainEqual(
      'credential canary never-checked: the credential is not known to work',
    );
    expect(renderCoverageTable(report)).toMatch(/chat \(CHAT\)\s+scim\s+UNMANAGED RISK\s+failing/);
  });

  it('classifies every application as the standard asks, privileged first', () => {
    const report = coverageReport(config, facts, NOW);
    expect(report.entries.map((e) => [e.targetId, e.status])).toEqual([
      ['cloud', 'unmanaged-risk'],
      ['payroll', 'accepted-gap'],
      ['code', 'scim-integrated'],
      ['never', 'unmanaged-risk'],
      ['stale', 'unmanaged-risk'],
      ['wiki', 'unmanaged-risk'],
      ['crm', 'other-automation'],
      ['hr', 'other-automation'],
      ['chat', 'scim-integrated'],
    ]);
    const by = Object.fromEntries(report.entries.map((e) => [e.targetId, e]));
    expect(by.cloud?.reasons).toEqual(['last reconciliation incomplete: ScimRetryableError: 503']);
    expect(by.never?.reasons).toEqual(['never reconciled completely: its accounts were never all checked']);
    expect(by.stale?.reasons).toEqual([
      expect.stringMatching(/older than its schedule \(rate\(1 day\)\) allows/),
    ]);
    expect(by.wiki?.reasons).toEqual([expect.stringMatching(/report-only.*no coverage note/)]);
    expect(by.code).toMatchObject({
      reasons: ['2 orphans in the last complete pass', '1 drift account in the last complete pass'],
      lastVerifiedRevocation: ago(2 * DAY),
    });
    expect(by.payroll).toMatchObject({
      compensatingControl: control.compensatingControl,
      reviewCadenceDays: 90,
    });
    expect(report.totals).toEqual({
      'unmanaged-risk': 4,
      'accepted-gap': 1,
      'other-automation': 2,
      'scim-integrated': 2,
      'session-revocation': 0,
    });
    // JSON is the report as it is.
    expect(JSON.parse(JSON.stringify(report))).toEqual(report);
  });

  it('renders a terminal table: a row per application, reasons below, totals last', () => {
    const table = renderCoverageTable(coverageReport(config, facts, NOW));
    const lines = table.trimEnd().split('\n');
    expect(lines[0]).toMatch(
      /^TIER\s+APPLICATION\s+KIND\s+COVERAGE\s+CREDENTIAL\s+LAST RECONCILIATION\s+ORPHANS\s+DRIFT\s+SESSIONS\/ENTITLEMENTS\s+LAST VERIFIED REVOCATION$/,
    );
    expect(lines[1]).toMatch(/^-+ {2}-+/);
    expect(lines[2]).toMatch(
      /^privileged\s+cloud \(CLOUD\)\s+scim\s+UNMANAGED RISK\s+-\s+incomplete 2026-11-28 09:00/,
    );
    expect(lines[3]).toBe('    last reconciliation incomplete: ScimRetryableError: 503');
    expect(table).toMatch(
      /code \(CODE\)\s+scim\s+SCIM-integrated\s+-\s+complete 2026-11-28 09:00\s+2\s+1\s+-\s+2026-11-26 10:00/,
    );
    expect(table).toMatch(/wiki \(WIKI\)\s+scim, report-only\s+UNMANAGED RISK\s+-\s+never/);
    expect(lines.at(-1)).toBe(
      '9 applications: 2 SCIM-integrated, 2 other automation, 1 accepted gap, 4 unmanaged risks (as of 2026-11-28T10:00:00.000Z)',
    );
  });

  it('shows which targets take away more than the account: entitlement rules, and their drift', () => {
    const withRules = parseConfig({
      sources: [{ id: 'generic', kind: 'generic' }],
      targets: [
        scim('chat'),
        scim('code', {
          entitlements: {
            managedGroups: ['eng', 'admins'],
            rules: [{ group: 'eng', when: { department: 'Engineering' } }],
            removeDrift: true,
          },
        }),
      ],
    });
    const drift = {
      groupsRead: 1,
      missingGroups: ['admins'],
      members: 7,
      accounts: 1,
      memberships: 2,
      queued: 1,
      refused: 0,
      notJudged: { unknownAccount: 0, notManaged: 1, noAttributes: 0 },
    };
    const complete = { ...run('complete', ago(3_600_000), { accounts: 7 }), entitlements: drift };
    const report = coverageReport(
      withRules,
      {
        reconciliations: {
          chat: {
            targetId: 'chat',
            version: 1,
            last: run('complete', ago(DAY)),
            lastComplete: run('complete', ago(DAY)),
          },
          code: { targetId: 'code', version: 1, last: complete, lastComplete: complete },
        },
        lastVerifiedRevocations: {},
      },
      NOW,
    );
    const by = Object.fromEntries(report.entries.map((e) => [e.targetId, e]));
    expect(by.code?.beyondAccount).toEqual({
      sessions: false,
      entitlements: { managedGroups: 2, rules: 1, addGranted: false, removeDrift: true },
    });
    expect(by.chat?.beyondAccount).toEqual({ sessions: false });
    expect(by.code?.reasons).toEqual([
      '1 account with entitlement drift (2 managed group memberships not granted by the roster) in the last complete pass',
      'managed groups the target does not have: "admins"',
    ]);
    const table = renderCoverageTable(report);
    expect(table).toMatch(
      /code \(CODE\)\s+scim\s+SCIM-integrated\s+-\s+complete \S+ \S+\s+0\s+0\s+entitlements \(2 groups, drift removed\)/,
    );
    expect(table).toMatch(/chat \(CHAT\)\s+scim\s+SCIM-integrated\s+-\s+complete \S+ \S+\s+0\s+0\s+-/);
  });

  it('marks a session revocation target in the same column', () => {
    // Session targets (kind 'session') come with i16-sessions; the column reads only the kind.
    const session = { id: 'okta-sessions', kind: 'session' } as unknown as TargetConfig;
    expect(beyondAccount(session)).toEqual({ sessions: true });
    expect(beyondAccountLabel({ sessions: true })).toBe('sessions');
    expect(
      beyondAccountLabel({
        sessions: false,
        entitlements: { managedGroups: 1, rules: 1, addGranted: true, removeDrift: false },
      }),
    ).toBe('entitlements (1 group, drift reported)');
  });

  it('says when a failing credential began to fail, and its last pass apart, over a sequence of canary passes', async () => {
    const dynamo: LocalDynamo = await startDynalite();
    try {
      const id = freshId();
      const cfg = parseConfig({
        sources: [{ id: 'generic', kind: 'generic' }],
        targets: [scim(id)],
        canary: { schedule: 'rate(1 hour)' },
      });
      const table = { tableName: dynamo.stateTable, client: dynamo.client };
      const store = new DynamoReconciliationStore(table);
      const ledger = new DynamoLeaverLedger(table);
      const status = new DynamoCanaryStatus(table);
      const hour = (h: number) => new Date(Date.parse('2026-11-28T00:00:00.000Z') + h * 3_600_000);
      const check = (h: number, ok: boolean) =>
        status.record(
          canaryResult(
            id,
            hour(h).toISOString(),
            ok ? [] : [`GET /Users?count=1 answered 401 (check at hour ${h})`],
          ),
        );
      const credentialReason = async (h: number) => {
        const gathered = await gatherCoverageFacts(cfg, {
          store,
          leavers: ledger,
          canary: { status, clock: new FixedClock(hour(h)) },
        });
        const entry = coverageReport(cfg, gathered, hour(h)).entries[0];
        return { entry, reason: entry?.reasons.find((r) => r.startsWith('credential canary')) };
      };

      // Passes at hours 1 and 2, then failures from hour 3 on.
      await check(1, true);
      await check(2, true);
      await check(3, false);
      await check(4, false);
      await check(5, false);
      let { entry, reason } = await credentialReason(5);
      expect(reason).toBe(
        `credential canary failing since ${hour(3).toISOString()} (3 failed checks in a row, last passed ${hour(2).toISOString()}): GET /Users?count=1 answered 401 (check at hour 5)`,
      );
      expect(entry).toMatchObject({
        credential: 'failing',
        credentialFailingSince: hour(3).toISOString(),
        credentialLastOk: hour(2).toISOString(),
      });

      // A pass ends the run of failures; the next failure starts a new one.
      await check(6, true);
      ({ entry, reason } = await credentialReason(6));
      expect(reason).toBeUndefined();
      expect(entry?.credentialFailingSince).toBeUndefined();
      expect(entry).toMatchObject({ credential: 'ok', credentialLastOk: hour(6).toISOString() });
      await check(7, false);
      ({ reason } = await credentialReason(7));
      expect(reason).toBe(
        `credential canary failing since ${hour(7).toISOString()} (1 failed check in a row, last passed ${hour(6).toISOString()}): GET /Users?count=1 answered 401 (check at hour 7)`,
      );
    } finally {
      await dynamo.close();
    }
  });

  it('says a credential that never passed has never passed, failing since its first check', async () => {
    const dynamo: LocalDynamo = await startDynalite();
    try {
      const id = freshId();
      const cfg = parseConfig({ sources: [{ id: 'generic', kind: 'generic' }], targets: [scim(id)] });
      const table = { tableName: dynamo.stateTable, client: dynamo.client };
      const status = new DynamoCanaryStatus(table);
      for (const checkedAt of [ago(7_200_000), ago(3_600_000)]) {
        await status.record(canaryResult(id, checkedAt, ['connection refused']));
      }
      const gathered = await gatherCoverageFacts(cfg, {
        store: new DynamoReconciliationStore(table),
        leavers: new DynamoLeaverLedger(table),
        canary: { status, clock: new FixedClock(NOW) },
      });
      expect(coverageReport(cfg, gathered, NOW).entries[0]?.reasons).toContain(
        `credential canary failing since ${ago(7_200_000)} (2 failed checks in a row, never passed): connection refused`,
      );
    } finally {
      await dynamo.close();
    }
  });

  it('gathers the last reconciliation and the last verified revocation from the state table', async () => {
    const dynamo: LocalDynamo = await startDynalite();
    try {
      const id = freshId();
      const cfg = parseConfig({ sources: [{ id: 'generic', kind: 'generic' }], targets: [scim(id)] });
      const table = { tableName: dynamo.stateTable, client: dynamo.client };
      const store = new DynamoReconciliationStore(table);
      const ledger = new DynamoLeaverLedger(table);
      const done = run('complete', ago(3_600_000), { accounts: 3 });
      await store.saveTarget({ targetId: id, version: 0, last: done, lastComplete: done });
      await ledger.record({
        personId: 'A',
        targetId: id,
        outcome: 'revoked',
        eventId: 'e1',
        at: ago(3 * DAY),
      });
      await ledger.record({ personId: 'B', targetId: id, outcome: 'revoked', eventId: 'e2', at: ago(DAY) });
      await ledger.record({ personId: 'C', targetId: id, outcome: 'failed', eventId: 'e3', at: ago(1_000) });
      const gathered = await gatherCoverageFacts(cfg, { store, leavers: ledger });
      expect(gathered.lastVerifiedRevocations[id]).toBe(ago(DAY));
      expect(coverageReport(cfg, gathered, NOW).entries[0]).toMatchObject({
        status: 'scim-integrated',
        lastReconciliation: done,
      });
    } finally {
      await dynamo.close();
    }
  });
});
