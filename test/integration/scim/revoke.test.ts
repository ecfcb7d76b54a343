import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  PATCH_OP_SCHEMA,
  ScimNotFoundError,
  ScimVerificationError,
} from '../../../lambdas/core/scim/index.ts';
import { type ScimTarget, startTarget } from '../../support/scim-target.ts';

let target: ScimTarget;

function reseed() {
  for (const id of [...target.app.users.keys()]) (target.app.users as Map<string, unknown>).delete(id);
  for (const id of [...target.app.groups.keys()]) (target.app.groups as Map<string, unknown>).delete(id);
  target.app.seed({
    users: [
      { userName: 'leaver@example.com', externalId: 'HR-7' },
      { userName: 'stayer@example.com' },
      { userName: 'gone-quiet@example.com', active: false },
    ],
    groups: [
      { displayName: 'engineering', members: ['leaver@example.com', 'stayer@example.com'] },
      { displayName: 'admins', members: ['leaver@example.com'] },
      { displayName: 'sales', members: ['stayer@example.com'] },
    ],
  });
  target.app.requests.length = 0;
  target.proxy.reset();
}

const user = (userName: string) => {
  const u = target.app.userByName(userName);
  if (!u) throw new Error(`test setup: no user ${userName}`);
  return u;
};
const patches = () => target.app.requests.filter((r) => r.method === 'PATCH');

beforeAll(async () => {
  target = await startTarget();
});
afterAll(() => target.close());
beforeEach(reseed);

describe('SCIM client: deactivate', () => {
  const shapes = [
    ['rfc', { op: 'replace', path: 'active', value: false }],
    ['entra', { op: 'Replace', path: 'active', value: 'False' }],
    ['okta', { op: 'replace', value: { active: false } }],
  ] as const;

  for (const [patchStyle, operation] of shapes) {
    it(`sends the ${patchStyle} PATCH shape and the account ends inactive`, async () => {
      const { id } = user('leaver@example.com');
      await target.client({ patchStyle }).deactivate(id);
      expect(patches()).toEqual([
        {
          method: 'PATCH',
          path: `/Users/${id}`,
          body: { schemas: [PATCH_OP_SCHEMA], Operations: [operation] },
        },
      ]);
      expect(user('leaver@example.com').active).toBe(false);
      expect(user('stayer@example.com').active).toBe(true);
    });
  }

  it('never sends a PUT', async () => {
    await target
      .client()
      .revoke({ match: { attribute: 'userName', value: 'leaver@example.com' }, action: 'deactivate' });
    expect(target.proxy.requests.map((r) => r.method)).not.toContain('PUT');
  });

  it('accepts 204 without a body', async () => {
    const { id } = user('leaver@example.com');
    // The proxy answers 204 itself after the real PATCH went through.
    target.proxy.inject({ kind: 'status', status: 204 }, { when: (r) => r.method === 'PATCH' });
    await expect(target.client().deactivate(id)).resolves.toBeUndefined();
  });

  it('fails with a not-found error for an unknown id', async () => {
    await expect(target.client().deactivate('no-such-id')).rejects.toThrow(ScimNotFoundError);
  });
});

