// Okta session target, match by email: Okta's user path resolves a login, not a profile email, so a
// person whose login is not their work email is found by the List Users search `profile.email eq`
// (case-insensitive, deprovisioned users no candidates) after the login lookup's 404. The fake Okta on loopback (behind the fault-injecting proxy for a
// garbage answer); nothing mocked.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { parseConfig } from '../../../lambdas/core/model/config.ts';
import {
  ScimAmbiguousMatchError,
  ScimMalformedResponseError,
  ScimPermanentError,
} from '../../../lambdas/core/scim/index.ts';
import { sessionRevokerFor } from '../../../lambdas/core/sessions/revoker.ts';
import { type FakeOkta, startFakeOkta } from '../../../local/fakes/okta.ts';
import { InMemorySecretSource } from '../../support/fakes.ts';
import { type FaultyScim, startFaultyScim } from '../../support/faulty-scim.ts';

const TOKEN = 'okta-email-token-secret';
const SECRET_ID = 'okta-email-test/targets/sso';

let okta: FakeOkta;
let proxy: FaultyScim;
beforeAll(async () => {
  okta = await startFakeOkta({
    token: TOKEN,
    users: [
      // Login from a legacy domain; the work email (plus-addressed) only in the profile.
      { id: '00ujane', login: 'jdoe@legacy.example', email: 'jane.doe+it@corp.example' },
      // Two people sharing one profile email (a shared mailbox, a rehire).
      { id: '00ushared1', login: 'ops1@legacy.example', email: 'ops@corp.example' },
      { id: '00ushared2', login: 'ops2@legacy.example', email: 'ops@corp.example' },
      // Whom a widened search would reach.
      { id: '00uvictim', login: 'victim@corp.example', email: 'victim@corp.example' },
      // A rehire: the old account deprovisioned, the new one active, one email.
      { id: '00urehireold', login: 'sam@legacy.example', email: 'sam@corp.example', status: 'DEPROVISIONED' },
      { id: '00urehire', login: 'sam.k@legacy.example', email: 'sam@corp.example' },
    ],
  });
  proxy = await startFaultyScim(okta.url);
});
afterAll(async () => {
  await proxy.close();
  await okta.close();
});
beforeEach(() => proxy.reset());

function revoker() {
  const target = parseConfig({
    stackName: 'okta-email-test',
    sources: [{ id: 'hr', kind: 'generic' }],
    targets: [
      {
        id: 'sso',
        displayName: 'Okta sessions',
        owner: 'it@example.com',
        kind: 'session',
        provider: 'okta',
        baseUrl: proxy.url,
      },
    ],
  }).targets[0];
  if (target?.kind !== 'session') throw new Error('unreachable');
  return sessionRevokerFor(target, {
    secretId: SECRET_ID,
    secrets: new InMemorySecretSource({ [SECRET_ID]: TOKEN }),
    throttleWaitMaxMs: 0,
  });
}

const byEmail = (value: string) => ({
  match: { attribute: 'email' as const, value },
  action: 'revoke-sessions' as const,
});
const searchPath = (value: string) =>
  `/api/v1/users?search=${encodeURIComponent(`profile.email eq "${value}"`)}`;
/** What the fake received since `from`, query decoded as it parsed it. */
const received = (from: number) => okta.requests.slice(from).map(decodeURIComponent);

