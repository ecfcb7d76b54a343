// Each provider's calls when the provider misbehaves (docs/sessions.md, "What each lane does"): a 404
// because the user was deleted after the find is done, a 5xx is retryable (the lane retries it:
// sessions-lane-faults.test.ts), the hook, which has no find, refuses a 404 as any other 4xx, a
// lookup answered with someone who is not an exact match is refused, and a 401 re-reads the
// credential once. The fake providers on loopback behind the fault-injecting proxy; nothing mocked.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { parseConfig } from '../../../lambdas/core/model/config.ts';
import {
  ScimAccountMismatchError,
  ScimCredentialError,
  ScimRetryableError,
  ScimThrottledError,
} from '../../../lambdas/core/scim/index.ts';
import { sessionRevokerFor } from '../../../lambdas/core/sessions/revoker.ts';
import { type FakeEntra, type FakeEntraUser, startFakeEntra } from '../../../local/fakes/entra.ts';
import { type FakeGoogle, type FakeGoogleUser, startFakeGoogle } from '../../../local/fakes/google.ts';
import { type FakeOkta, type FakeOktaUser, startFakeOkta } from '../../../local/fakes/okta.ts';
import { type FakeSessionHook, startFakeSessionHook } from '../../../local/fakes/session-hook.ts';
import { InMemorySecretSource } from '../../support/fakes.ts';
import { type FaultyScim, startFaultyScim } from '../../support/faulty-scim.ts';

const OKTA_TOKEN = 'faults-okta-token';
const ENTRA_SECRET = 'faults-entra-secret';
const HOOK_KEY = 'faults-hook-key';
// Each org's users: a test deletes one, as the provider's admin would.
const oktaUsers: FakeOktaUser[] = [];
const entraUsers: FakeEntraUser[] = [];
const googleUsers: FakeGoogleUser[] = [];

let okta: FakeOkta;
let entra: FakeEntra;
let google: FakeGoogle;
let hook: FakeSessionHook;
const proxies: Record<'okta' | 'entra' | 'google' | 'hook', FaultyScim> = {} as never;
beforeAll(async () => {
  [okta, entra, google, hook] = await Promise.all([
    startFakeOkta({ token: OKTA_TOKEN, users: oktaUsers }),
    startFakeEntra({ tenantId: 'contoso', clientId: 'app-1', clientSecret: ENTRA_SECRET, users: entraUsers }),
    startFakeGoogle({
      clientEmail: 'scimitar@project.iam.gserviceaccount.com',
      adminEmail: 'admin@example.com',
      users: googleUsers,
    }),
    startFakeSessionHook({ key: HOOK_KEY }),
  ]);
  proxies.okta = await startFaultyScim(okta.url);
  proxies.entra = await startFaultyScim(entra.url);
  proxies.google = await startFaultyScim(google.url);
  proxies.hook = await startFaultyScim(hook.url);
});
afterAll(async () => {
  await Promise.all(Object.values(proxies).map((p) => p.close()));
  await Promise.all([okta.close(), entra.close(), google.close(), hook.close()]);
});
beforeEach(() => {
  for (const p of Object.values(proxies)) p.reset();
});

const SECRET_ID = 'faults-test/targets/idp';

function revokerOf(
  fields: Record<string, unknown>,
  secret: string,
  secrets = new InMemorySecretSource({ [SECRET_ID]: secret }),
) {
  const target = parseConfig({
    stackName: 'faults-test',
    sources: [{ id: 'hr', kind: 'generic' }],
    targets: [{ id: 'idp', displayName: 'IdP', owner: 'it@example.com', kind: 'session', ...fields }],
  }).targets[0];
  if (target?.kind !== 'session') throw new Error('unreachable');
  return sessionRevokerFor(target, { secretId: SECRET_ID, secrets, throttleWaitMaxMs: 0 });
}