describe('SCIM client: revoke', () => {
  it('finds, deactivates, reads back and returns evidence', async () => {
    const { id } = user('leaver@example.com');
    const evidence = await target.client().revoke({
      match: { attribute: 'externalId', value: 'HR-7' },
      action: 'deactivate',
    });
    expect(evidence).toMatchObject({
      outcome: 'revoked',
      account: { id, userName: 'leaver@example.com', active: true },
      verified: { active: false },
    });
    expect(evidence.requests.map((r) => `${r.method} ${r.path.split('?')[0]} ${r.status}`)).toEqual([
      'GET /Users 200',
      `PATCH /Users/${id} 200`,
      `GET /Users/${id} 200`,
    ]);
    expect(evidence.requests[0]?.path).toContain('filter=externalId+eq+%22HR-7%22');
    for (const r of evidence.requests) expect(r.durationMs).toBeGreaterThanOrEqual(0);
    expect(user('leaver@example.com').active).toBe(false);
    expect(user('stayer@example.com').active).toBe(true);
  });

  it('reports no-account and writes nothing for someone the target does not know', async () => {
    const evidence = await target.client().revoke({
      match: { attribute: 'userName', value: 'stranger@example.com' },
      action: 'delete',
    });
    expect(evidence).toEqual({
      outcome: 'no-account',
      requests: [expect.objectContaining({ method: 'GET' })],
    });
    expect(target.proxy.requests.every((r) => r.method === 'GET')).toBe(true);
  });

  it('still deactivates an inactive account, verifies it, and reports already-revoked', async () => {
    const evidence = await target.client().revoke({
      match: { attribute: 'userName', value: 'gone-quiet@example.com' },
      action: 'deactivate',
    });
    expect(evidence).toMatchObject({ outcome: 'already-revoked', verified: { active: false } });
    expect(patches()).toHaveLength(1);
  });

  it('deletes and verifies the account is gone', async () => {
    const { id } = user('leaver@example.com');
    const evidence = await target.client().revoke({
      match: { attribute: 'userName', value: 'leaver@example.com' },
      action: 'delete',
    });
    expect(evidence).toMatchObject({ outcome: 'revoked', verified: { deleted: true } });
    expect(evidence.requests.map((r) => `${r.method} ${r.status}`)).toEqual([
      'GET 200',
      'DELETE 204',
      'GET 404',
    ]);
    expect(target.app.users.has(id)).toBe(false);
    expect(target.app.userByName('stayer@example.com')).toBeDefined();
  });

  it('treats a 404 on DELETE as already gone, flagged', async () => {
    const { id } = user('leaver@example.com');
    expect(await target.client().delete(id)).toEqual({ alreadyGone: false });
    expect(await target.client().delete(id)).toEqual({ alreadyGone: true });
  });

  for (const [action, method] of [
    ['delete', 'DELETE'],
    ['deactivate', 'PATCH'],
  ] as const) {
    it(`reports already-revoked when the account vanishes between find and ${method}`, async () => {
      const { id } = user('leaver@example.com');
      // Someone else deletes the account just as our write arrives.
      target.proxy.inject(
        { kind: 'status', status: 404 },
        {
          when: (r) => {
            if (r.method !== method) return false;
            (target.app.users as Map<string, unknown>).delete(id);
            return true;
          },
        },
      );
      const evidence = await target.client().revoke({
        match: { attribute: 'userName', value: 'leaver@example.com' },
        action,
      });
      expect(evidence).toMatchObject({
        outcome: 'already-revoked',
        alreadyGone: true,
        verified: { deleted: true },
      });
    });
  }

  it('fails verification when the server accepted the PATCH but the account stays active', async () => {
    // The proxy answers 200 to the PATCH without forwarding it: a server that acknowledges and drops.
    target.proxy.inject({ kind: 'status', status: 200, body: '{}' }, { when: (r) => r.method === 'PATCH' });
    const revoke = target.client().revoke({
      match: { attribute: 'userName', value: 'leaver@example.com' },
      action: 'deactivate',
    });
    await expect(revoke).rejects.toThrow(ScimVerificationError);
    const err = (await revoke.catch((e: unknown) => e)) as ScimVerificationError;
    expect(err.retryable).toBe(true);
    expect(err.method).toBe('GET');
    expect(user('leaver@example.com').active).toBe(true);
  });

  it('fails verification when a DELETE was acknowledged but the account still reads active', async () => {
    target.proxy.inject({ kind: 'status', status: 204 }, { when: (r) => r.method === 'DELETE' });
    await expect(
      target
        .client()
        .revoke({ match: { attribute: 'userName', value: 'leaver@example.com' }, action: 'delete' }),
    ).rejects.toThrow(ScimVerificationError);
  });

  it('accepts the string "False" that Entra-facing servers answer for active', async () => {
    const { id } = user('leaver@example.com');
    target.proxy.inject(
      {
        kind: 'malformed',
        status: 200,
        body: JSON.stringify({ id, userName: 'leaver@example.com', active: 'False' }),
      },
      { when: (r) => r.method === 'GET' && r.url.includes(`/Users/${id}`) },
    );
    await expect(target.client().verify(id, 'deactivate')).resolves.toEqual({ active: false });
  });

  it('fails verification when the server does not state active at all', async () => {
    const { id } = user('leaver@example.com');
    target.proxy.inject(
      { kind: 'malformed', status: 200, body: JSON.stringify({ id, userName: 'leaver@example.com' }) },
      { when: (r) => r.method === 'GET' },
    );
    await expect(target.client().verify(id, 'deactivate')).rejects.toThrow(/does not state `active`/);
  });
});

