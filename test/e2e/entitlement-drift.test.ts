// The local runtime's reconciler finds entitlement drift, a demo person who holds a managed group
// of the chat application while their roster attributes do not grant it, and removes it through
// the chat lane (removeDrift): exactly that membership, verified, and nothing else.
import { writeFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LocalRuntime } from '../../local/runtime.ts';
import sample from '../../scimitar.config.ts';
import { eventually } from '../support/eventually.ts';
import { startTestRuntime, testConfig } from '../support/local-runtime.ts';

let runtime: LocalRuntime & { lines: string[] };
beforeAll(async () => {
  const targets = sample.targets.map((t) =>
    t.id === 'chat'
      ? {
          ...t,
          entitlements: {
            managedGroups: ['admins', 'auditors'],
            rules: [{ group: 'admins', when: { title: ['Administrator', 'Site Reliability Engineer'] } }],
            removeDrift: true,
          },
        }
      : t,
  );
  runtime = await startTestRuntime({
    config: testConfig({ targets }),
    reconcileOnSchedule: false,
    canary: false,
  });
});
afterAll(async () => runtime?.stop());

describe('local runtime: entitlement drift', () => {
  it('finds the member of a managed group whose roster attributes no longer grant it, and removes exactly that membership', async () => {
    const chat = runtime.lanes.get('chat')?.app;
    if (!chat) throw new Error('demo app chat missing');
    const admins = [...chat.groups.values()].find((g) => g.displayName === 'admins');
    const [keeper, mover] = (admins?.members ?? []).map((m) => chat.users.get(m.value)?.userName);
    if (!keeper || !mover) throw new Error('the demo admins group should have two members');

    // The HR export: the keeper is still an administrator, the mover moved to sales; the rest have
    // titles that grant nothing (and hold no managed group).
    const title = (userName: string) =>
      userName === keeper ? 'Administrator' : userName === mover ? 'Account Executive' : 'Engineer';
    const rows = runtime.people.map((p) =>
      [p.employeeId, p.userName, p.emails.join(';'), p.employeeId, title(p.userName)].join(','),
    );
    writeFileSync(
      runtime.rosterFile,
      `employeeId,userName,emails,externalId,attributes.title\n${rows.join('\n')}\n`,
    );

    const { outcomes } = await runtime.reconcile();
    const chatOutcome = outcomes.find((o) => o.targetId === 'chat');
    expect(chatOutcome?.status).toBe('complete');
    const moverPerson = runtime.people.find((p) => p.userName === mover);
    expect(chatOutcome?.entitlements).toMatchObject({
      groupsRead: 1,
      missingGroups: ['auditors'],
      members: 2,
      accounts: 1,
      queued: 1,
      findings: [
        { userName: mover, personId: moverPerson?.employeeId, groups: ['admins'], action: 'queued' },
      ],
    });
    // The chat lane takes the mover out of admins, reads it back, and audits it; nothing else moves.
    const everyoneBefore = [...chat.groups.values()].find((g) => g.displayName === 'everyone')?.members
      .length;
    const userName = (m: { value: string }) => chat.users.get(m.value)?.userName;
    await eventually('the mover out of admins', async () => {
      const now = [...chat.groups.values()].find((g) => g.displayName === 'admins');
      return now?.members.map(userName).join() === keeper;
    });
    const chatSteps = async () =>
      (await runtime.audit.forPerson(moverPerson?.employeeId ?? ''))
        .filter((e) => e.targetId === 'chat')
        .map((e) => e.step);
    await eventually('the lane audited the removal, verified', async () =>
      (await chatSteps()).includes('ENTITLEMENTS_VERIFIED'),
    );
    expect(await chatSteps()).toEqual(expect.arrayContaining(['REMEDIATED', 'ENTITLEMENT_REMOVED']));
    expect([...chat.groups.values()].find((g) => g.displayName === 'everyone')?.members.length).toBe(
      everyoneBefore,
    );
    expect(chat.userByName(mover)?.active).not.toBe(false);
    // Targets without rules are not checked.
    expect(outcomes.filter((o) => o.entitlements !== undefined).map((o) => o.targetId)).toEqual(['chat']);

    const coverage = await runtime.coverage();
    const row = coverage.entries.find((e) => e.targetId === 'chat');
    expect(row?.beyondAccount.entitlements).toMatchObject({ managedGroups: 2, removeDrift: true });
    expect(row?.reasons).toContain(
      '1 account with entitlement drift (1 managed group membership not granted by the roster) in the last complete pass',
    );
  });
});
