import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DynamoAuditLog } from '../../../lambdas/aws/adapters/dynamo-audit-log.ts';
import { DynamoLeaverLedger } from '../../../lambdas/aws/adapters/dynamo-state.ts';
import type { Plan } from '../../../lambdas/core/model/messages.ts';
import { type SummarizeDeps, summarize } from '../../../lambdas/core/revocation/summarize.ts';
import { createSummarizeHandler } from '../../../lambdas/handlers/summarize.ts';
import { captureOutput } from '../../support/captured-output.ts';
import { type LocalDynamo, startDynalite } from '../../support/dynalite.ts';
import { FixedClock, RecordingNotifier } from '../../support/recorders.ts';

let dynamo: LocalDynamo;
beforeAll(async () => {
  dynamo = await startDynalite();
});
afterAll(async () => dynamo.close());

function deps(): SummarizeDeps & { alerts: RecordingNotifier } {
  return {
    audit: new DynamoAuditLog({ tableName: dynamo.auditTable, client: dynamo.client }),
    ledger: new DynamoLeaverLedger({ tableName: dynamo.stateTable, client: dynamo.client }),
    alerts: new RecordingNotifier(),
    clock: new FixedClock(new Date('2026-11-28T10:00:05Z')),
  };
}

const plan = (eventId: string, settled: Plan['settled'] = []): Plan => ({
  eventId,
  personId: `P-${eventId}`,
  receivedAt: '2026-11-28T10:00:00.000Z',
  effectiveAt: '2026-11-28T10:00:00.000Z',
  dryRun: false,
  lanes: [],
  settled,
});

describe('summarize', () => {
  it('is PARTIAL when a lane was held by the blast-radius guard, and the alert names the approve and approve-burst commands', async () => {
    const d = deps();
    const { summary } = await summarize(
      {
        plan: plan('s-held'),
        results: [
          { targetId: 'code', status: 'refused', attempts: 1 },
          { targetId: 'chat', status: 'cancelled', attempts: 1 },
        ],
      },
      d,
    );
    expect(summary.outcome).toBe('PARTIAL');
    expect(summary.failedTargets).toEqual(['code']);
    expect(d.alerts.sent[0]?.message).toContain('npm run scimitar -- approve s-held');
    expect(d.alerts.sent[0]?.message).toContain('npm run scimitar -- approve-burst --target code --count N');
  });

  it('completes a revocation the rescind won, saying why', async () => {
    const d = deps();
    const cancelled = 'the rescind won: the termination was cancelled by a rescind (event r-1)';
    const { summary } = await summarize({ plan: { ...plan('s-rescinded'), cancelled }, results: [] }, d);
    expect(summary.outcome).toBe('COMPLETED');
    const [completed] = await d.audit.forEvent('s-rescinded');
    expect(completed?.detail).toMatchObject({ cancelled });
  });

  it('completes when every target is revoked or had no account, with latency per verified target', async () => {
    const d = deps();
    const { summary, latencies } = await summarize(
      {
        plan: plan('s1', [{ targetId: 'payroll', status: 'manual-task', reason: 'owner notified' }]),
        results: [
          { targetId: 'code', status: 'revoked', verifiedAt: '2026-11-28T10:00:01.250Z', attempts: 1 },
          { targetId: 'chat', status: 'no-account', attempts: 1 },
        ],
      },
      d,
    );
    expect(summary.outcome).toBe('COMPLETED');
    expect(latencies).toEqual([{ targetId: 'code', latencyMs: 1250 }]);
    expect(summary.targets.map((t) => t.status)).toEqual(['revoked', 'no-account', 'manual-task']);
    expect(d.alerts.sent).toEqual([]);
    expect((await d.audit.forEvent('s1')).map((e) => e.step)).toEqual(['COMPLETED']);
  });

  it('is PARTIAL when a lane failed: alerts naming the target and records it in the ledger', async () => {
    const d = deps();
    const { summary } = await summarize(
      {
        plan: plan('s2'),
        results: [
          { targetId: 'code', status: 'revoked', verifiedAt: '2026-11-28T10:00:01.000Z', attempts: 1 },
          { targetId: 'chat', status: 'failed', error: 'States.Timeout', cause: 'no answer in 3600 s' },
        ],
      },
      d,
    );
    expect(summary).toMatchObject({ outcome: 'PARTIAL', failedTargets: ['chat'] });
    expect(d.alerts.sent[0]?.message).toContain('chat: States.Timeout: no answer in 3600 s');
    expect(await d.ledger.forPerson('P-s2')).toEqual([
      expect.objectContaining({ targetId: 'chat', outcome: 'failed' }),
    ]);
    expect((await d.audit.forEvent('s2')).map((e) => e.step)).toEqual(['PARTIAL']);
  });

  it('counts a blast-radius refusal as a failure, so it is never silent', async () => {
    const d = deps();
    const { summary } = await summarize(
      {
        plan: plan('s3', [
          {
            targetId: 'wiki',
            status: 'refused',
            reason: 'blast-radius guard',
            matchAttribute: 'email',
            matchValue: 'x@example.com',
          },
        ]),
        results: [],
      },
      d,
    );
    expect(summary.outcome).toBe('PARTIAL');
    expect(d.alerts.sent).toHaveLength(1);
    // Recorded for the reconciler, which re-queues the still-active account as drift.
    expect(await d.ledger.forPerson('P-s3')).toEqual([
      expect.objectContaining({
        targetId: 'wiki',
        outcome: 'refused',
        matchAttribute: 'email',
        matchValue: 'x@example.com',
      }),
    ]);
  });
});

