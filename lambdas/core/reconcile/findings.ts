// Orphan and drift accounts in words, for a terminal: one line per account (what, who, SCIM id, last
// seen), then the roster and ledger keys tried and what came of them. The coverage table and the
// reconcile commands print the same lines.
import { countOf } from '../model/count-noun.ts';
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
