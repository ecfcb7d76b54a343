import { describe, expect, it } from 'vitest';
import {
  buildFilter,
  isFilterSafe,
  matchesExactly,
  type ScimAccount,
} from '../../../lambdas/core/scim/index.ts';

const account = (over: Partial<ScimAccount> = {}): ScimAccount => ({
  id: '1',
  userName: 'alice@example.com',
  emails: [],
  groupIds: [],
  ...over,
});

describe('SCIM filter: building', () => {
  it('writes the value as a JSON string on the attribute path', () => {
    expect(buildFilter({ attribute: 'userName', value: 'alice' })).toBe('userName eq "alice"');
    expect(buildFilter({ attribute: 'externalId', value: 'E-1' })).toBe('externalId eq "E-1"');
    expect(buildFilter({ attribute: 'email', value: 'a@b.c' })).toBe('emails.value eq "a@b.c"');
  });

  it('escapes quotes and backslashes so the value cannot end the string', () => {
    expect(buildFilter({ attribute: 'userName', value: 'alice" or "1"="1' })).toBe(
      'userName eq "alice\\" or \\"1\\"=\\"1"',
    );
    expect(buildFilter({ attribute: 'userName', value: 'a\\b' })).toBe('userName eq "a\\\\b"');
    expect(buildFilter({ attribute: 'userName', value: 'x\ny' })).toBe('userName eq "x\\ny"');
  });

  it('keeps operators inside the value as text', () => {
    const filter = buildFilter({ attribute: 'userName', value: 'bob) or (userName pr' });
    expect(filter).toBe('userName eq "bob) or (userName pr"');
    // URL-encoding the whole filter leaves nothing that splits the query.
    const query = new URLSearchParams({ filter }).toString();
    expect(query).not.toMatch(/[ &"()]/);
  });

  it('tells the values whose filter answer cannot be trusted', () => {
    expect(isFilterSafe('alice@example.com')).toBe(true);
    expect(isFilterSafe('Ünïcødé 名前')).toBe(true);
    expect(isFilterSafe('bob) or (userName pr')).toBe(true);
    expect(isFilterSafe('alice"')).toBe(false);
    expect(isFilterSafe('a\\b')).toBe(false);
    expect(isFilterSafe('tab\there')).toBe(false);
  });
});

describe('SCIM filter: exact comparison', () => {
  it('matches userName without regard to case, and nothing looser', () => {
    const match = { attribute: 'userName', value: 'Alice@Example.com' } as const;
    expect(matchesExactly(account(), match)).toBe(true);
    expect(matchesExactly(account({ userName: 'alice@example.com ' }), match)).toBe(false);
    expect(matchesExactly(account({ userName: 'alice@example.co' }), match)).toBe(false);
    expect(matchesExactly(account({ userName: 'xalice@example.com' }), match)).toBe(false);
  });

  it('matches externalId case-sensitively', () => {
    expect(matchesExactly(account({ externalId: 'E-1' }), { attribute: 'externalId', value: 'E-1' })).toBe(
      true,
    );
    expect(matchesExactly(account({ externalId: 'e-1' }), { attribute: 'externalId', value: 'E-1' })).toBe(
      false,
    );
    expect(matchesExactly(account(), { attribute: 'externalId', value: 'E-1' })).toBe(false);
  });

  it('matches any of the emails without regard to case', () => {
    const a = account({ emails: [{ value: 'old@example.com' }, {}, { value: 'New@Example.com' }] });
    expect(matchesExactly(a, { attribute: 'email', value: 'new@example.com' })).toBe(true);
    expect(matchesExactly(a, { attribute: 'email', value: 'other@example.com' })).toBe(false);
    expect(matchesExactly(account(), { attribute: 'email', value: 'alice@example.com' })).toBe(false);
  });

  it('does not fold Unicode forms together', () => {
    const composed = 'jos\u00e9';
    const decomposed = 'jose\u0301';
    expect(
      matchesExactly(account({ userName: composed }), { attribute: 'userName', value: decomposed }),
    ).toBe(false);
  });
});
