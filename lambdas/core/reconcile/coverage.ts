// The coverage report: every application in the config, classified as the offboarding standard asks:
// SCIM-integrated (revoked and reconciled by scimitar), covered by other automation, or an accepted
// and documented gap (compensating control, owner, review cadence). Anything else is an unmanaged
// risk: a report-only target without a coverage note, or a SCIM target never reconciled completely,
// failing, or not reconciled for longer than its schedule allows. Privileged tier first.
import {
  type CanaryCoverage,
  type CanaryRecord,
  type CanaryStatus,
  readCanaryStatus,
} from '../credentials/canary.ts';
import type { ScimitarConfig, TargetConfig } from '../model/config.ts';
import { countOf } from '../model/count-noun.ts';
import type { Clock } from '../model/ports.ts';
import { scheduleIntervalMs } from '../model/schedule.ts';
import { type BeyondAccount, beyondAccount, beyondAccountLabel } from './beyond-account.ts';
import { renderFindings } from './findings.ts';
import type { LeaverIndex, ReconciliationStore } from './ports.ts';
import {
  DEFAULT_FINDINGS_LIMIT,
  type FindingsList,
  type RunResult,
  type TargetReconciliation,
} from './state.ts';

export const coverageStatuses = [
  'unmanaged-risk',
  'accepted-gap',
  'other-automation',
  'scim-integrated',
  'session-revocation',
] as const;
export type CoverageStatus = (typeof coverageStatuses)[number];

export interface CoverageEntry {
  readonly targetId: string;
  readonly displayName: string;
  readonly owner: string;
  readonly tier: TargetConfig['tier'];
  readonly kind: TargetConfig['kind'];
  readonly mode?: 'revoke' | 'report-only';
  readonly status: CoverageStatus;
  /** Why this status, and findings worth a look. */
  readonly reasons: readonly string[];
  readonly compensatingControl?: string;
  readonly reviewCadenceDays?: number;
  readonly lastReconciliation?: RunResult;
  readonly lastCompleteReconciliation?: string;
  readonly lastVerifiedRevocation?: string;
  /** What the credential canary last found for a SCIM target. */
  readonly credential?: CanaryCoverage['state'];
  /** While the canary fails: its first failed check after the last pass. */
  readonly credentialFailingSince?: string;
  /** The canary's last passing check. */
  readonly credentialLastOk?: string;
  /**
   * A SCIM target's orphan and drift accounts as the state table holds them now (the latest pass
   * that saw each), capped with a count of the rest.
   */
  readonly findings?: FindingsList;
  /** What scimitar ends besides the account: sessions (a session target), managed groups (entitlement rules). */
  readonly beyondAccount: BeyondAccount;
}

export interface CoverageReport {
  readonly generatedAt: string;
  readonly entries: readonly CoverageEntry[];
  readonly totals: Readonly<Record<CoverageStatus, number>>;
}

/** What the report is computed from, gathered from the state table (gatherCoverageFacts) or given. */
export interface CoverageFacts {
  readonly reconciliations: Readonly<Record<string, TargetReconciliation | undefined>>;
  readonly lastVerifiedRevocations: Readonly<Record<string, string | undefined>>;
  /** The credential canary's view per SCIM target. @default - not reported */
  readonly credentials?: Readonly<Record<string, CanaryCoverage | undefined>>;
  /** Orphan and drift accounts per SCIM target. @default - not listed */
  readonly findings?: Readonly<Record<string, FindingsList | undefined>>;
}

const HOUR = 3_600_000;