describe('Session target okta: match by email', () => {
  it('finds a user whose login is not their email by the profile.email search, and signs that user out', async () => {
    const from = okta.requests.length;
    const cleared = okta.cleared.length;
    const evidence = await revoker().revoke(byEmail('jane.doe+it@corp.example'));
    expect(evidence.outcome).toBe('revoked');
    expect(evidence.account).toEqual({ id: '00ujane', userName: 'jdoe@legacy.example' });
    expect(evidence.requests.map((r) => `${r.method} ${r.path} ${r.status}`)).toEqual([
      'GET /api/v1/users/jane.doe%2Bit%40corp.example 404',
      `GET ${searchPath('jane.doe+it@corp.example')} 200`,
      'DELETE /api/v1/users/00ujane/sessions?oauthTokens=true 204',
    ]);
    // The fake read one search with the plus intact (URL-encoded, not a space).
    expect(received(from)[1]).toBe('GET /api/v1/users?search=profile.email eq "jane.doe+it@corp.example"');
    expect(okta.cleared.slice(cleared)).toEqual([{ userId: '00ujane', oauthTokens: true }]);
  });

  it('refuses when two users have the email, naming the target and the count; nobody is signed out', async () => {
    const err = await revoker()
      .revoke(byEmail('ops@corp.example'))
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ScimAmbiguousMatchError);
    expect(String(err)).toMatch(/session target sso: 2 Okta users have the profile email "ops@corp.example"/);
    expect((err as ScimAmbiguousMatchError).accountIds).toEqual(['00ushared1', '00ushared2']);
    expect(String(err)).not.toContain(TOKEN);
    expect(proxy.requests.map((r) => r.method)).toEqual(['GET', 'GET']);
    expect(okta.cleared.map((c) => c.userId)).not.toContain('00ushared1');
    expect(okta.cleared.map((c) => c.userId)).not.toContain('00ushared2');
  });

  it("refuses a value that could leave the search's quotes, sending no search; nobody else is signed out", async () => {
    for (const hostile of [
      'a" or profile.email sw "',
      'nobody" or profile.email eq "victim@corp.example',
      'x\\" or profile.email eq \\"victim@corp.example',
      'nobody@corp.example\r\nX-Injected: 1',
    ]) {
      proxy.reset();
      const err = await revoker()
        .revoke(byEmail(hostile))
        .catch((e: unknown) => e);
      expect(err).toBeInstanceOf(ScimPermanentError);
      expect(String(err)).toMatch(/session target sso: .*cannot be quoted safely/);
      // Only the login lookup, the value one path segment.
      expect(proxy.requests.map((r) => `${r.method} ${r.url}`)).toEqual([
        `GET /api/v1/users/${encodeURIComponent(hostile)}`,
      ]);
    }
    // Quoted whole, ` or ` is part of the email asked for, not of the search: nobody has it.
    const from = okta.requests.length;
    const plain = await revoker().revoke(byEmail('nobody or profile.email eq victim@corp.example'));
    expect(plain.outcome).toBe('no-account');
    expect(received(from)[1]).toBe(
      'GET /api/v1/users?search=profile.email eq "nobody or profile.email eq victim@corp.example"',
    );
    expect(okta.cleared.map((c) => c.userId)).not.toContain('00uvictim');
  });

  it('treats an email neither lookup knows as no account, after exactly the two lookups', async () => {
    const evidence = await revoker().revoke(byEmail('ghost@corp.example'));
    expect(evidence.outcome).toBe('no-account');
    expect(evidence.requests.map((r) => `${r.method} ${r.path} ${r.status}`)).toEqual([
      'GET /api/v1/users/ghost%40corp.example 404',
      `GET ${searchPath('ghost@corp.example')} 200`,
    ]);
  });

  it('matching by userName, looks up the login alone: no search', async () => {
    const evidence = await revoker().revoke({
      match: { attribute: 'userName', value: 'ghost@corp.example' },
      action: 'revoke-sessions',
    });
    expect(evidence.outcome).toBe('no-account');
    expect(evidence.requests.map((r) => `${r.method} ${r.path}`)).toEqual([
      'GET /api/v1/users/ghost%40corp.example',
    ]);
  });

  it('finds an email stored at Okta in other capitals: its search compares values ignoring case', async () => {
    const cleared = okta.cleared.length;
    const evidence = await revoker().revoke(byEmail('Jane.Doe+IT@corp.example'));
    expect(evidence.outcome).toBe('revoked');
    expect(evidence.account).toEqual({ id: '00ujane', userName: 'jdoe@legacy.example' });
    expect(evidence.requests.map((r) => r.status)).toEqual([404, 200, 204]);
    expect(okta.cleared.slice(cleared)).toEqual([{ userId: '00ujane', oauthTokens: true }]);
  });

  it('passes over a deprovisioned account sharing the email: the active one is signed out, not refused', async () => {
    const cleared = okta.cleared.length;
    const evidence = await revoker().revoke(byEmail('sam@corp.example'));
    expect(evidence.outcome).toBe('revoked');
    expect(evidence.account).toEqual({ id: '00urehire', userName: 'sam.k@legacy.example' });
    expect(okta.cleared.slice(cleared)).toEqual([{ userId: '00urehire', oauthTokens: true }]);
  });

  it('fails with a garbage-answer error when the search is not answered with a JSON array', async () => {
    proxy.inject(
      { kind: 'malformed', status: 200, body: '{"id":"00uvictim","profile":{"email":"x@corp.example"}}' },
      { when: (r) => r.url.includes('?search=') },
    );
    const err = await revoker()
      .revoke(byEmail('x@corp.example'))
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ScimMalformedResponseError);
    expect(String(err)).toContain('answer is not a JSON array');
    expect((err as ScimMalformedResponseError).retryable).toBe(true);
    expect(okta.cleared.map((c) => c.userId)).not.toContain('00uvictim');
  });

  it('still refuses a user the login lookup answers who is not an exact match, without searching past it', async () => {
    // Okta resolves the login shortname "jdoe" to jdoe@legacy.example.
    const err = await revoker()
      .revoke(byEmail('jdoe'))
      .catch((e: unknown) => e);
    expect(String(err)).toContain('not an exact match');
    expect(proxy.requests.map((r) => r.url)).toEqual(['/api/v1/users/jdoe']);
  });
});

describe('Fake Okta: List Users search', () => {
  const get = (search: string) =>
    fetch(`${okta.url}/api/v1/users?search=${encodeURIComponent(search)}`, {
      headers: { authorization: `SSWS ${TOKEN}` },
    });

  it('refuses a search other than profile.email eq "…" with 400 E0000031, as Okta does a malformed one', async () => {
    for (const search of [
      'profile.email eq "a" or profile.email sw ""',
      'profile.email sw "victim"',
      'profile.email eq victim@corp.example',
    ]) {
      const answer = await get(search);
      expect(answer.status).toBe(400);
      expect(await answer.json()).toMatchObject({ errorCode: 'E0000031' });
    }
    expect(await (await get('profile.email EQ "Victim@Corp.example"')).json()).toEqual([
      expect.objectContaining({ id: '00uvictim' }),
    ]);
  });
});
