// Session targets against fake providers on loopback: each revokes and verifies what its API
// allows, treats an unknown user as no account, refuses a lookup that is not an exact match,
// hands a rate limit back, and keeps its credential out of every error.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig, type SessionTargetConfig } from '../../../lambdas/core/model/config.ts';
import {
  ScimAccountMismatchError,
  ScimCredentialError,
  ScimThrottledError,
  ScimVerificationError,
} from '../../../lambdas/core/scim/index.ts';
import { sessionRevokerFor } from '../../../lambdas/core/sessions/revoker.ts';
import { type FakeEntra, startFakeEntra } from '../../../local/fakes/entra.ts';
import { type FakeGoogle, startFakeGoogle } from '../../../local/fakes/google.ts';
import { type FakeOkta, startFakeOkta } from '../../../local/fakes/okta.ts';
import { type FakeSessionHook, startFakeSessionHook } from '../../../local/fakes/session-hook.ts';
import { InMemorySecretSource } from '../../support/fakes.ts';

const OKTA_TOKEN = '00okta-token-secret-value';
const ENTRA_SECRET = 'entra-client-secret-value';
const HOOK_KEY = 'hook-signing-key-value';

let okta: FakeOkta;
let entra: FakeEntra;
let google: FakeGoogle;
let hook: FakeSessionHook;
beforeAll(async () => {
  [okta, entra, google, hook] = await Promise.all([
    startFakeOkta({ token: OKTA_TOKEN, users: [{ id: '00u1', login: 'jane@example.com' }] }),
    startFakeEntra({
      tenantId: 'contoso',
      clientId: 'app-1',
      clientSecret: ENTRA_SECRET,
      users: [{ id: 'e-1', userPrincipalName: 'jane@example.com', mail: 'jane@example.com' }],
    }),
    startFakeGoogle({
      clientEmail: 'scimitar@project.iam.gserviceaccount.com',
      adminEmail: 'admin@example.com',
      users: [{ id: 'g-1', primaryEmail: 'jane@example.com', aliases: ['j.doe@example.com'] }],
    }),
    startFakeSessionHook({ key: HOOK_KEY }),
  ]);
});
afterAll(async () => {
  await Promise.all([okta.close(), entra.close(), google.close(), hook.close()]);
});

function targetOf(fields: Record<string, unknown>): SessionTargetConfig {
  const config = parseConfig({
    stackName: 'sessions-test',
    sources: [{ id: 'hr', kind: 'generic' }],
    targets: [{ id: 'idp', displayName: 'IdP', owner: 'it@example.com', kind: 'session', ...fields }],
  });
  const target = config.targets[0];
  if (target?.kind !== 'session') throw new Error('unreachable');
  return target;
}

function revokerOf(fields: Record<string, unknown>, secret: string, clock?: () => number) {
  const target = targetOf(fields);
  return sessionRevokerFor(target, {
    secretId: 'sessions-test/targets/idp',
    secrets: new InMemorySecretSource({ 'sessions-test/targets/idp': secret }),
    throttleWaitMaxMs: 0,
    ...(clock && { clock }),
  });
}

const jane = { attribute: 'email' as const, value: 'jane@example.com' };
const request = (value = 'jane@example.com') => ({
  match: { attribute: 'email' as const, value },
  action: 'revoke-sessions' as const,
});