export function coverageReport(config: ScimitarConfig, facts: CoverageFacts, now: Date): CoverageReport {
  // A pass may be late by one interval (a slow or retried run) before the target counts as unreconciled.
  const staleAfterMs = 2 * scheduleIntervalMs(config.reconciliation.schedule) + HOUR;
  const entries = config.targets.map((target): CoverageEntry => {
    const base = {
      targetId: target.id,
      displayName: target.displayName,
      owner: target.owner,
      tier: target.tier,
      kind: target.kind,
      beyondAccount: beyondAccount(target),
    };
    const lastVerifiedRevocation = facts.lastVerifiedRevocations[target.id];
    const revoked = lastVerifiedRevocation ? { lastVerifiedRevocation } : {};
    if (target.kind === 'session') {
      // An identity provider's sessions, not an application's accounts: nothing to reconcile.
      return {
        ...base,
        status: 'session-revocation',
        reasons: [
          `ends every leaver's sessions and tokens at ${target.provider} (docs/sessions.md); no accounts to reconcile`,
        ],
        ...revoked,
      };
    }
    if (target.kind !== 'scim') {
      return {
        ...base,
        status:
          target.kind === 'custom' || target.coverage.status === 'other-automation'
            ? 'other-automation'
            : 'accepted-gap',
        reasons: [`${target.coverage.status}: ${target.coverage.compensatingControl}`],
        compensatingControl: target.coverage.compensatingControl,
        reviewCadenceDays: target.coverage.reviewCadenceDays,
        ...revoked,
      };
    }
    const reconciliation = facts.reconciliations[target.id];
    const last = reconciliation?.last;
    const lastComplete = reconciliation?.lastComplete;
    const credential = facts.credentials?.[target.id];
    const findingsList = facts.findings?.[target.id];
    const seen = {
      mode: target.mode,
      ...(last && { lastReconciliation: last }),
      ...(lastComplete && { lastCompleteReconciliation: lastComplete.finishedAt }),
      ...(credential && { credential: credential.state }),
      ...(credential?.state === 'failing' &&
        credential.record?.failingSince && { credentialFailingSince: credential.record.failingSince }),
      ...(credential?.record?.lastOkAt && { credentialLastOk: credential.record.lastOkAt }),
      ...(findingsList &&
        (findingsList.accounts.length > 0 || findingsList.more > 0) && { findings: findingsList }),
      ...revoked,
    };
    const findings: string[] = [];
    const risks: string[] = [];
    if (credential?.state === 'failing') {
      // A credential that fails the canary fails every revocation there too.
      (target.mode === 'report-only' ? findings : risks).push(canaryFailure(credential.record));
    } else if (facts.credentials && credential?.state !== 'ok') {
      findings.push(
        `credential canary ${credential?.state ?? 'never-checked'}: the credential is not known to work`,
      );
    }
    if (lastComplete && lastComplete.counts.orphan > 0)
      findings.push(`${countOf(lastComplete.counts.orphan, 'orphan')} in the last complete pass`);
    if (lastComplete && lastComplete.counts.drift > 0)
      findings.push(`${countOf(lastComplete.counts.drift, 'drift account')} in the last complete pass`);
    const entitlementDrift = lastComplete?.entitlements;
    if (entitlementDrift && entitlementDrift.accounts > 0) {
      findings.push(
        `${countOf(entitlementDrift.accounts, 'account')} with entitlement drift (${countOf(entitlementDrift.memberships, 'managed group membership')} not granted by the roster) in the last complete pass`,
      );
    }
    if (entitlementDrift && entitlementDrift.missingGroups.length > 0) {
      findings.push(
        `managed groups the target does not have: ${entitlementDrift.missingGroups.map((g) => JSON.stringify(g)).join(', ')}`,
      );
    }

    if (target.mode === 'report-only') {
      if (!target.coverage) {
        return {
          ...base,
          ...seen,
          status: 'unmanaged-risk',
          reasons: [
            'report-only: scimitar never revokes here, and the target has no coverage note saying what does',
            ...findings,
          ],
        };
      }
      return {
        ...base,
        ...seen,
        status: target.coverage.status === 'other-automation' ? 'other-automation' : 'accepted-gap',
        reasons: [
          `report-only, ${target.coverage.status}: ${target.coverage.compensatingControl}`,
          ...findings,
        ],
        compensatingControl: target.coverage.compensatingControl,
        reviewCadenceDays: target.coverage.reviewCadenceDays,
      };
    }
    if (!lastComplete) risks.push('never reconciled completely: its accounts were never all checked');
    else if (now.getTime() - Date.parse(lastComplete.finishedAt) > staleAfterMs) {
      risks.push(
        `last complete reconciliation ${lastComplete.finishedAt} is older than its schedule (${config.reconciliation.schedule}) allows`,
      );
    }
    if (last && last.status === 'incomplete')
      risks.push(`last reconciliation incomplete: ${last.error ?? 'no reason recorded'}`);
    return {
      ...base,
      ...seen,
      status: risks.length > 0 ? 'unmanaged-risk' : 'scim-integrated',
      reasons: [...risks, ...findings],
    };
  });

  const order = (e: CoverageEntry) =>
    [e.tier === 'privileged' ? 0 : 1, coverageStatuses.indexOf(e.status)] as const;
  entries.sort((a, b) => {
    const [ta, sa] = order(a);
    const [tb, sb] = order(b);
    return ta - tb || sa - sb || (a.targetId < b.targetId ? -1 : a.targetId > b.targetId ? 1 : 0);
  });
  const totals = Object.fromEntries(
    coverageStatuses.map((s) => [s, entries.filter((e) => e.status === s).length]),
  ) as Record<CoverageStatus, number>;
  return { generatedAt: now.toISOString(), entries, totals };
}

/**
 * A failing canary in words: since when (the first failed check after the last pass), how many
 * checks in a row, and the last pass apart from it.
 */
