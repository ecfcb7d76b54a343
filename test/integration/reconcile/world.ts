// The fixture reconciliation tests start from: dynalite with scimitar's tables, SCIM applications on
// loopback (SCIMMY app + faulty proxy), a config pointing at them, and the reconciler's ports wired to
// the real DynamoDB adapters. The lane queue and the roster are in-memory stand-ins.
import { DynamoAuditLog } from '../../../lambdas/aws/adapters/dynamo-audit-log.ts';
import { DynamoReconciliationStore } from '../../../lambdas/aws/adapters/dynamo-reconciliation.ts';
import { DynamoLeaverLedger, DynamoRevocationBudget } from '../../../lambdas/aws/adapters/dynamo-state.ts';
import {
  parseConfig,
  type ScimitarConfig,
  type ScimitarConfigInput,
} from '../../../lambdas/core/model/config.ts';
import type { ReconcileDeps } from '../../../lambdas/core/reconcile/reconcile.ts';
import type { Roster } from '../../../lambdas/core/reconcile/roster.ts';
import { scimClientFor } from '../../../lambdas/core/targets/target-client.ts';
import { configFor as projectedFor } from '../../../lib/config-projection.ts';
import type { ScimApp, StoredUser } from '../../../local/scim-app.ts';
import { LocalSecretSource } from '../../../local/secrets.ts';
import type { LocalDynamo } from '../../support/dynalite.ts';
import { RecordingLaneQueue, StaticRoster } from '../../support/reconcile.ts';
import { FixedClock } from '../../support/recorders.ts';
import { TOKEN } from '../../support/scim-target.ts';

export const NOW = new Date('2026-11-28T10:00:00.000Z');
export const DAY = 86_400_000;
export const ago = (ms: number) => new Date(NOW.getTime() - ms).toISOString();

let counter = 0;
/** A fresh target id per test: every test has its own state in the shared tables. */
export function freshId(prefix = 't'): string {
  counter += 1;
  return `${prefix}${counter}-${Math.random().toString(36).slice(2, 6)}`;
}

type TargetInput = Extract<ScimitarConfigInput['targets'][number], { kind: 'scim' }>;

export function configFor(
  targets: (Partial<TargetInput> & { id: string; baseUrl: string })[],
  extra: Partial<ScimitarConfigInput> = {},
): ScimitarConfig {
  return parseConfig({
    sources: [{ id: 'generic', kind: 'generic' }],
    targets: targets.map((t) => ({ kind: 'scim', displayName: t.id, owner: 'owner@example.com', ...t })),
    ...extra,
  });
}

export interface TestDeps extends ReconcileDeps {
  readonly queue: RecordingLaneQueue;
  readonly roster: StaticRoster;
  readonly clock: FixedClock;
  readonly store: DynamoReconciliationStore;
  readonly ledger: DynamoLeaverLedger;
  readonly leavers: DynamoLeaverLedger;
  readonly budget: DynamoRevocationBudget;
  readonly audit: DynamoAuditLog;
}

export function depsFor(
  dynamo: LocalDynamo,
  config: ScimitarConfig,
  options: { roster?: Roster | undefined; clock?: FixedClock } = {},
): TestDeps {
  const table = { tableName: dynamo.stateTable, client: dynamo.client };
  const ledger = new DynamoLeaverLedger(table);
  const secrets = new LocalSecretSource({ values: { token: TOKEN }, env: {} });
  return {
    // As the reconcile function sees it on AWS: its projection (lib/config-projection.ts).
    config: projectedFor('reconcile', config),
    scim: (target) => scimClientFor(target, { secretId: 'token', secrets, timeoutMs: 2_000 }),
    store: new DynamoReconciliationStore(table),
    ledger,
    leavers: ledger,
    roster: new StaticRoster('roster' in options ? options.roster : { asOf: ago(3_600_000), people: [] }),
    queue: new RecordingLaneQueue(),
    budget: new DynamoRevocationBudget(table),
    audit: new DynamoAuditLog({ tableName: dynamo.auditTable, client: dynamo.client }),
    clock: options.clock ?? new FixedClock(NOW),
    sleep: async () => {},
  };
}

/** Account states by userName, for assertions. */
export async function statesByUser(deps: TestDeps, targetId: string) {
  const out: Record<
    string,
    { classification: string; personId?: string; reason?: string; firstSeen: string; lastSeen: string }
  > = {};
  for await (const s of deps.store.accounts(targetId)) out[s.userName] = s;
  return out;
}

/**
 * Seeds `names` on the SCIM app and places each: a leaver of the target (in the ledger, by SCIM id
 * and userName), an active person (in the roster), or nobody (an orphan). Sets the roster.
 */
export async function seedPlaced(
  deps: TestDeps,
  app: ScimApp,
  targetId: string,
  names: readonly string[],
  place: (index: number) => 'leaver' | 'person' | 'nobody',
): Promise<StoredUser[]> {
  const { users } = app.seed({ users: names.map((userName) => ({ userName })) });
  const people = [];
  for (const [i, user] of users.entries()) {
    const placed = place(i);
    if (placed === 'leaver') {
      await deps.ledger.record({
        personId: `${targetId}.L${i}`,
        targetId,
        outcome: 'revoked',
        eventId: `e${i}`,
        at: ago(DAY),
        accountId: user.id,
        userName: user.userName,
      });
    } else if (placed === 'person') people.push({ employeeId: `${targetId}.P${i}`, userName: user.userName });
  }
  deps.roster.roster = { asOf: ago(60_000), people };
  return users;
}
