// Values built to break filters: the client must write to the exact account or to none, and every
// decoy must stay active.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type ScimTarget, startTarget } from '../../support/scim-target.ts';

let target: ScimTarget;

const LONG = `${'x'.repeat(1_990)}@e.com`;
const DECOYS = [
  'alice',
  'bob',
  'carol',
  'admin',
  'alice" or "1"="1',
  'back\\slash',
  'back\\\\slash',
  'back',
  'bob) or (userName pr',
  'eve or userName pr',
  'Ünïcødé-名前@example.com',
  'unicode-name@example.com',
  LONG,
  `${'x'.repeat(1_990)}@e.co`,
  'quote"',
  'quote',
  'line\nbreak',
];

beforeAll(async () => {
  target = await startTarget({ maxResults: 5 });
  target.app.seed({ users: DECOYS.map((userName) => ({ userName })) });
});
afterAll(() => target.close());
beforeEach(() => {
  target.proxy.reset();
  for (const user of target.app.users.values()) user.active = true;
});

function onlyDeactivated(userName: string): void {
  const inactive = [...target.app.users.values()].filter((u) => !u.active).map((u) => u.userName);
  expect(inactive).toEqual([userName]);
}

describe('SCIM client: filter injection', () => {
  const cases: [string, string][] = [
    ['a quote that closes the string early', 'alice" or "1"="1'],
    ['a backslash', 'back\\slash'],
    ['two backslashes', 'back\\\\slash'],
    ['parentheses and an or', 'bob) or (userName pr'],
    ['an or with a presence test', 'eve or userName pr'],
    ['unicode', 'Ünïcødé-名前@example.com'],
    ['a 2,000-character value', LONG],
    ['a trailing quote', 'quote"'],
    ['a line break', 'line\nbreak'],
  ];

  for (const [what, userName] of cases) {
    it(`revokes exactly the account whose userName holds ${what}`, async () => {
      const evidence = await target.client().revoke({
        match: { attribute: 'userName', value: userName },
        action: 'deactivate',
      });
      expect(evidence.outcome).toBe('revoked');
      expect(evidence.account?.userName).toBe(userName);
      onlyDeactivated(userName);
    });

    it(`revokes exactly that account when the server ignores the filter (${what})`, async () => {
      target.proxy.misbehave({ ignoreFilter: true });
      const evidence = await target.client().revoke({
        match: { attribute: 'userName', value: userName },
        action: 'deactivate',
      });
      expect(evidence.account?.userName).toBe(userName);
      onlyDeactivated(userName);
    });
  }

  const absent: [string, string][] = [
    ['an injected always-true clause', 'nobody" or "1"="1'],
    ['an injected presence test', 'nobody) or (userName pr'],
    ['a bare presence test', 'userName pr'],
    ['a prefix of a real userName', 'alic'],
    ['an escaped backslash that SCIMMY reads literally', 'back\\\\\\slash'],
  ];
  for (const [what, userName] of absent) {
    it(`writes nothing for ${what}`, async () => {
      target.proxy.misbehave({ ignoreFilter: true });
      const evidence = await target.client().revoke({
        match: { attribute: 'userName', value: userName },
        action: 'deactivate',
      });
      expect(evidence.outcome).toBe('no-account');
      expect(target.proxy.requests.filter((r) => r.method !== 'GET')).toEqual([]);
      expect([...target.app.users.values()].every((u) => u.active)).toBe(true);
    });
  }

  it('finds a value SCIMMY cannot parse by reading the whole list', async () => {
    const result = await target.client().findAccount({ attribute: 'userName', value: 'alice" or "1"="1' });
    expect(result).toMatchObject({ status: 'found', account: { userName: 'alice" or "1"="1' } });
    const gets = target.proxy.requests.filter((r) => r.method === 'GET');
    expect(gets.every((r) => !r.url.includes('filter='))).toBe(true);
    // 17 users in pages of 5.
    expect(gets).toHaveLength(4);
  });
});