function canaryFailure(record: CanaryRecord | undefined): string {
  const problems = record?.problems.join('; ') || 'no reason recorded';
  if (!record) return `credential canary failing: ${problems}`;
  const since = record.failingSince ? ` since ${record.failingSince}` : '';
  const lastOk = record.lastOkAt ? `last passed ${record.lastOkAt}` : 'never passed';
  return `credential canary failing${since} (${countOf(record.consecutiveFailures, 'failed check')} in a row, ${lastOk}): ${problems}`;
}

/** Reads what the report needs: each SCIM target's reconciliation and its latest verified revocation. */
export async function gatherCoverageFacts(
  config: ScimitarConfig,
  deps: {
    readonly store: ReconciliationStore;
    readonly leavers: LeaverIndex;
    /** Adds the credential canary's results. @default - the report says nothing of credentials */
    readonly canary?: { readonly status: CanaryStatus; readonly clock: Clock };
    /** Orphan and drift accounts listed per target; 0 lists none. @default DEFAULT_FINDINGS_LIMIT (100) */
    readonly findingsLimit?: number;
  },
): Promise<CoverageFacts> {
  const reconciliations: Record<string, TargetReconciliation | undefined> = {};
  const lastVerifiedRevocations: Record<string, string | undefined> = {};
  const findings: Record<string, FindingsList | undefined> = {};
  const limit = deps.findingsLimit ?? DEFAULT_FINDINGS_LIMIT;
  for (const target of config.targets) {
    if (target.kind === 'scim') {
      reconciliations[target.id] = await deps.store.target(target.id);
      if (limit > 0) findings[target.id] = await deps.store.findings(target.id, { limit });
    }
    let latest: string | undefined;
    for await (const record of deps.leavers.forTarget(target.id)) {
      if (record.outcome === 'revoked' && (!latest || record.at > latest)) latest = record.at;
    }
    lastVerifiedRevocations[target.id] = latest;
  }
  if (!deps.canary) return { reconciliations, lastVerifiedRevocations, findings };
  const credentials = Object.fromEntries(
    (await readCanaryStatus(config, deps.canary)).map((c) => [c.targetId, c] as const),
  );
  return { reconciliations, lastVerifiedRevocations, findings, credentials };
}

const STATUS_LABEL: Record<CoverageStatus, string> = {
  'scim-integrated': 'SCIM-integrated',
  'other-automation': 'other automation',
  'accepted-gap': 'accepted gap',
  'unmanaged-risk': 'UNMANAGED RISK',
  'session-revocation': 'session revocation',
};

/** The report as a terminal table: one row per application, reasons indented below it. */
export function renderCoverageTable(report: CoverageReport): string {
  const day = (iso: string | undefined) => (iso ? iso.slice(0, 16).replace('T', ' ') : '-');
  const header = [
    'TIER',
    'APPLICATION',
    'KIND',
    'COVERAGE',
    'CREDENTIAL',
    'LAST RECONCILIATION',
    'ORPHANS',
    'DRIFT',
    'SESSIONS/ENTITLEMENTS',
    'LAST VERIFIED REVOCATION',
  ];
  const rows = report.entries.map((e) => {
    const last = e.lastReconciliation;
    const counts = last?.counts;
    return [
      e.tier,
      `${e.targetId} (${e.displayName})`,
      e.mode === 'report-only' ? 'scim, report-only' : e.kind,
      STATUS_LABEL[e.status],
      e.credential ?? '-',
      last ? `${last.status} ${day(last.finishedAt)}` : e.kind === 'scim' ? 'never' : '-',
      counts ? String(counts.orphan) : '-',
      counts ? String(counts.drift) : '-',
      beyondAccountLabel(e.beyondAccount),
      day(e.lastVerifiedRevocation),
    ];
  });
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]) =>
    cells
      .map((c, i) => c.padEnd(widths[i] ?? 0))
      .join('  ')
      .trimEnd();
  const out = [line(header), line(widths.map((w) => '-'.repeat(w)))];
  report.entries.forEach((e, i) => {
    out.push(line(rows[i] ?? []));
    for (const reason of e.reasons) out.push(`    ${reason}`);
    if (e.findings) out.push(...renderFindings(e.findings, '    '));
  });
  const t = report.totals;
  out.push(
    '',
    `${countOf(report.entries.length, 'application')}: ${t['scim-integrated']} SCIM-integrated, ${t['other-automation']} other automation, ${countOf(t['accepted-gap'], 'accepted gap')}, ${countOf(t['unmanaged-risk'], 'unmanaged risk')} (as of ${report.generatedAt})`,
  );
  return `${out.join('\n')}\n`;
}
