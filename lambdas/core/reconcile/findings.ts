// Orphan and drift accounts in words, for a terminal: one line per account (what, who, SCIM id, last
// seen), then the roster and ledger keys tried and what came of them. The coverage table and the
// reconcile commands print the same lines.
import { countOf } from '../model/count-noun.ts';
import type { EntitlementDriftReport } from './entitlement-drift.ts';
import type { FindingsList, KeyAttempt } from './state.ts';

const minute = (iso: string) => iso.slice(0, 16).replace('T', ' ');

function attempt(source: string, tried: KeyAttempt): string {
  const keys = tried.keys.length > 0 ? tried.keys.join(', ') : 'no key';
  return `${source}: ${keys} → ${tried.result}`;
}

/** The list as lines, each starting with `indent`; the accounts' details are indented further. */
export function renderFindings(list: FindingsList, indent = '    '): string[] {
  const lines: string[] = [];
  const more = `${indent}  `;
  for (const a of list.accounts) {
    const leaver = a.personId !== undefined && a.classification === 'drift' ? `  leaver ${a.personId}` : '';
    lines.push(
      `${indent}${a.classification.padEnd(6)}  ${a.userName}  SCIM id ${a.scimId}${leaver}  last seen ${minute(a.lastSeen)}`,
    );
    if (a.reason !== undefined) lines.push(`${more}why: ${a.reason}`);
    if (a.match)
      lines.push(
        `${more}${attempt('roster', a.match.roster)}`,
        `${more}${attempt('ledger', a.match.ledger)}`,
      );
  }
  if (list.error !== undefined) lines.push(`${indent}the account list could not be read: ${list.error}`);
  if (list.more > 0) {
    lines.push(
      `${indent}... and ${countOf(list.more, 'more orphan or drift account', 'more orphan or drift accounts')} not listed (the list stops at ${list.limit})`,
    );
  }
  return lines;
}

/**
 * A pass's entitlement drift in words: the counts, what was set aside, then one line per account
 * (the managed groups it holds that its roster attributes do not grant, and what was done).
 */
export function renderEntitlementDrift(report: EntitlementDriftReport, indent = '    '): string[] {
  const more = `${indent}  `;
  const { notJudged: n } = report;
  const lines = [
    `${indent}entitlement drift: ${countOf(report.accounts, 'account')} (${countOf(report.memberships, 'membership')}) among ${countOf(report.members, 'member')} of ${countOf(report.groupsRead, 'managed group')}; queued ${report.queued}${report.alreadyQueued ? ` (${report.alreadyQueued} still queued by an earlier pass)` : ''}, refused ${report.refused}`,
  ];
  const setAside = [
    n.noAttributes > 0 && `${n.noAttributes} without roster attributes (or matching several people)`,
    n.notManaged > 0 && `${n.notManaged} inactive, allow-listed, orphan or leaver accounts`,
    n.unknownAccount > 0 && `${n.unknownAccount} not listed as users by this pass`,
  ].filter((x): x is string => typeof x === 'string');
  if (setAside.length > 0) lines.push(`${more}not judged: ${setAside.join('; ')}`);
  if (report.missingGroups.length > 0) {
    lines.push(
      `${more}managed groups the target does not have: ${report.missingGroups.map((g) => JSON.stringify(g)).join(', ')}`,
    );
  }
  for (const f of report.findings) {
    lines.push(
      `${indent}entitlement-drift  ${f.userName}  SCIM id ${f.scimId}  person ${f.personId}  holds ${f.groups.map((g) => JSON.stringify(g)).join(', ')}, not granted by their attributes`,
      `${more}${f.action}${f.reason ? `: ${f.reason}` : ''}`,
    );
  }
  if (report.more > 0) {
    lines.push(`${indent}... and ${countOf(report.more, 'more entitlement drift account')} not listed`);
  }
  return lines;
}
