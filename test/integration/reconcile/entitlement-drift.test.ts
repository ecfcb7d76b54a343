// The reconciler's entitlement drift check against a real SCIM app (SCIMMY behind the faulty proxy)
// and dynalite: members of managed groups whose roster attributes do not grant the group.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { ScimitarConfigInput } from '../../../lambdas/core/model/config.ts';
import { reconcile, type TargetOutcome } from '../../../lambdas/core/reconcile/reconcile.ts';
import { renderReconcileOutcomes } from '../../../local/report-format.ts';
import { type LocalDynamo, startDynalite } from '../../support/dynalite.ts';
import { type ScimTarget, startTarget } from '../../support/scim-target.ts';
import { ago, configFor, DAY, depsFor, freshId, type TestDeps } from './world.ts';

let dynamo: LocalDynamo;
let target: ScimTarget;
beforeAll(async () => {
  dynamo = await startDynalite();
});
afterEach(async () => {
  await target?.close();
});
afterAll(async () => {
  await dynamo.close();
});

type Entitlements = NonNullable<
  Extract<ScimitarConfigInput['targets'][number], { kind: 'scim' }>['entitlements']
>;

const RULES: Entitlements = {
  managedGroups: ['engineering', 'finance', 'admins'],
  rules: [
    { group: 'engineering', when: { department: 'Engineering' } },
    { group: 'finance', when: { department: ['Finance', 'Accounting'] } },
    { group: 'admins', when: { title: 'SRE' } },
  ],
};

/**
 * A company at one target: ada (Engineering) in engineering; bob (now Finance) still in engineering,
 * and in `everyone`, which scimitar does not manage; cy (no attributes in the roster) in finance;
 * dan, a leaver, in engineering; svc (allow-listed) in engineering; eve (Accounting) in finance.
 * The target has no `admins` group.
 */
async function company(
  options: {
    entitlements?: Partial<Entitlements>;
    extra?: Partial<ScimitarConfigInput>;
    mode?: 'report-only';
  } = {},
) {
  target = await startTarget();
  const id = freshId('ent');
  const config = configFor(
    [
      {
        id,
        baseUrl: target.proxy.url,
        allowList: ['svc@example.com'],
        entitlements: { ...RULES, ...options.entitlements },
        ...(options.mode && { mode: options.mode }),
      },
    ],
    options.extra,
  );
  const deps = depsFor(dynamo, config);
  const names = ['ada', 'bob', 'cy', 'dan', 'svc', 'eve'].map((n) => `${n}@example.com`);
  const { users } = target.app.seed({
    users: names.map((userName) => ({ userName })),
    groups: [
      {
        displayName: 'engineering',
        members: ['ada@example.com', 'bob@example.com', 'dan@example.com', 'svc@example.com'],
      },
      { displayName: 'finance', members: ['cy@example.com', 'eve@example.com'] },
      { displayName: 'everyone', members: names },
    ],
  });
  const idOf = (name: string) => users.find((u) => u.userName === `${name}@example.com`)?.id ?? '';
  await deps.ledger.record({
    personId: 'E-dan',
    targetId: id,
    outcome: 'revoked',
    eventId: 'e-dan',
    at: ago(DAY),
    accountId: idOf('dan'),
    userName: 'dan@example.com',
  });
  deps.roster.roster = {
    asOf: ago(60_000),
    people: [
      { employeeId: 'E-ada', userName: 'ada@example.com', attributes: { department: 'Engineering' } },
      {
        employeeId: 'E-bob',
        userName: 'bob@example.com',
        attributes: { department: 'Finance', title: 'Analyst' },
      },
      { employeeId: 'E-cy', userName: 'cy@example.com' },
      { employeeId: 'E-eve', userName: 'eve@example.com', attributes: { department: 'Accounting' } },
    ],
  };
  return { id, deps, idOf };
}

