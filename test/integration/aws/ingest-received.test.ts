// Identical deliveries arriving together, against a real DynamoDB API (dynalite): the RECEIVED
// entry has a deterministic key and is written conditionally, so exactly one exists.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DynamoAuditLog } from '../../../lambdas/aws/adapters/dynamo-audit-log.ts';
import { Ingestor } from '../../../lambdas/core/ingest/ingest.ts';
import { signGeneric } from '../../../lambdas/core/ingest/signature.ts';
import { auditEntry } from '../../../lambdas/core/model/audit.ts';
import type { SourceConfig } from '../../../lambdas/core/model/config.ts';
import { type LocalDynamo, startDynalite } from '../../support/dynalite.ts';
import { InMemorySecretSource, InMemoryWorkflowStarter } from '../../support/fakes.ts';

const KEY = 'generic-signing-key-race';
const sources: SourceConfig[] = [
  {
    id: 'generic',
    kind: 'generic',
    toleranceSeconds: 300,
    secretName: 'scimitar/sources/generic',
    existingSecret: false,
  },
];

let dynamo: LocalDynamo;
beforeAll(async () => {
  dynamo = await startDynalite();
});
afterAll(async () => dynamo.close());

function delivery(eventId: string, now: Date) {
  const body = JSON.stringify({
    eventId,
    source: 'generic',
    occurredAt: '2026-11-28T08:59:00Z',
    kind: 'termination',
    terminationType: 'involuntary',
    person: { employeeId: 'E-race', userName: 'race@example.com' },
  });
  return { sourceId: 'generic', body, headers: { 'x-scimitar-signature': signGeneric(body, KEY, now) }, now };
}

describe('ingest: identical deliveries arriving together (dynalite)', () => {
  it('writes exactly one RECEIVED and starts one execution, whichever delivery wins', async () => {
    const audit = new DynamoAuditLog({ tableName: dynamo.auditTable, client: dynamo.client });
    const workflows = new InMemoryWorkflowStarter();
    const secrets = new InMemorySecretSource({ 'scimitar/sources/generic': KEY });
    // One Ingestor per delivery, as separate Lambda containers would handle them.
    const ingestors = Array.from(
      { length: 12 },
      () => new Ingestor({ sources, secrets, auditLog: audit, workflows }),
    );
    const base = Date.parse('2026-11-28T09:00:00Z');

    const outcomes = await Promise.all(
      ingestors.map((ingestor, i) => ingestor.ingest(delivery('evt-race', new Date(base + i)))),
    );

    const received = (await audit.forEvent('evt-race')).filter((e) => e.step === 'RECEIVED');
    expect(received).toHaveLength(1);
    expect(received[0]).toMatchObject({ actor: 'ingest', personId: 'E-race', detail: { source: 'generic' } });
    expect(workflows.executions).toHaveLength(1);
    expect(outcomes.map((o) => o.started[0]?.duplicate).filter((d) => d === false)).toHaveLength(1);
    // Every delivery is answered with the one execution.
    expect(new Set(outcomes.map((o) => o.started[0]?.executionArn)).size).toBe(1);
  });

  it('keeps RECEIVED first in the event timeline, before entries written later', async () => {
    const audit = new DynamoAuditLog({ tableName: dynamo.auditTable, client: dynamo.client });
    const workflows = new InMemoryWorkflowStarter();
    const secrets = new InMemorySecretSource({ 'scimitar/sources/generic': KEY });
    const now = new Date('2026-11-28T09:00:00Z');
    await new Ingestor({ sources, secrets, auditLog: audit, workflows }).ingest(delivery('evt-order', now));
    await audit.append(
      auditEntry(
        { eventId: 'evt-order', step: 'PLANNED', personId: 'E-race', actor: 'plan' },
        new Date(now.getTime() + 1),
      ),
    );
    expect((await audit.forEvent('evt-order')).map((e) => e.step)).toEqual(['RECEIVED', 'PLANNED']);
    const timeline = (await audit.forPerson('E-race')).map((e) => `${e.eventId}:${e.step}`);
    expect(timeline.indexOf('evt-order:RECEIVED')).toBeLessThan(timeline.indexOf('evt-order:PLANNED'));
  });
});
