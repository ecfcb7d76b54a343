import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DynamoAuditLog } from '../../../lambdas/aws/adapters/dynamo-audit-log.ts';
import { DynamoLeaverLedger, DynamoRevocationBudget } from '../../../lambdas/aws/adapters/dynamo-state.ts';
import { auditEntry } from '../../../lambdas/core/model/audit.ts';
import { AuditEntryExistsError } from '../../../lambdas/core/model/ports.ts';
import { type LocalDynamo, startDynalite } from '../../support/dynalite.ts';

let dynamo: LocalDynamo;
beforeAll(async () => {
  dynamo = await startDynalite();
});
afterAll(async () => dynamo.close());

describe('DynamoDB audit log (dynalite)', () => {
  it('appends entries and reads an event back in time order', async () => {
    const log = new DynamoAuditLog({ tableName: dynamo.auditTable, client: dynamo.client });
    const t0 = new Date('2026-11-28T10:00:00Z');
    await log.append(auditEntry({ eventId: 'e1', step: 'RECEIVED', personId: 'p1', actor: 'ingest' }, t0));
    await log.append(
      auditEntry(
        {
          eventId: 'e1',
          step: 'VERIFIED',
          personId: 'p1',
          targetId: 'code',
          actor: 'worker',
          detail: { active: false },
        },
        new Date(t0.getTime() + 2000),
      ),
    );
    await log.append(
      auditEntry(
        { eventId: 'e1', step: 'PLANNED', personId: 'p1', actor: 'plan' },
        new Date(t0.getTime() + 1000),
      ),
    );
    const steps = (await log.forEvent('e1')).map((e) => e.step);
    expect(steps).toEqual(['RECEIVED', 'PLANNED', 'VERIFIED']);
  });

  it('gives a person timeline across events through the byPerson index', async () => {
    const log = new DynamoAuditLog({ tableName: dynamo.auditTable, client: dynamo.client });
    const t = new Date('2026-11-28T11:00:00Z');
    await log.append(auditEntry({ eventId: 'e2', step: 'RECEIVED', personId: 'p2', actor: 'ingest' }, t));
    await log.append(
      auditEntry(
        { eventId: 'e3', step: 'RECEIVED', personId: 'p2', actor: 'ingest' },
        new Date(t.getTime() + 1),
      ),
    );
    await log.append(auditEntry({ eventId: 'e4', step: 'RECEIVED', personId: 'p3', actor: 'ingest' }, t));
    const timeline = await log.forPerson('p2');
    expect(timeline.map((e) => e.eventId)).toEqual(['e2', 'e3']);
  });

  it('refuses to overwrite an entry: the log is append-only', async () => {
    const log = new DynamoAuditLog({ tableName: dynamo.auditTable, client: dynamo.client });
    const entry = auditEntry(
      { eventId: 'e5', step: 'RECEIVED', personId: 'p5', actor: 'ingest' },
      new Date(),
    );
    await log.append(entry);
    const refused = await log.append({ ...entry, step: 'COMPLETED' }).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(AuditEntryExistsError);
    expect((refused as Error).cause).toBeInstanceOf(ConditionalCheckFailedException);
    expect(await log.appendOnce({ ...entry, step: 'COMPLETED' })).toBe(false);
    expect((await log.forEvent('e5')).map((e) => e.step)).toEqual(['RECEIVED']);
  });

  it('reads every entry of a long timeline, past one query page', async () => {
    const log = new DynamoAuditLog({ tableName: dynamo.auditTable, client: dynamo.client });
    const big = 'x'.repeat(20_000); // ~20 KB per item: 60 items cross the 1 MB page limit
    const base = Date.parse('2026-11-28T12:00:00Z');
    for (let i = 0; i < 60; i++) {
      await log.append(
        auditEntry(
          { eventId: 'e6', step: 'RETRY', personId: 'p6', actor: 'worker', detail: { big } },
          new Date(base + i * 1000),
        ),
      );
    }
    expect(await log.forEvent('e6')).toHaveLength(60);
  });
});

