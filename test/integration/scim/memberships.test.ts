import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  PATCH_OP_SCHEMA,
  ScimAmbiguousMatchError,
  ScimVerificationError,
} from '../../../lambdas/core/scim/index.ts';
import { type ScimTarget, startTarget, TOKEN } from '../../support/scim-target.ts';

let target: ScimTarget;
const MANAGED = ['engineering', 'sales', 'on-call'];

function reseed() {
  for (const id of [...target.app.users.keys()]) (target.app.users as Map<string, unknown>).delete(id);
  for (const id of [...target.app.groups.keys()]) (target.app.groups as Map<string, unknown>).delete(id);
  target.app.seed({
    users: [{ userName: 'mover@example.com' }, { userName: 'stayer@example.com' }],
    groups: [
      { displayName: 'engineering', members: ['mover@example.com', 'stayer@example.com'] },
      { displayName: 'on-call', members: ['mover@example.com'] },
      { displayName: 'sales', members: ['stayer@example.com'] },
      // Not managed: never touched.
      { displayName: 'book-club', members: ['mover@example.com'] },
    ],
  });
  target.app.requests.length = 0;
  target.proxy.reset();
}

const memberships = (userName: string) => {
  const id = target.app.userByName(userName)?.id;
  return [...target.app.groups.values()]
    .filter((g) => g.members.some((m) => m.value === id))
    .map((g) => g.displayName)
    .sort();
};
const match = { attribute: 'userName', value: 'mover@example.com' } as const;
const groupWrites = () =>
  target.app.requests.filter((r) => r.method !== 'GET').map((r) => `${r.method} ${r.path.split('/')[1]}`);

beforeAll(async () => {
  target = await startTarget();
});
afterAll(() => target.close());
beforeEach(reseed);

describe('SCIM client: a mover’s managed group memberships', () => {
  it('removes the managed groups the caller drops, reads back, and leaves every other group alone', async () => {
    const evidence = await target.client().updateMemberships({
      match,
      managedGroups: MANAGED,
      decide: ({ memberOf }) => ({ remove: memberOf.filter((g) => g !== 'engineering'), add: [] }),
    });
    expect(evidence.outcome).toBe('updated');
    expect([...(evidence.before ?? [])].sort()).toEqual(['engineering', 'on-call']);
    expect(evidence.change).toEqual({ removed: ['on-call'], alreadyAbsent: [], added: [] });
    expect(evidence.after).toEqual(['engineering']);
    expect(memberships('mover@example.com')).toEqual(['book-club', 'engineering']);
    expect(memberships('stayer@example.com')).toEqual(['engineering', 'sales']);
    expect(groupWrites()).toEqual(['PATCH Groups']);
  });

  it('adds a granted managed group with the RFC add operation, and verifies it', async () => {
    const id = target.app.userByName('mover@example.com')?.id;
    const evidence = await target.client().updateMemberships({
      match,
      managedGroups: MANAGED,
      decide: () => ({ remove: [], add: ['sales'] }),
    });
    expect(evidence.change?.added).toEqual(['sales']);
    expect(memberships('mover@example.com')).toEqual(['book-club', 'engineering', 'on-call', 'sales']);
    const patch = target.app.requests.find((r) => r.method === 'PATCH');
    expect(patch?.body).toEqual({
      schemas: [PATCH_OP_SCHEMA],
      Operations: [{ op: 'add', path: 'members', value: [{ value: id }] }],
    });
  });

  it('never writes a group that is not managed, whatever the caller asks', async () => {
    const evidence = await target.client().updateMemberships({
      match,
      managedGroups: MANAGED,
      decide: () => ({ remove: ['book-club'], add: ['book-club'] }),
    });
    expect(evidence.outcome).toBe('unchanged');
    expect(groupWrites()).toEqual([]);
    expect(memberships('mover@example.com')).toEqual(['book-club', 'engineering', 'on-call']);
  });

  it('answers no-account and writes nothing when nobody matches', async () => {
    const evidence = await target.client().updateMemberships({
      match: { attribute: 'userName', value: 'nobody@example.com' },
      managedGroups: MANAGED,
      decide: () => ({ remove: MANAGED, add: [] }),
    });
    expect(evidence.outcome).toBe('no-account');
    expect(groupWrites()).toEqual([]);
  });

  it('reports configured managed groups the target lacks, and reads nothing for them', async () => {
    const evidence = await target.client().updateMemberships({
      match,
      managedGroups: [...MANAGED, 'finance'],
      decide: () => ({ remove: [], add: ['finance'] }),
    });
    expect(evidence.missing).toEqual(['finance']);
    expect(evidence.outcome).toBe('unchanged');
  });

  it('reads each managed group when the server refuses the member search', async () => {
    target.proxy.inject(
      {
        kind: 'status',
        status: 400,
        body: JSON.stringify({ status: '400', scimType: 'invalidFilter', detail: 'members not filterable' }),
      },
      { when: (r) => r.url.includes('members.value'), times: 10 },
    );
    const evidence = await target.client().updateMemberships({
      match,
      managedGroups: MANAGED,
      decide: () => ({ remove: ['on-call', 'engineering'], add: [] }),
    });
    expect(evidence.source).toBe('group-read');
    expect([...(evidence.change?.removed ?? [])].sort()).toEqual(['engineering', 'on-call']);
    expect(memberships('mover@example.com')).toEqual(['book-club']);
  });

  it('counts a noTarget answer to a removal as already gone', async () => {
    target.proxy.inject({ kind: 'noTarget' }, { when: (r) => r.method === 'PATCH' });
    const evidence = await target.client().updateMemberships({
      match,
      managedGroups: MANAGED,
      decide: () => ({ remove: ['on-call'], add: [] }),
    });
    expect(evidence.change).toEqual({ removed: [], alreadyAbsent: ['on-call'], added: [] });
  });

  it('fails verification when the server says yes but keeps the member', async () => {
    // The server answers the removal 200 without applying it.
    target.proxy.inject(
      { kind: 'status', status: 204, body: '' },
      { when: (r) => r.method === 'PATCH', times: 1 },
    );
    await expect(
      target.client().updateMemberships({
        match,
        managedGroups: MANAGED,
        decide: () => ({ remove: ['on-call'], add: [] }),
      }),
    ).rejects.toBeInstanceOf(ScimVerificationError);
  });

  it('refuses to choose between two groups of the same name', async () => {
    target.app.seed({ groups: [{ displayName: 'Sales' }] });
    await expect(
      target
        .client()
        .updateMemberships({ match, managedGroups: MANAGED, decide: () => ({ remove: [], add: [] }) }),
    ).rejects.toBeInstanceOf(ScimAmbiguousMatchError);
    expect(groupWrites()).toEqual([]);
  });

  it('finds a group whose name holds a quote by listing, never by an injected filter', async () => {
    target.app.seed({ groups: [{ displayName: 'r&d "labs"', members: ['mover@example.com'] }] });
    const evidence = await target.client().updateMemberships({
      match,
      managedGroups: ['r&d "labs"', 'sales" or displayName pr or "'],
      decide: ({ memberOf }) => ({ remove: [...memberOf], add: [] }),
    });
    expect(evidence.change?.removed).toEqual(['r&d "labs"']);
    expect(evidence.missing).toEqual(['sales" or displayName pr or "']);
    expect(memberships('mover@example.com')).toEqual(['book-club', 'engineering', 'on-call']);
    const searches = target.app.requests.filter((r) => r.path.startsWith('/Groups?'));
    expect(searches.some((r) => decodeURIComponent(r.path).includes(' or '))).toBe(false);
  });

  it('stops before any write when the caller’s last word throws', async () => {
    await expect(
      target.client().updateMemberships({
        match,
        managedGroups: MANAGED,
        decide: () => ({ remove: ['on-call'], add: [] }),
        beforeChanges: async () => {
          throw new Error('rescinded');
        },
      }),
    ).rejects.toThrow('rescinded');
    expect(groupWrites()).toEqual([]);
    expect(memberships('mover@example.com')).toContain('on-call');
  });
});

