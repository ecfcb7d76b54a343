// A session target in operations (docs/sessions.md, "Operations"): the coverage report lists it
// with status `session revocation` and its last verified revocation; the reconciler does not
// reconcile it and the canary does not probe it (there are no accounts to list). A fake Okta org
// on loopback, which must hear nothing from either; the ledger, reconciliation and canary state on
// dynalite, and the session revocation recorded by the real lane.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DynamoAuditLog } from '../../../lambdas/aws/adapters/dynamo-audit-log.ts';
import { DynamoCanaryStatus } from '../../../lambdas/aws/adapters/dynamo-canary-status.ts';
import { DynamoReconciliationStore } from '../../../lambdas/aws/adapters/dynamo-reconciliation.ts';
import { DynamoLeaverLedger, DynamoRevocationBudget } from '../../../lambdas/aws/adapters/dynamo-state.ts';
import { CanaryError, checkTargets } from '../../../lambdas/core/credentials/canary.ts';
import { parseConfig } from '../../../lambdas/core/model/config.ts';
import {
  coverageReport,
  gatherCoverageFacts,
  renderCoverageTable,
} from '../../../lambdas/core/reconcile/coverage.ts';
import { reconcile } from '../../../lambdas/core/reconcile/reconcile.ts';
import { runLane } from '../../../lambdas/core/revocation/lane.ts';
import { sessionRevokerFor } from '../../../lambdas/core/sessions/revoker.ts';
import { type FakeOkta, startFakeOkta } from '../../../local/fakes/okta.ts';
import { type LocalDynamo, startDynalite } from '../../support/dynalite.ts';
import { InMemorySecretSource } from '../../support/fakes.ts';
import { laneMessage } from '../../support/lane-message.ts';
import { RecordingLaneQueue, StaticRoster } from '../../support/reconcile.ts';
import { FixedClock, RecordingDeadLetterQueue, RecordingNotifier } from '../../support/recorders.ts';
import { RecordingTaskCallback } from '../../support/task-callbacks.ts';

const TOKEN = 'ops-okta-token';
const NOW = new Date('2026-12-03T10:00:00Z');
let dynamo: LocalDynamo;
let okta: FakeOkta;
beforeAll(async () => {
  [dynamo, okta] = await Promise.all([
    startDynalite(),
    startFakeOkta({ token: TOKEN, users: [{ id: '00uops', login: 'ops.leaver@example.com' }] }),
  ]);
});
afterAll(async () => {
  await Promise.all([dynamo.close(), okta.close()]);
});

const config = () =>
  parseConfig({
    stackName: 'ops-test',
    sources: [{ id: 'hr', kind: 'generic' }],
    targets: [
      {
        id: 'sso-ops',
        kind: 'session',
        provider: 'okta',
        displayName: 'Okta sessions',
        owner: 'it@example.com',
        baseUrl: okta.url,
      },
    ],
  });
const table = () => ({ tableName: dynamo.stateTable, client: dynamo.client });
const secrets = () => new InMemorySecretSource({ 'ops-test/targets/sso-ops': TOKEN });

describe('a session target in operations', () => {
  it('is listed by the coverage report as session revocation, with its last verified revocation', async () => {
    const cfg = config();
    const target = cfg.targets[0];
    if (target?.kind !== 'session') throw new Error('unreachable');
    const ledger = new DynamoLeaverLedger(table());
    const message = laneMessage('ops.leaver@example.com', 'ops-1', {
      targetId: 'sso-ops',
      action: 'revoke-sessions',
      matchAttribute: 'email',
      matchValue: 'ops.leaver@example.com',
    });
    const outcome = await runLane(message, 1, {
      targetId: 'sso-ops',
      scim: sessionRevokerFor(target, { secretId: 'ops-test/targets/sso-ops', secrets: secrets() }),
      audit: new DynamoAuditLog({ tableName: dynamo.auditTable, client: dynamo.client }),
      ledger,
      callback: new RecordingTaskCallback(),
      clock: new FixedClock(NOW),
      maxAttempts: 3,
      deadLetters: new RecordingDeadLetterQueue(),
      alerts: new RecordingNotifier(),
      redriveCommand: 'npm run scimitar -- redrive sso-ops',
    });
    expect(outcome).toMatchObject({ kind: 'done', result: { status: 'revoked' } });

    const facts = await gatherCoverageFacts(cfg, {
      store: new DynamoReconciliationStore(table()),
      leavers: ledger,
    });
    const report = coverageReport(cfg, facts, new Date(NOW.getTime() + 60_000));
    expect(report.entries).toEqual([
      expect.objectContaining({
        targetId: 'sso-ops',
        kind: 'session',
        status: 'session-revocation',
        lastVerifiedRevocation: NOW.toISOString(),
      }),
    ]);
    expect(report.totals['session-revocation']).toBe(1);
    expect(renderCoverageTable(report)).toMatch(/sso-ops.*session revocation/);
  });

  it('is not probed by the canary: nothing is sent to the provider, and asking for it by id is refused', async () => {
    const before = okta.requests.length;
    const deps = { secrets: secrets(), status: new DynamoCanaryStatus(table()), clock: new FixedClock(NOW) };
    expect(await checkTargets(config(), deps)).toEqual([]);
    await expect(checkTargets(config(), deps, { targetIds: ['sso-ops'] })).rejects.toBeInstanceOf(
      CanaryError,
    );
    expect(okta.requests.slice(before)).toEqual([]);
  });

  it('is not reconciled: a pass lists nothing there, and asking for it by id is refused', async () => {
    const before = okta.requests.length;
    const cfg = config();
    const deps = {
      config: cfg,
      scim: () => {
        throw new Error('a session target has no accounts to page through');
      },
      store: new DynamoReconciliationStore(table()),
      leavers: new DynamoLeaverLedger(table()),
      roster: new StaticRoster(undefined),
      queue: new RecordingLaneQueue(),
      budget: new DynamoRevocationBudget(table()),
      audit: new DynamoAuditLog({ tableName: dynamo.auditTable, client: dynamo.client }),
      clock: new FixedClock(NOW),
    };
    const result = await reconcile({}, deps);
    expect(result.outcomes).toEqual([]);
    await expect(reconcile({ targets: ['sso-ops'] }, deps)).rejects.toThrow(/sso-ops/);
    expect(okta.requests.slice(before)).toEqual([]);
  });
});