let seq = 0;
/** Each provider: a fresh user, the revoker, its revoking request, and what the fake recorded as ended. */
const providers = {
  okta: () => {
    const user = { id: `00uf${++seq}`, login: `okta${seq}@example.com` };
    oktaUsers.push(user);
    return {
      email: user.login,
      vanish: () => oktaUsers.splice(oktaUsers.indexOf(user), 1),
      revoker: revokerOf({ provider: 'okta', baseUrl: proxies.okta.url }, OKTA_TOKEN),
      isRevoke: (r: { method: string; url: string }) =>
        r.method === 'DELETE' && r.url.endsWith('/sessions?oauthTokens=true'),
      ended: () => okta.cleared.some((c) => c.userId === user.id),
    };
  },
  entra: () => {
    const user = { id: `e-f${++seq}`, userPrincipalName: `entra${seq}@example.com` };
    entraUsers.push(user);
    return {
      id: user.id,
      email: user.userPrincipalName,
      vanish: () => entraUsers.splice(entraUsers.indexOf(user), 1),
      revoker: revokerOf(
        {
          provider: 'entra',
          tenantId: 'contoso',
          clientId: 'app-1',
          baseUrl: `${proxies.entra.url}/v1.0`,
          tokenUrl: entra.tokenUrl,
        },
        ENTRA_SECRET,
      ),
      isRevoke: (r: { method: string; url: string }) =>
        r.method === 'POST' && r.url.endsWith('/revokeSignInSessions'),
      ended: () => entra.revoked.includes(user.id),
    };
  },
  google: () => {
    const user = { id: `g-f${++seq}`, primaryEmail: `google${seq}@example.com` };
    googleUsers.push(user);
    return {
      id: user.id,
      email: user.primaryEmail,
      vanish: () => googleUsers.splice(googleUsers.indexOf(user), 1),
      revoker: revokerOf(
        {
          provider: 'google',
          adminEmail: 'admin@example.com',
          baseUrl: proxies.google.url,
          tokenUrl: google.tokenUrl,
        },
        google.keyFile,
      ),
      isRevoke: (r: { method: string; url: string }) => r.method === 'POST' && r.url.endsWith('/signOut'),
      ended: () => google.signedOut.includes(user.id),
    };
  },
} as const;

const request = (email: string) => ({
  match: { attribute: 'email' as const, value: email },
  action: 'revoke-sessions' as const,
});

for (const [name, make] of Object.entries(providers)) {
  const proxy = () => proxies[name as keyof typeof providers];

  describe(`Session target ${name}: the revoking call fails`, () => {
    it('counts a 404 on the revoking call (the user deleted after the find) as done, verified by that answer', async () => {
      const p = make();
      // The provider's admin deletes the user as scimitar's revoking call arrives: the fake answers 404.
      proxy().inject(
        { kind: 'headers', headers: {} },
        {
          when: (r) => {
            if (!p.isRevoke(r)) return false;
            p.vanish();
            return true;
          },
        },
      );
      const evidence = await p.revoker.revoke(request(p.email));
      expect(evidence).toMatchObject({
        outcome: 'already-revoked',
        alreadyGone: true,
        verified: { sessionsRevoked: true },
      });
      expect(evidence.requests.map((r) => r.status)).toEqual([200, 404]);
      expect(p.ended()).toBe(false);
    });

    it('answers a 5xx on the revoking call with a retryable error, ending nothing', async () => {
      const p = make();
      proxy().inject({ kind: 'status', status: 503 }, { when: p.isRevoke });
      const err = await p.revoker.revoke(request(p.email)).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(ScimRetryableError);
      expect(err).toMatchObject({ status: 503, retryable: true });
      expect(p.ended()).toBe(false);
      // The next attempt goes through.
      expect((await p.revoker.revoke(request(p.email))).outcome).toBe('revoked');
      expect(p.ended()).toBe(true);
    });
  });
}