describe('SCIM client: groups', () => {
  const memberships = (userName: string) =>
    [...target.app.groups.values()]
      .filter((g) => g.members.some((m) => m.value === user(userName).id))
      .map((g) => g.displayName)
      .sort();

  it('removes the user from every group with the RFC path filter, leaving others in place', async () => {
    const { id } = user('leaver@example.com');
    const result = await target.client().removeFromGroups(id);
    expect(result.removed).toHaveLength(2);
    expect(result.alreadyAbsent).toEqual([]);
    expect(memberships('leaver@example.com')).toEqual([]);
    expect(memberships('stayer@example.com')).toEqual(['engineering', 'sales']);
    for (const p of patches()) {
      expect(p.body).toEqual({
        schemas: [PATCH_OP_SCHEMA],
        Operations: [{ op: 'remove', path: `members[value eq "${id}"]` }],
      });
    }
  });

  it('removes the user with the Entra shape', async () => {
    const { id } = user('leaver@example.com');
    await target.client({ patchStyle: 'entra' }).removeFromGroups(id);
    expect(memberships('leaver@example.com')).toEqual([]);
    expect(memberships('stayer@example.com')).toEqual(['engineering', 'sales']);
    expect(patches().map((p) => p.body)).toEqual([
      { schemas: [PATCH_OP_SCHEMA], Operations: [{ op: 'Remove', path: 'members', value: [{ value: id }] }] },
      { schemas: [PATCH_OP_SCHEMA], Operations: [{ op: 'Remove', path: 'members', value: [{ value: id }] }] },
    ]);
  });

  it('counts a noTarget answer as already removed', async () => {
    const { id } = user('leaver@example.com');
    target.proxy.inject({ kind: 'noTarget' }, { when: (r) => r.method === 'PATCH' });
    const result = await target.client().removeFromGroups(id);
    expect(result.removed).toHaveLength(1);
    expect(result.alreadyAbsent).toHaveLength(1);
  });

  it('uses only the user’s groups attribute when the server refuses the member search', async () => {
    const { id } = user('leaver@example.com');
    target.proxy.inject(
      {
        kind: 'status',
        status: 400,
        body: JSON.stringify({ status: '400', scimType: 'invalidFilter', detail: 'members not filterable' }),
      },
      { when: (r) => r.url.startsWith('/scim/v2/Groups?') },
    );
    const result = await target.client().removeFromGroups(id);
    expect(result).toMatchObject({ groupSearchRefused: true });
    expect(result.removed).toHaveLength(2);
    expect(memberships('leaver@example.com')).toEqual([]);
  });

  it('removes groups before deactivating when revoke is asked to', async () => {
    const evidence = await target.client().revoke({
      match: { attribute: 'userName', value: 'leaver@example.com' },
      action: 'deactivate',
      removeFromGroups: true,
    });
    expect(evidence.groups?.removed).toHaveLength(2);
    const methods = evidence.requests.map((r) => `${r.method} ${r.path.split('?')[0]?.split('/')[1]}`);
    expect(methods).toEqual([
      'GET Users',
      'GET Users',
      'GET Groups',
      'PATCH Groups',
      'PATCH Groups',
      'PATCH Users',
      'GET Users',
    ]);
    expect(memberships('leaver@example.com')).toEqual([]);
    expect(user('leaver@example.com').active).toBe(false);
  });
});
