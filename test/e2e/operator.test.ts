// The operator function hosted by the local runtime, invoked as the CLI invokes it on AWS: a
// revoke-now created inside the stack revokes the person everywhere, audited with who asked; a
// retry of a succeeded event is refused; the notifications sent on the way are kept (NOTIFY items).
// Its AWS calls are recorded and proven against its synthesized role (test/iam).
import { QueryCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LOCAL_NAMES } from '../../local/aws-calls.ts';
import type { LocalRuntime } from '../../local/runtime.ts';
import { eventually } from '../support/eventually.ts';
import { startTestRuntime } from '../support/local-runtime.ts';

const BY = 'alice (arn:aws:iam::000000000000:user/alice)';

let runtime: LocalRuntime & { lines: string[] };
beforeAll(async () => {
  runtime = await startTestRuntime({ canary: false, reconcileOnSchedule: false });
}, 120_000);
afterAll(async () => runtime?.stop());

describe('operator function in the local runtime', () => {
  it('revokes a person now in every SCIM target, audited with who asked, and keeps the owner tasks it sent', async () => {
    const [person] = runtime.people;
    if (!person) throw new Error('no demo people');
    const holding = [...runtime.lanes].filter(([, lane]) => lane.app?.userByName(person.userName)?.active);
    expect(holding.length).toBeGreaterThan(0);
    const answer = await runtime.operator({
      op: 'revoke-now',
      person: { employeeId: person.employeeId, userName: person.userName, emails: person.emails },
      by: BY,
      reason: 'INC-7',
    });
    if (!answer.ok) throw new Error(answer.error.message);
    const { eventId, executionName } = answer.result as { eventId: string; executionName: string };
    const execution = await eventually(
      `execution ${executionName} to end`,
      () => {
        const e = runtime.workflow.executions.get(executionName);
        return e && e.status !== 'RUNNING' && e;
      },
      { timeoutMs: 60_000 },
    );
    expect(execution.status).toBe('SUCCEEDED');
    for (const [targetId, lane] of holding) {
      // Deactivated, or deleted where the target's leaver action deletes.
      expect([targetId, lane.app?.userByName(person.userName)?.active ?? 'deleted']).not.toEqual([
        targetId,
        true,
      ]);
    }
    const entries = await runtime.audit.forEvent(eventId);
    expect(
      entries
        .filter((e) => e.step === 'VERIFIED')
        .map((e) => e.targetId)
        .sort(),
      // The demo's session target ends the person's Okta sessions too.
    ).toEqual([...holding.map(([targetId]) => targetId), 'sso'].sort());
    expect(entries.find((e) => e.step === 'RECEIVED')).toMatchObject({
      actor: 'operator',
      detail: { source: 'operator', requestedBy: BY, reason: 'INC-7' },
    });
    // The manual target's owner was told (plan), and that notification is kept for `scimitar alarms`.
    const day = runtime.clock.now().toISOString().slice(0, 10);
    const { Items } = await runtime.dynamo.send(
      new QueryCommand({
        TableName: LOCAL_NAMES.stateTable,
        KeyConditionExpression: 'pk = :pk',
        ExpressionAttributeValues: { ':pk': `NOTIFY#${day}` },
      }),
    );
    const owners = runtime.config.targets.filter((t) => t.kind === 'manual').map((t) => t.id);
    expect(owners.length).toBeGreaterThan(0);
    expect(
      (Items ?? [])
        .filter((i) => i.eventId === eventId && i.kind === 'owner')
        .map((i) => i.targetId)
        .sort(),
    ).toEqual(owners.sort());

    expect(await runtime.operator({ op: 'retry', eventId, by: BY })).toEqual({
      ok: false,
      error: { code: 'CONFLICT', message: expect.stringContaining('succeeded: nothing to retry') },
    });
  }, 90_000);

  it('lets a known layoff past the blast-radius guard at every SCIM target, recorded with who approved', async () => {
    const answer = await runtime.operator({
      op: 'approve-burst',
      targets: 'all',
      count: 3,
      by: BY,
      reason: 'layoff HR-1',
    });
    expect(answer).toMatchObject({
      ok: true,
      result: { approvedBy: BY, count: 3, targets: [...runtime.lanes.keys()] },
    });
  });

  it('refuses a request it does not know, saying which it knows', async () => {
    expect(await runtime.operator({ op: 'reboot', by: BY })).toMatchObject({
      ok: false,
      error: {
        code: 'INVALID',
        message: expect.stringContaining('known: ack, approve, approve-burst, retry, revoke-now'),
      },
    });
  });
});
