// Classification of one target's accounts: managed, drift, orphan, accepted or inactive, against
// the HR roster, the leaver ledger (by SCIM id or by identifier) and the target's allow-list, with
// the keys tried for each orphan and drift account, in words, for the people who review them.
import type { ScimTargetConfig } from '../model/config.ts';
import type { LedgerRecord } from '../revocation/ports.ts';
import type { ScimAccount } from '../scim/index.ts';
import type { LeaverIndex } from './ports.ts';
import type { Roster } from './roster.ts';
import { accountValues, normalise, RosterIndex } from './roster-index.ts';
import type { Classification, MatchAttempt } from './state.ts';

export interface Verdict {
  readonly classification: Classification;
  readonly personId?: string;
  readonly reason?: string;
  /** The leaver the account belongs to, after rehire and reuse are ruled out. */
  readonly leaver?: LedgerRecord;
  /** For orphans and drift: the keys tried and what came of them. */
  readonly match?: MatchAttempt;
}

/** Classifies accounts of one target. */
export class Classifier {
  private readonly rosterIndex: RosterIndex;
  private readonly allowList: Set<string>;

  constructor(
    private readonly target: ScimTargetConfig,
    private readonly roster: Roster,
    private readonly leavers: LeaverLookup,
  ) {
    this.rosterIndex = new RosterIndex(roster, target.matchAttribute);
    this.allowList = new Set(target.allowList.map((u) => u.toLowerCase()));
  }

  classify(account: ScimAccount): Verdict {
    const people = this.rosterIndex.match(account);
    const found = this.leavers.findKeyed(account);
    let leaver = found?.record;
    let reason: string | undefined;
    if (leaver) {
      const others = people.filter((p) => p.employeeId !== leaver?.personId);
      if (others.length > 0) {
        reason = `a former holder (leaver ${leaver.personId}) left; the account now matches active ${others.map((p) => p.employeeId).join(', ')}`;
        leaver = undefined;
      } else if (
        this.rosterIndex.hasEmployee(leaver.personId) &&
        Date.parse(this.roster.asOf) > Date.parse(leaver.at)
      ) {
        reason = `rehired: leaver ${leaver.personId} (${leaver.at}) is active in the roster of ${this.roster.asOf}`;
        leaver = undefined;
      }
    }
    const why = reason === undefined ? {} : { reason };
    if (account.active === false) {
      return { classification: 'inactive', ...why, ...(leaver && { leaver, personId: leaver.personId }) };
    }
    if (this.allowList.has(account.userName.toLowerCase())) {
      return { classification: 'accepted', reason: 'on the target allow-list' };
    }
    if (leaver) {
      const match = this.matchAttempt(account, people, found, leaver, reason);
      return { classification: 'drift', leaver, personId: leaver.personId, ...why, match };
    }
    if (people.length === 1) return { classification: 'managed', personId: people[0]?.employeeId, ...why };
    if (people.length > 1) {
      return {
        classification: 'managed',
        reason: `matches ${people.length} active people: ${people.map((p) => p.employeeId).join(', ')}`,
      };
    }
    return {
      classification: 'orphan',
      ...why,
      match: this.matchAttempt(account, people, found, leaver, reason),
    };
  }

  /** What was tried to place an orphan or drift account, for the people who review the list. */
  private matchAttempt(
    account: ScimAccount,
    people: readonly { employeeId: string }[],
    found: KeyedLeaver | undefined,
    leaver: LedgerRecord | undefined,
    setAside: string | undefined,
  ): MatchAttempt {
    const attribute = this.target.matchAttribute;
    const rosterKeys = accountValues(account, attribute).map((v) => `${attribute} ${JSON.stringify(v)}`);
    const roster = `the roster of ${this.roster.asOf}`;
    let rosterResult: string;
    if (rosterKeys.length === 0) {
      rosterResult = `the account has no ${attribute} (the target's matchAttribute), so no roster person can match it`;
    } else if (people.length === 0) {
      rosterResult = `no active person in ${roster} has ${rosterKeys.length === 1 ? 'it' : 'any of them'}`;
    } else {
      const ids = people.map((p) => p.employeeId).join(', ');
      rosterResult =
        leaver && people.every((p) => p.employeeId === leaver.personId)
          ? `matches ${ids}, the leaver, in ${roster}, taken before they left (${leaver.at})`
          : `matches ${ids} in ${roster}`;
    }
    let ledgerResult: string;
    if (!found) ledgerResult = 'no leaver is recorded at this target under any of them';
    else {
      const r = found.record;
      ledgerResult = `leaver ${r.personId} by ${found.key} (ledger: ${r.outcome} at ${r.at}, event ${r.eventId})${leaver ? '' : `, set aside: ${setAside ?? 'not the account holder'}`}`;
    }
    return {
      roster: { keys: rosterKeys, result: rosterResult },
      ledger: { keys: LeaverLookup.keysOf(account), result: ledgerResult },
    };
  }
}

/** The target's leavers, found by the SCIM id the lane saw or by the identifier it matched on. */
export class LeaverLookup {
  private readonly byAccount = new Map<string, LedgerRecord>();
  private readonly byKey = new Map<string, LedgerRecord>();

  static async load(index: LeaverIndex, targetId: string): Promise<LeaverLookup> {
    const lookup = new LeaverLookup();
    for await (const record of index.forTarget(targetId)) lookup.add(record);
    return lookup;
  }

  add(record: LedgerRecord): void {
    const keep = (map: Map<string, LedgerRecord>, key: string) => {
      const held = map.get(key);
      if (!held || held.at < record.at) map.set(key, record);
    };
    if (record.accountId) keep(this.byAccount, record.accountId);
    if (record.userName) keep(this.byKey, `userName:${normalise('userName', record.userName)}`);
    if (record.matchAttribute && record.matchValue) {
      keep(this.byKey, `${record.matchAttribute}:${normalise(record.matchAttribute, record.matchValue)}`);
    }
  }

  find(account: ScimAccount): LedgerRecord | undefined {
    return this.findKeyed(account)?.record;
  }

  /** The leaver and the key that found them (`SCIM id "…"`, `email "…"`): the latest record wins. */
  findKeyed(account: ScimAccount): KeyedLeaver | undefined {
    const byId = this.byAccount.get(account.id);
    if (byId) return { record: byId, key: scimIdKey(account.id) };
    let found: KeyedLeaver | undefined;
    for (const attribute of LEDGER_ATTRIBUTES) {
      for (const value of accountValues(account, attribute)) {
        const record = this.byKey.get(`${attribute}:${normalise(attribute, value)}`);
        if (record && (!found || found.record.at < record.at)) {
          found = { record, key: `${attribute} ${JSON.stringify(value)}` };
        }
      }
    }
    return found;
  }

  /** The keys `findKeyed` tries for an account, in its order. */
  static keysOf(account: ScimAccount): string[] {
    return [
      scimIdKey(account.id),
      ...LEDGER_ATTRIBUTES.flatMap((attribute) =>
        accountValues(account, attribute).map((value) => `${attribute} ${JSON.stringify(value)}`),
      ),
    ];
  }
}

const LEDGER_ATTRIBUTES = ['userName', 'email', 'externalId'] as const;
const scimIdKey = (id: string) => `SCIM id ${JSON.stringify(id)}`;

/** A leaver found for an account, and by which key. */
export interface KeyedLeaver {
  readonly record: LedgerRecord;
  readonly key: string;
}