describe('Session target: Okta', () => {
  const okta_ = () => revokerOf({ provider: 'okta', baseUrl: okta.url }, OKTA_TOKEN);

  it('finds the user by login, clears sessions and OAuth tokens, verified by the 204 alone', async () => {
    const evidence = await okta_().revoke(request());
    expect(evidence.outcome).toBe('revoked');
    expect(evidence.account).toEqual({ id: '00u1', userName: 'jane@example.com' });
    expect(okta.cleared).toContainEqual({ userId: '00u1', oauthTokens: true });
    expect(evidence.verified).toMatchObject({ sessionsRevoked: true, checkedBy: 'answer' });
    expect(evidence.requests.map((r) => `${r.method} ${r.path} ${r.status}`)).toEqual([
      'GET /api/v1/users/jane%40example.com 200',
      'DELETE /api/v1/users/00u1/sessions?oauthTokens=true 204',
    ]);
  });

  it('treats an unknown user as no account, sending nothing but the login and profile.email lookups', async () => {
    const before = okta.requests.length;
    const evidence = await okta_().revoke(request('nobody@example.com'));
    expect(evidence.outcome).toBe('no-account');
    expect(okta.requests.slice(before)).toEqual([
      'GET /api/v1/users/nobody%40example.com',
      'GET /api/v1/users?search=profile.email%20eq%20%22nobody%40example.com%22',
    ]);
  });

  it('refuses a lookup Okta answered by login shortname: not an exact match', async () => {
    await expect(okta_().revoke(request('jane'))).rejects.toBeInstanceOf(ScimAccountMismatchError);
  });

  it('keeps a hostile match value in one path segment and one filter value (no other endpoint reached)', async () => {
    const before = okta.requests.length;
    const evidence = await okta_().revoke(request('../00u1/sessions?x=1#'));
    expect(evidence.outcome).toBe('no-account');
    expect(okta.requests.slice(before)).toEqual([
      'GET /api/v1/users/..%2F00u1%2Fsessions%3Fx%3D1%23',
      'GET /api/v1/users?search=profile.email%20eq%20%22..%2F00u1%2Fsessions%3Fx%3D1%23%22',
    ]);
    expect(okta.cleared.filter((c) => c.userId === '00u1')).toHaveLength(1);
  });

  it('hands a rate limit back with the wait X-Rate-Limit-Reset names', async () => {
    const reset = Math.floor(Date.now() / 1000) + 30;
    okta.throttle.next(1, {
      'x-rate-limit-limit': '600',
      'x-rate-limit-remaining': '0',
      'x-rate-limit-reset': String(reset),
    });
    const err = await okta_()
      .revoke(request())
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ScimThrottledError);
    expect((err as ScimThrottledError).retryAfterMs).toBeGreaterThan(25_000);
  });

  it('fails as a credential error on a wrong token, without the token in the error', async () => {
    const err = await revokerOf({ provider: 'okta', baseUrl: okta.url }, 'wrong-token')
      .revoke(request())
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ScimCredentialError);
    expect(JSON.stringify(err) + String(err)).not.toContain('wrong-token');
  });
});

describe('Session target: Entra ID', () => {
  const entra_ = (clock?: () => number) =>
    revokerOf(
      {
        provider: 'entra',
        tenantId: 'contoso',
        clientId: 'app-1',
        baseUrl: entra.graphUrl,
        tokenUrl: entra.tokenUrl,
      },
      ENTRA_SECRET,
      clock,
    );

  it('revokes sign-in sessions and verifies signInSessionsValidFromDateTime moved past the request', async () => {
    const evidence = await entra_().revoke(request());
    expect(evidence.outcome).toBe('revoked');
    expect(entra.revoked).toContain('e-1');
    expect(evidence.verified).toMatchObject({ sessionsRevoked: true, checkedBy: 'read-back' });
    expect(evidence.requests.map((r) => `${r.method} ${r.path.split('?')[0]}`)).toEqual([
      'GET /users/jane%40example.com',
      'POST /users/e-1/revokeSignInSessions',
      'GET /users/e-1',
    ]);
  });

  it('fails verification (retryable) when the read-back still shows the old date', async () => {
    entra.lagging = true;
    entra.validFrom.set('e-1', '2020-01-01T00:00:00Z');
    try {
      await expect(entra_().revoke(request())).rejects.toBeInstanceOf(ScimVerificationError);
    } finally {
      entra.lagging = false;
    }
  });

  it('allows 60 s of clock skew on the read-back: exactly 60 s before the request passes, a millisecond more fails', async () => {
    const sentAt = Date.parse('2026-12-03T08:00:00.000Z');
    entra.lagging = true;
    try {
      entra.validFrom.set('e-1', '2026-12-03T07:59:00.000Z');
      expect((await entra_(() => sentAt).revoke(request())).verified).toMatchObject({
        checkedBy: 'read-back',
      });
      entra.validFrom.set('e-1', '2026-12-03T07:58:59.999Z');
      await expect(entra_(() => sentAt).revoke(request())).rejects.toBeInstanceOf(ScimVerificationError);
    } finally {
      entra.lagging = false;
    }
  });

  it('treats a user Graph does not know as no account', async () => {
    expect((await entra_().revoke(request('gone@example.com'))).outcome).toBe('no-account');
  });

  it('refuses a wrong client secret as a credential error', async () => {
    const revoker = revokerOf(
      {
        provider: 'entra',
        tenantId: 'contoso',
        clientId: 'app-1',
        baseUrl: entra.graphUrl,
        tokenUrl: entra.tokenUrl,
      },
      'not-the-secret',
    );
    await expect(revoker.revoke(request())).rejects.toBeInstanceOf(ScimCredentialError);
  });
});