describe('summarize handler: metrics', () => {
  it('publishes RevocationLatency with exactly {service, target} and TargetOutcome with exactly {service, target, status}', async () => {
    // Prepare: the dashboard's searches (lib/workflow.ts) name these dimension sets exactly.
    const handler = createSummarizeHandler({
      ...deps(),
      logger: new Logger({ serviceName: 'scimitar-summarize', logLevel: 'SILENT' }),
      metrics: new Metrics({ namespace: 'Scimitar', serviceName: 'scimitar-summarize' }),
    });
    const output = captureOutput();
    try {
      // Act
      await handler({
        plan: plan('m1'),
        results: [
          { targetId: 'code', status: 'revoked', verifiedAt: '2026-11-28T10:00:01.250Z', attempts: 1 },
        ],
      });
    } finally {
      output.restore();
    }
    // Assess
    const dimensionSets = (metric: string) =>
      output.records
        .filter((r) => metric in r)
        .map(
          (r) =>
            (r._aws as { CloudWatchMetrics: { Namespace: string; Dimensions: string[][] }[] })
              .CloudWatchMetrics,
        );
    expect(dimensionSets('RevocationLatency')).toEqual([
      [expect.objectContaining({ Namespace: 'Scimitar', Dimensions: [['service', 'target']] })],
    ]);
    expect(dimensionSets('TargetOutcome')).toEqual([
      [expect.objectContaining({ Namespace: 'Scimitar', Dimensions: [['service', 'target', 'status']] })],
    ]);
    expect(output.metric('TargetOutcome')).toEqual([
      { value: 1, dimensions: { service: 'scimitar-summarize', target: 'code', status: 'revoked' } },
    ]);
    expect(output.metric('RevocationLatency')).toEqual([
      { value: 1250, dimensions: { service: 'scimitar-summarize', target: 'code' } },
    ]);
  });
});

describe('summarize: a mover’s change', () => {
  it('completes with every lane updated or unchanged', async () => {
    const d = deps();
    const { summary } = await summarize(
      {
        plan: { ...plan('s-move-ok'), kind: 'change' },
        results: [
          { targetId: 'code', status: 'updated', attempts: 1, verifiedAt: '2026-11-28T10:00:03.000Z' },
          { targetId: 'chat', status: 'unchanged', attempts: 1 },
        ],
      },
      d,
    );
    expect(summary.outcome).toBe('COMPLETED');
    expect(d.alerts.sent).toEqual([]);
  });

  it('alerts an incomplete entitlement update as such, not as a revocation, and writes no leaver ledger for it', async () => {
    const d = deps();
    const { summary } = await summarize(
      {
        plan: { ...plan('s-move-failed'), kind: 'change' },
        results: [{ targetId: 'code', status: 'failed', error: 'ScimPermanentError', cause: '403' }],
      },
      d,
    );
    expect(summary.outcome).toBe('PARTIAL');
    expect(d.alerts.sent[0]?.subject).toMatch(/entitlement update incomplete for employee P-s-move-failed/);
    expect(d.alerts.sent[0]?.message).toMatch(/Failed entitlement update/);
    expect(await d.ledger.forPerson('P-s-move-failed')).toEqual([]);
  });
});