describe('DynamoDB leaver ledger (dynalite)', () => {
  it('keeps the latest outcome per person and target', async () => {
    const ledger = new DynamoLeaverLedger({ tableName: dynamo.stateTable, client: dynamo.client });
    await ledger.record({
      personId: 'p1',
      targetId: 'code',
      outcome: 'failed',
      eventId: 'e1',
      at: '2026-11-28T10:00:00.000Z',
    });
    await ledger.record({
      personId: 'p1',
      targetId: 'code',
      outcome: 'revoked',
      eventId: 'e1',
      at: '2026-11-28T10:05:00.000Z',
    });
    await ledger.record({
      personId: 'p1',
      targetId: 'chat',
      outcome: 'no-account',
      eventId: 'e1',
      at: '2026-11-28T10:01:00.000Z',
    });
    const records = await ledger.forPerson('p1');
    expect(records.map((r) => [r.targetId, r.outcome]).sort()).toEqual([
      ['chat', 'no-account'],
      ['code', 'revoked'],
    ]);
  });

  it('refuses to let a late, older answer overwrite a newer outcome', async () => {
    const ledger = new DynamoLeaverLedger({ tableName: dynamo.stateTable, client: dynamo.client });
    await ledger.record({
      personId: 'p9',
      targetId: 'code',
      outcome: 'revoked',
      eventId: 'e9',
      at: '2026-11-28T10:05:00.000Z',
    });
    await ledger.record({
      personId: 'p9',
      targetId: 'code',
      outcome: 'failed',
      eventId: 'e9',
      at: '2026-11-28T10:00:00.000Z',
    });
    expect((await ledger.forPerson('p9'))[0]?.outcome).toBe('revoked');
  });

  it('keeps the first write noted for an event at a target, apart from the outcomes', async () => {
    const ledger = new DynamoLeaverLedger({ tableName: dynamo.stateTable, client: dynamo.client });
    const write = {
      personId: 'p7',
      targetId: 'code',
      eventId: 'e7',
      accountId: 'acc-7',
      userName: 'p7@example.com',
      action: 'deactivate' as const,
      request: 'PATCH /Users/acc-7',
      activeBefore: true,
      attempt: 1,
      at: '2026-11-28T10:00:00.000Z',
    };
    await ledger.recordWriteSent(write);
    // A later attempt finds the account inactive (our own write): it must not replace the first.
    await ledger.recordWriteSent({
      ...write,
      activeBefore: false,
      attempt: 2,
      at: '2026-11-28T10:00:05.000Z',
    });
    expect(await ledger.writeSent('p7', 'code', 'e7')).toEqual(write);
    expect(await ledger.writeSent('p7', 'code', 'another-event')).toBeUndefined();
    expect(await ledger.writeSent('p7', 'chat', 'e7')).toBeUndefined();
    await ledger.record({
      personId: 'p7',
      targetId: 'code',
      outcome: 'revoked',
      eventId: 'e7',
      at: write.at,
    });
    expect(await ledger.forPerson('p7')).toEqual([
      expect.objectContaining({ targetId: 'code', outcome: 'revoked' }),
    ]);
  });
});

describe('DynamoDB revocation budget (dynalite)', () => {
  it('grants exactly the limit within a window, even to concurrent callers', async () => {
    const budget = new DynamoRevocationBudget({ tableName: dynamo.stateTable, client: dynamo.client });
    const results = await Promise.all(
      Array.from({ length: 12 }, () => budget.tryConsume('chat', '2026-11-28T10:00', 5)),
    );
    expect(results.filter(Boolean)).toHaveLength(5);
    expect(await budget.tryConsume('chat', '2026-11-28T11:00', 5)).toBe(true);
  });

  it('remembers the account count written by the reconciler', async () => {
    const budget = new DynamoRevocationBudget({ tableName: dynamo.stateTable, client: dynamo.client });
    expect(await budget.accountCount('wiki')).toBeUndefined();
    await budget.setAccountCount('wiki', 420, '2026-11-28T00:00:00.000Z');
    expect(await budget.accountCount('wiki')).toBe(420);
  });
});