async function pass(deps: TestDeps, id: string): Promise<TargetOutcome> {
  const { outcomes } = await reconcile({ targets: [id] }, deps);
  const [outcome] = outcomes;
  if (!outcome) throw new Error('no outcome');
  return outcome;
}

const entitlementMessages = (deps: TestDeps) =>
  deps.queue.sent.filter((s) => s.message.lane.action === 'entitlements');

async function auditOf(deps: TestDeps, targetId: string, personId: string) {
  const entries = await deps.audit.forPerson(personId);
  return entries.filter(
    (e) =>
      e.targetId === targetId && (e.detail as { kind?: string } | undefined)?.kind === 'entitlement-drift',
  );
}

describe('reconciler: entitlement drift', () => {
  it('reports a member of a managed group whose roster attributes do not grant it, and nobody else', async () => {
    const { id, deps, idOf } = await company();
    const outcome = await pass(deps, id);
    expect(outcome.status).toBe('complete');
    expect(outcome.entitlements).toEqual({
      groupsRead: 2,
      missingGroups: ['admins'],
      members: 6,
      accounts: 1,
      memberships: 1,
      queued: 0,
      refused: 0,
      alreadyQueued: 0,
      // dan is a leaver and svc allow-listed: their own findings; cy has no attributes in the roster.
      notJudged: { unknownAccount: 0, notManaged: 2, noAttributes: 1 },
      findings: [
        {
          scimId: idOf('bob'),
          userName: 'bob@example.com',
          personId: 'E-bob',
          groups: ['engineering'],
          action: 'reported',
          reason: 'entitlements.removeDrift is off: reported only',
        },
      ],
      more: 0,
    });
    expect(entitlementMessages(deps)).toEqual([]);
    // The pass's result keeps the counts for the coverage report; the account list stays with the outcome.
    const saved = await deps.store.target(id);
    expect(saved.lastComplete?.entitlements).toMatchObject({
      accounts: 1,
      memberships: 1,
      missingGroups: ['admins'],
    });
    expect(saved.lastComplete?.entitlements).not.toHaveProperty('findings');
    // What `npm run scimitar -- reconcile` prints for it.
    const printed = renderReconcileOutcomes([outcome]);
    expect(printed).toContain(
      'entitlement drift: 1 account (1 membership) among 6 members of 2 managed groups; queued 0, refused 0',
    );
    expect(printed).toContain(
      'not judged: 1 without roster attributes (or matching several people); 2 inactive, allow-listed, orphan or leaver accounts',
    );
    expect(printed).toContain('managed groups the target does not have: "admins"');
    expect(printed).toContain(
      `entitlement-drift  bob@example.com  SCIM id ${idOf('bob')}  person E-bob  holds "engineering", not granted by their attributes`,
    );
    expect(printed).toContain('reported: entitlements.removeDrift is off: reported only');
  });

  it('finds the group by an escaped displayName filter, and reads its members from the group', async () => {
    const { id, deps } = await company();
    target.proxy.reset();
    await pass(deps, id);
    const groupRequests = target.proxy.requests.filter(
      (r) => r.url.startsWith('/Groups') || r.url.includes('/Groups'),
    );
    const query = groupRequests.map((r) => new URL(r.url, 'http://x').searchParams);
    const filters = query.map((q) => q.get('filter')).filter((f) => f !== null);
    expect(filters).toEqual([
      'displayName eq "engineering"',
      'displayName eq "finance"',
      'displayName eq "admins"',
    ]);
    expect(query.filter((q) => q.get('attributes') === 'members')).toHaveLength(2);
    expect(groupRequests.every((r) => r.method === 'GET')).toBe(true);
  });

  it('removes drift through the lane when removeDrift is on: the roster attributes decide, audited', async () => {
    const { id, deps, idOf } = await company({ entitlements: { removeDrift: true } });
    const outcome = await pass(deps, id);
    expect(outcome.entitlements).toMatchObject({ accounts: 1, queued: 1, refused: 0 });
    expect(outcome.entitlements?.findings).toEqual([
      expect.objectContaining({ userName: 'bob@example.com', action: 'queued' }),
    ]);
    const sent = entitlementMessages(deps);
    expect(sent).toHaveLength(1);
    expect(sent[0]?.targetId).toBe(id);
    expect(sent[0]?.message).toMatchObject({
      dryRun: false,
      person: { employeeId: 'E-bob', attributes: { department: 'Finance', title: 'Analyst' } },
      lane: {
        targetId: id,
        action: 'entitlements',
        matchAttribute: 'userName',
        matchValue: 'bob@example.com',
        accountId: idOf('bob'),
        reportOnly: false,
      },
    });
    expect(sent[0]?.message.taskToken).toBeUndefined();
    const audit = await auditOf(deps, id, 'E-bob');
    expect(audit.map((e) => e.step)).toEqual(['REMEDIATED']);
    expect(audit[0]).toMatchObject({ actor: 'reconciler', targetId: id, eventId: sent[0]?.message.eventId });
    expect(audit[0]?.detail).toMatchObject({ groups: ['engineering'], accountId: idOf('bob') });
  });

  it('refuses removals beyond the blast-radius guard, audited, the rest left for the next pass', async () => {
    // Two revocations per window: the leaver dan's re-queue takes one, one drift removal the other.
    const { id, deps } = await company({
      entitlements: { removeDrift: true },
      extra: { blastRadius: { floor: 2, maxShare: 0.01 } },
    });
    target.app.seed({ users: [{ userName: 'carol@example.com' }] });
    const engineering = [...target.app.groups.values()].find((g) => g.displayName === 'engineering');
    const carol = [...target.app.users.values()].find((u) => u.userName === 'carol@example.com');
    engineering?.members.push({ value: carol?.id ?? '', display: 'carol@example.com' });
    deps.roster.roster = {
      asOf: ago(60_000),
      people: [
        { employeeId: 'E-bob', userName: 'bob@example.com', attributes: { department: 'Finance' } },
        { employeeId: 'E-carol', userName: 'carol@example.com', attributes: { department: 'Sales' } },
      ],
    };
    const outcome = await pass(deps, id);
    expect(outcome.counts.remediated).toBe(1);
    expect(outcome.entitlements).toMatchObject({ accounts: 2, queued: 1, refused: 1 });
    expect(entitlementMessages(deps)).toHaveLength(1);
    const refused = outcome.entitlements?.findings.find((f) => f.action === 'refused');
    expect(refused?.reason).toContain('blast-radius guard');
    const audit = await auditOf(deps, id, refused?.personId ?? '');
    expect(audit.map((e) => e.step)).toEqual(['REFUSED']);
  });

  it('writes nothing on a report-only target or in a dry run', async () => {
    const reportOnly = await company({ entitlements: { removeDrift: true }, mode: 'report-only' });
    const outcome = await pass(reportOnly.deps, reportOnly.id);
    expect(outcome.entitlements?.findings).toEqual([
      expect.objectContaining({
        action: 'reported',
        reason: 'target is report-only: scimitar never writes to it',
      }),
    ]);
    expect(reportOnly.deps.queue.sent).toEqual([]);
    await target.close();

    const dry = await company({ entitlements: { removeDrift: true }, extra: { dryRun: true } });
    const dryOutcome = await pass(dry.deps, dry.id);
    expect(dryOutcome.entitlements).toMatchObject({ accounts: 1, queued: 0 });
    expect(dry.deps.queue.sent).toEqual([]);
    expect((await auditOf(dry.deps, dry.id, 'E-bob')).map((e) => e.step)).toEqual(['DRY_RUN']);
    expect(target.proxy.requests.filter((r) => r.method !== 'GET')).toEqual([]);
  });

  it('fails the pass as incomplete, naming the check, when two groups carry a managed name', async () => {
    const { id, deps } = await company();
    target.app.seed({ groups: [{ displayName: 'Finance' }] });
    const outcome = await pass(deps, id);
    expect(outcome.status).toBe('incomplete');
    expect(outcome.error).toContain(
      'EntitlementDriftCheckError: entitlement drift check of the managed groups failed',
    );
    expect(outcome.error).toContain('refusing to choose one');
    expect(outcome.entitlements).toBeUndefined();
    expect((await deps.store.target(id)).last?.status).toBe('incomplete');
  });

  it('fails the pass as incomplete when the server fails to list groups, never calling it clean', async () => {
    const { id, deps } = await company();
    target.proxy.inject(
      { kind: 'status', status: 403, body: '{"status":"403","detail":"no"}' },
      { times: 10, when: (r) => r.url.includes('/Groups') },
    );
    const outcome = await pass(deps, id);
    expect(outcome.status).toBe('incomplete');
    expect(outcome.error).toContain('entitlement drift check');
    expect(outcome.error).toContain('/Groups');
  });

  it('finds a managed group whose name holds quotes and backslashes exactly, never by a broken filter', async () => {
    target = await startTarget();
    const id = freshId('ent');
    const tricky = 'Eng "core" \\ team';
    const config = configFor([
      {
        id,
        baseUrl: target.proxy.url,
        entitlements: {
          managedGroups: [tricky],
          rules: [{ group: tricky, when: { department: 'Engineering' } }],
        },
      },
    ]);
    const deps = depsFor(dynamo, config);
    target.app.seed({
      users: [{ userName: 'bob@example.com' }],
      groups: [
        { displayName: tricky, members: ['bob@example.com'] },
        { displayName: 'Eng core team', members: [] },
      ],
    });
    deps.roster.roster = {
      asOf: ago(60_000),
      people: [{ employeeId: 'E-bob', userName: 'bob@example.com', attributes: { department: 'Sales' } }],
    };
    const outcome = await pass(deps, id);
    expect(outcome.entitlements).toMatchObject({ groupsRead: 1, accounts: 1 });
    expect(outcome.entitlements?.findings[0]?.groups).toEqual([tricky]);
  });

  it('leaves out members that are groups, and members the pass did not list as users (an oversized id too)', async () => {
    const { id, deps } = await company();
    const groups = [...target.app.groups.values()];
    const finance = groups.find((g) => g.displayName === 'finance');
    const everyone = groups.find((g) => g.displayName === 'everyone');
    finance?.members.push(
      { value: everyone?.id ?? '', type: 'Group' } as never,
      { value: 'gone-1' } as never,
      { value: 'x'.repeat(2_000) } as never,
    );
    target.proxy.reset();
    const outcome = await pass(deps, id);
    const read = target.proxy.requests.find((r) => r.url.includes(`/Groups/${finance?.id}`));
    // The server does list the group as a member; the check does not take it for an account.
    expect(read).toBeDefined();
    expect(outcome.status).toBe('complete');
    expect(outcome.entitlements).toMatchObject({
      members: 8,
      accounts: 1,
      notJudged: { unknownAccount: 2, notManaged: 2, noAttributes: 1 },
    });
  });

  it('does not check targets without entitlement rules', async () => {
    target = await startTarget();
    const id = freshId('ent');
    const deps = depsFor(dynamo, configFor([{ id, baseUrl: target.proxy.url }]));
    target.app.seed({
      users: [{ userName: 'a@example.com' }],
      groups: [{ displayName: 'g', members: ['a@example.com'] }],
    });
    deps.roster.roster = { asOf: ago(60_000), people: [{ employeeId: 'E1', userName: 'a@example.com' }] };
    target.proxy.reset();
    const outcome = await pass(deps, id);
    expect(outcome.status).toBe('complete');
    expect(outcome.entitlements).toBeUndefined();
    expect(target.proxy.requests.some((r) => r.url.includes('/Groups'))).toBe(false);
  });
});