describe('Session target: Google Workspace', () => {
  const google_ = () =>
    revokerOf(
      { provider: 'google', adminEmail: 'admin@example.com', baseUrl: google.url, tokenUrl: google.tokenUrl },
      google.keyFile,
    );

  it('signs the service account assertion as the admin, then signs the user out', async () => {
    const evidence = await google_().revoke(request());
    expect(evidence.outcome).toBe('revoked');
    expect(google.signedOut).toContain('g-1');
    expect(google.refusedAssertions).toEqual([]);
    expect(evidence.verified).toMatchObject({ checkedBy: 'answer' });
  });

  it('hands a 403 userRateLimitExceeded back as the rate limit it is', async () => {
    google.throttle.next(1, {});
    const err = await google_()
      .revoke(request())
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ScimThrottledError);
    expect(err).toMatchObject({ status: 429 });
  });

  it('finds a user by an alias email', async () => {
    const evidence = await google_().revoke(request('j.doe@example.com'));
    expect(evidence.account?.id).toBe('g-1');
  });

  it('refuses as a credential error when delegation is for another admin', async () => {
    const revoker = revokerOf(
      { provider: 'google', adminEmail: 'other@example.com', baseUrl: google.url, tokenUrl: google.tokenUrl },
      google.keyFile,
    );
    await expect(revoker.revoke(request())).rejects.toBeInstanceOf(ScimCredentialError);
    expect(google.refusedAssertions.at(-1)).toMatch(/sub/);
  });

  it('refuses a secret that is not a key file, without quoting it', async () => {
    const err = await revokerOf(
      { provider: 'google', adminEmail: 'admin@example.com', baseUrl: google.url, tokenUrl: google.tokenUrl },
      'plain-text-secret',
    )
      .revoke(request())
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ScimCredentialError);
    expect(String(err)).not.toContain('plain-text-secret');
  });
});

describe('Session target: generic hook', () => {
  const hook_ = (key = HOOK_KEY) => revokerOf({ provider: 'hook', baseUrl: hook.url }, key);

  it('POSTs the match value signed with the target key; 2xx is done', async () => {
    const evidence = await hook_().revoke(request());
    expect(evidence.outcome).toBe('revoked');
    expect(hook.revoked).toContain(jane.value);
  });

  it('fails permanently when the receiver refuses the signature (wrong key)', async () => {
    const err = await hook_('another-key')
      .revoke(request())
      .catch((e: unknown) => e);
    expect(err).toMatchObject({ status: 401, retryable: false });
    expect(hook.refused.at(-1)?.reason).toMatch(/signature/i);
    expect(String(err)).not.toContain('another-key');
  });

  it('hands a 429 back with its Retry-After', async () => {
    hook.throttle.next(1, { 'retry-after': '7' });
    const err = await hook_()
      .revoke(request())
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ScimThrottledError);
    expect((err as ScimThrottledError).retryAfterMs).toBe(7000);
  });
});

describe('Session target config', () => {
  it('refuses a provider without its required fields, naming the field', () => {
    expect(() => targetOf({ provider: 'entra', clientId: 'x' })).toThrow(
      /tenantId.*required for a 'entra' session target/s,
    );
  });
  it('refuses fields of another provider', () => {
    expect(() =>
      targetOf({ provider: 'okta', baseUrl: 'https://acme.okta.com', adminEmail: 'a@b.c' }),
    ).toThrow(/adminEmail.*does not apply to a 'okta' session target/s);
  });
  it('refuses externalId as the match of a provider that looks users up by login or email', () => {
    expect(() =>
      targetOf({ provider: 'google', adminEmail: 'a@example.com', matchAttribute: 'externalId' }),
    ).toThrow(/cannot name a user at google/);
  });
});
