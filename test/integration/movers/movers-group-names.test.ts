// docs/entitlements.md, step 2 of a mover's lane: a managed group name holding `"`, `\` or a control
// character is never put into a filter (many servers' filter parsers get JSON escapes wrong): the
// groups are listed instead, and the group is still found and updated. The quote is covered in
// test/integration/scim/memberships.test.ts; this covers the backslash and a control character.
// The demo SCIM application on loopback, through the client the lane uses.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ScimTarget, startTarget } from '../../support/scim-target.ts';

const MOVER = 'names.mover@example.com';
const BACKSLASH = 'r\\d';
const CONTROL = 'on\tcall';
let target: ScimTarget;
beforeAll(async () => {
  target = await startTarget();
  target.app.seed({
    users: [{ userName: MOVER }],
    groups: [
      { displayName: BACKSLASH, members: [MOVER] },
      { displayName: CONTROL, members: [MOVER] },
      { displayName: 'engineering', members: [MOVER] },
    ],
  });
});
afterAll(() => target.close());

describe('SCIM client: managed group names a filter would mangle', () => {
  it('finds groups named with a backslash or a control character by listing, never by filter, and removes the member', async () => {
    target.app.requests.length = 0;
    const evidence = await target.client().updateMemberships({
      match: { attribute: 'userName', value: MOVER },
      managedGroups: [BACKSLASH, CONTROL, 'engineering'],
      decide: () => ({ remove: [BACKSLASH, CONTROL], add: [] }),
    });
    expect([...(evidence.change?.removed ?? [])].sort()).toEqual([CONTROL, BACKSLASH].sort());
    const id = target.app.userByName(MOVER)?.id;
    const memberOf = [...target.app.groups.values()]
      .filter((g) => g.members.some((m) => m.value === id))
      .map((g) => g.displayName);
    expect(memberOf).toEqual(['engineering']);
    const filters = target.app.requests
      .filter((r) => r.method === 'GET' && r.path.includes('filter='))
      .map((r) => new URLSearchParams(r.path.split('?')[1]).get('filter') ?? '');
    expect(filters.some((f) => f.includes('\\') || f.includes('\t'))).toBe(false);
    expect(filters.some((f) => f.includes('r\\\\d') || f.includes('\\t'))).toBe(false);
  });
});