describe('Session target hook: the revoking call fails', () => {
  const hook_ = () => revokerOf({ provider: 'hook', baseUrl: proxies.hook.url }, HOOK_KEY);

  it('answers a 5xx with a retryable error', async () => {
    proxies.hook.inject({ kind: 'status', status: 500 });
    const err = await hook_()
      .revoke(request('hooked@example.com'))
      .catch((e: unknown) => e);
    expect(err).toMatchObject({ status: 500, retryable: true });
    expect(hook.revoked).not.toContain('hooked@example.com');
  });

  it('refuses a 404 as any other 4xx: the hook has no find, so a 404 is a wrong URL, not a deleted user', async () => {
    proxies.hook.inject({ kind: 'status', status: 404 });
    const err = await hook_()
      .revoke(request('hooked@example.com'))
      .catch((e: unknown) => e);
    expect(err).toMatchObject({ status: 404, retryable: false });
  });
});

describe('Session target entra: Graph throttling', () => {
  it('hands a 429 back with the wait its Retry-After names, ending nothing', async () => {
    const p = providers.entra();
    // Through the proxy: it passes the answer's headers on.
    entra.throttle.next(1, { 'retry-after': '7' });
    const err = await p.revoker.revoke(request(p.email)).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ScimThrottledError);
    expect((err as ScimThrottledError).retryAfterMs).toBe(7_000);
    expect(p.ended()).toBe(false);
  });
});

describe('Session targets entra and google: a hostile match value', () => {
  for (const name of ['entra', 'google'] as const) {
    it(`${name}: stays one percent-encoded path segment; no other endpoint is reached`, async () => {
      const p = providers[name]();
      const hostile = `../${p.email}/x?y=1#`;
      const evidence = await p.revoker.revoke(request(hostile));
      expect(evidence.outcome).toBe('no-account');
      expect(proxies[name].requests.map((r) => `${r.method} ${r.url.split('?$select')[0]}`)).toEqual([
        `GET ${name === 'entra' ? '/v1.0/users' : '/admin/directory/v1/users'}/${encodeURIComponent(hostile)}`,
      ]);
      expect(p.ended()).toBe(false);
    });
  }
});

describe('Session targets entra and google: a lookup answered with someone else', () => {
  for (const name of ['entra', 'google'] as const) {
    it(`${name}: refuses a user who is not an exact match, signing no one out`, async () => {
      const p = providers[name]();
      const asked = `x${p.email}`;
      // The directory resolves the asked address to this user, as Okta does a login shortname.
      (name === 'entra' ? entra : google).inexact.set(asked, p.id);
      const err = await p.revoker.revoke(request(asked)).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(ScimAccountMismatchError);
      expect(String(err)).toContain('not an exact match');
      expect(proxies[name].requests.map((r) => r.method)).toEqual(['GET']);
      expect(p.ended()).toBe(false);
    });
  }
});

describe('Session target okta: a 401', () => {
  it('re-reads the credential once: a token rotated since it was read is used; one still refused fails', async () => {
    const p = providers.okta();
    const secrets = new InMemorySecretSource({ [SECRET_ID]: OKTA_TOKEN });
    // A budget that does not pace these eight requests.
    const fields = { provider: 'okta', baseUrl: okta.url, rateBudget: { requestsPerSecond: 100, burst: 10 } };
    const revoker = revokerOf(fields, OKTA_TOKEN, secrets);
    try {
      expect((await revoker.revoke(request(p.email))).outcome).toBe('revoked');
      // An admin rotates the token in Okta and puts the new one in the secret: the cached one is refused.
      okta.token = 'faults-okta-token-2';
      secrets.rotate(SECRET_ID, 'faults-okta-token-2');
      const reads = secrets.reads;
      const evidence = await revoker.revoke(request(p.email));
      expect(evidence.requests.map((r) => r.status)).toEqual([401, 200, 204]);
      expect(secrets.reads - reads).toBe(1);
      // Rotated again in Okta only: the re-read value is refused too, and there is no third try.
      okta.token = 'faults-okta-token-3';
      const sent = okta.requests.length;
      const err = await revoker.revoke(request(p.email)).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(ScimCredentialError);
      expect(okta.requests.length - sent).toBe(2);
      expect(secrets.reads - reads).toBe(2);
    } finally {
      okta.token = OKTA_TOKEN;
    }
  });
});