describe('demo SCIM application: group membership', () => {
  it('refuses to add a member that is not one of its users, as SCIM servers do', async () => {
    const group = [...target.app.groups.values()].find((g) => g.displayName === 'sales');
    const response = await fetch(`${target.app.url}/Groups/${group?.id}`, {
      method: 'PATCH',
      headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/scim+json' },
      body: JSON.stringify({
        schemas: [PATCH_OP_SCHEMA],
        Operations: [{ op: 'add', path: 'members', value: [{ value: 'no-such-user' }] }],
      }),
    });
    expect(response.status).toBe(400);
    expect(await response.json()).toMatchObject({ scimType: 'invalidValue' });
    expect(group?.members.some((m) => m.value === 'no-such-user')).toBe(false);
  });

  it('matches a group displayName without regard to case (RFC 7643 caseExact=false)', async () => {
    const response = await fetch(
      `${target.app.url}/Groups?filter=${encodeURIComponent('displayName eq "SALES"')}`,
      { headers: { authorization: `Bearer ${TOKEN}` } },
    );
    const list = (await response.json()) as { totalResults: number };
    expect(list.totalResults).toBe(1);
  });
});

describe('SCIM client: a read-only memberships update', () => {
  it('decides and writes nothing', async () => {
    const evidence = await target.client().updateMemberships({
      match,
      managedGroups: MANAGED,
      decide: () => ({ remove: ['on-call'], add: ['sales'] }),
      readOnly: true,
    });
    expect(evidence.outcome).toBe('would-update');
    expect(evidence.plan).toEqual({ remove: ['on-call'], add: ['sales'] });
    expect(groupWrites()).toEqual([]);
  });
});

describe('SCIM client: memberships at a server that understands only eq (AWS IAM Identity Center)', () => {
  it('asks each managed group with `id eq … and members eq …`, never reads members, and removes', async () => {
    const evidence = await target.client({ filter: 'eq-only' }).updateMemberships({
      match,
      managedGroups: MANAGED,
      decide: () => ({ remove: ['on-call'], add: [] }),
    });
    expect(evidence.source).toBe('group-filter');
    expect([...(evidence.before ?? [])].sort()).toEqual(['engineering', 'on-call']);
    expect(evidence.after).toEqual(['engineering']);
    expect(memberships('mover@example.com')).toEqual(['book-club', 'engineering']);
    const reads = target.app.requests.filter((r) => r.method === 'GET' && r.path.startsWith('/Groups'));
    expect(reads.some((r) => /^\/Groups\/[^?]/.test(r.path))).toBe(false);
    expect(reads.some((r) => decodeURIComponent(r.path).includes('members.value'))).toBe(false);
    expect(reads.some((r) => decodeURIComponent(r.path).includes('attributes='))).toBe(false);
    expect(
      reads.filter((r) => / and members eq /.test(decodeURIComponent(r.path.replace(/\+/g, ' ')))),
    ).not.toEqual([]);
  });
});
