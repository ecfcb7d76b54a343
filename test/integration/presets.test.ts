// Each preset against a fake of its application that reproduces what the vendor documents
// (local/fakes/scim-preset-profiles.ts): the preset's settings alone make the revocation work.
import { request } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { parseConfig, type ScimTargetConfig } from '../../lambdas/core/model/config.ts';
import { ScimError } from '../../lambdas/core/scim/index.ts';
import { type PresetName, presetNames } from '../../lambdas/core/targets/presets/index.ts';
import { scimClientFor } from '../../lambdas/core/targets/target-client.ts';
import { type PresetFake, presetFakeProfiles, startPresetFake } from '../../local/fakes/scim-preset.ts';
import { LocalSecretSource } from '../../local/secrets.ts';

const TOKEN = 'tok_preset_9fQ2mZx7LkP4';
const CLIENT = { id: 'scimitar-connected-app', secret: 'cs_preset_Vb81Hq3n' };
const fakes: PresetFake[] = [];
afterEach(async () => {
  await Promise.all(fakes.splice(0).map((f) => f.close()));
});

async function presetTarget(name: PresetName, target: Record<string, unknown> = {}) {
  const fake = await startPresetFake({ profile: presetFakeProfiles[name], tokens: [TOKEN], client: CLIENT });
  fakes.push(fake);
  const oauth = fake.tokenUrl !== undefined;
  const config = parseConfig({
    sources: [{ id: 'generic', kind: 'generic' }],
    targets: [
      {
        id: 'app',
        kind: 'scim',
        displayName: name,
        owner: 'o@example.com',
        preset: name,
        baseUrl: fake.url,
        ...(oauth && {
          auth: { type: 'oauth2-client-credentials', clientId: CLIENT.id, tokenUrl: fake.tokenUrl },
        }),
        ...(name === 'zoom' && { presetValues: { accountId: 'zoom-account-1' } }),
        ...target,
      },
    ],
  });
  const config0 = config.targets[0] as ScimTargetConfig;
  const secrets = new LocalSecretSource({ values: { 'app-secret': oauth ? CLIENT.secret : TOKEN } });
  const client = scimClientFor(config0, { secretId: 'app-secret', secrets, timeoutMs: 2_000 });
  const [ada, bob] = fake.seed([
    {
      userName: 'ada@example.com',
      externalId: 'E100',
      emails: [{ value: 'ada@example.com', primary: true }],
    },
    {
      userName: 'bob@example.com',
      externalId: 'E200',
      emails: [{ value: 'bob@example.com', primary: true }],
    },
  ]);
  if (!ada || !bob) throw new Error('seed failed');
  return { fake, target: config0, client, ada, bob };
}

const matchValue = (t: ScimTargetConfig) => (t.matchAttribute === 'externalId' ? 'E100' : 'ada@example.com');

// The deactivating PATCH each vendor documents (sources in lambdas/core/targets/presets/*.ts).
const DOCUMENTED_PATCH: Record<PresetName, unknown> = {
  'github-emu': { op: 'replace', value: { active: false } },
  okta: { op: 'replace', value: { active: false } },
  salesforce: { op: 'replace', value: { active: false } },
  entra: { op: 'Replace', path: 'active', value: 'False' },
  slack: { op: 'replace', path: 'active', value: false },
  atlassian: { op: 'replace', path: 'active', value: false },
  zoom: { op: 'replace', path: 'active', value: false },
  'aws-iam-identity-center': { op: 'replace', path: 'active', value: false },
};

describe('presets against fakes of their applications', () => {
  it.each(presetNames)(
    '%s: revokes the leaver with the documented request and touches nobody else',
    async (name) => {
      const { fake, target, client, ada, bob } = await presetTarget(name);
      const evidence = await client.revoke({
        match: { attribute: target.matchAttribute, value: matchValue(target) },
        action: target.leaverAction === 'delete' ? 'delete' : 'deactivate',
      });
      expect(evidence.outcome).toBe('revoked');
      expect(fake.users.get(ada.id)?.active).toBe(false);
      expect(fake.users.get(bob.id)?.active).toBe(true);
      const patch = fake.requests.find((r) => r.method === 'PATCH');
      expect(patch?.path).toBe(`/Users/${ada.id}`);
      expect((patch?.body as { Operations?: unknown[] } | undefined)?.Operations).toEqual([
        DOCUMENTED_PATCH[name],
      ]);
      for (const r of fake.requests) expect(r.userAgent).toMatch(/^scimitar\//);
      expect(fake.throttled).toEqual([]);
    },
  );

  it.each(presetNames)('%s: the read-only probe (canary, rotation test) authenticates', async (name) => {
    const { fake, client } = await presetTarget(name);
    const report = await client.probe();
    expect(report.authenticated).toBe(true);
    if (name === 'salesforce') {
      // Salesforce lists /ServiceProviderConfigs: the probe says so, and still authenticates.
      expect(report.problems.join('\n')).toMatch(/ServiceProviderConfig/);
    } else {
      expect(report.problems).toEqual([]);
    }
    expect(fake.requests.every((r) => r.method === 'GET')).toBe(true);
    expect(fake.throttled).toEqual([]);
  });

  it('github-emu: the fake refuses a request without a User-Agent, as GitHub does (403)', async () => {
    const { fake } = await presetTarget('github-emu');
    const status = await new Promise<number>((resolve, reject) => {
      const req = request(`${fake.url}/Users`, { headers: { authorization: `Bearer ${TOKEN}` } }, (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      });
      req.on('error', reject);
      req.end();
    });
    expect(status).toBe(403);
  });

  it('refuses to guess on a userName built to widen an eq-only filter, and touches nobody', async () => {
    const { fake, client, bob } = await presetTarget('github-emu');
    const evidence = await client.revoke({
      match: { attribute: 'userName', value: 'x" or userName ne "x' },
      action: 'deactivate',
    });
    expect(evidence.outcome).toBe('no-account');
    expect(fake.users.get(bob.id)?.active).toBe(true);
    expect(fake.requests.some((r) => r.method === 'PATCH')).toBe(false);
  });

  it('atlassian: a deactivated user reads as 404, which verifies, and leaves every later search', async () => {
    const { target, client } = await presetTarget('atlassian');
    const match = { attribute: target.matchAttribute, value: matchValue(target) } as const;
    const first = await client.revoke({ match, action: 'deactivate' });
    expect(first.verified).toEqual({ deleted: true });
    const again = await client.revoke({ match, action: 'deactivate' });
    expect(again.outcome).toBe('no-account');
  });

  it('aws-iam-identity-center: lists every account once through cursor pages without totalResults', async () => {
    const { fake, client } = await presetTarget('aws-iam-identity-center');
    fake.seed(Array.from({ length: 248 }, (_, i) => ({ userName: `user${i}@example.com` })));
    const ids = [];
    for await (const account of client.listAccounts()) ids.push(account.id);
    expect(ids).toHaveLength(250);
    expect(new Set(ids).size).toBe(250);
    const lists = fake.requests.filter((r) => r.path.startsWith('/Users?'));
    expect(lists).toHaveLength(3);
    expect(lists.every((r) => r.path.includes('cursor='))).toBe(true);
  });

  it('aws-iam-identity-center: a listing stopped after a page resumes from its cursor in a new walk', async () => {
    const { fake, client } = await presetTarget('aws-iam-identity-center');
    fake.seed(Array.from({ length: 148 }, (_, i) => ({ userName: `user${i}@example.com` })));
    const first = await client.listAccountPages().next();
    if (first.done || !first.value.next) throw new Error('expected a first page with a next position');
    expect(first.value.next).toHaveProperty('cursor');
    const seen = first.value.resources.map((a) => a.id);
    // As the reconciler does between invocations: a new walk from the saved position.
    for await (const page of client.listAccountPages({ from: first.value.next })) {
      seen.push(...page.resources.map((a) => a.id));
    }
    expect(seen).toHaveLength(150);
    expect(new Set(seen).size).toBe(150);
  });

  it("aws-iam-identity-center: refuses Entra's string boolean, so the preset's PATCH shape matters", async () => {
    const { fake, target, client, ada } = await presetTarget('aws-iam-identity-center', {
      quirks: { patchStyle: 'entra' },
    });
    await expect(
      client.revoke({
        match: { attribute: target.matchAttribute, value: 'ada@example.com' },
        action: 'deactivate',
      }),
    ).rejects.toBeInstanceOf(ScimError);
    expect(fake.users.get(ada.id)?.active).toBe(true);
  });

  it.each(['slack', 'salesforce'] as const)(
    '%s: DELETE only deactivates, and the read-back proves it',
    async (name) => {
      const { fake, target, client, ada } = await presetTarget(name, { leaverAction: 'delete' });
      const evidence = await client.revoke({
        match: { attribute: target.matchAttribute, value: 'ada@example.com' },
        action: 'delete',
      });
      expect(evidence.verified).toEqual({ active: false });
      expect(fake.users.get(ada.id)?.active).toBe(false);
    },
  );

  it('salesforce: fetches a new access token when the old one is refused, and goes on', async () => {
    const { fake, target, client, bob } = await presetTarget('salesforce');
    const match = (value: string) => ({
      match: { attribute: target.matchAttribute, value },
      action: 'deactivate' as const,
    });
    expect((await client.revoke(match('ada@example.com'))).outcome).toBe('revoked');
    fake.acceptTokens([]); // every token minted so far is refused from now on
    expect((await client.revoke(match('bob@example.com'))).outcome).toBe('revoked');
    expect(fake.users.get(bob.id)?.active).toBe(false);
  });

  it('salesforce: fails with a credential error naming no secret when the client secret is wrong', async () => {
    const { fake, target, ada } = await presetTarget('salesforce');
    const secrets = new LocalSecretSource({ values: { 'app-secret': 'cs_wrong_secret_value' } });
    const client = scimClientFor(target, { secretId: 'app-secret', secrets, timeoutMs: 2_000 });
    const failure = await client
      .revoke({ match: { attribute: 'userName', value: 'ada@example.com' }, action: 'deactivate' })
      .then(
        () => undefined,
        (err: unknown) => err as Error,
      );
    expect(failure).toBeInstanceOf(Error);
    expect(String(failure?.message)).not.toContain('cs_wrong_secret_value');
    expect(fake.users.get(ada.id)?.active).toBe(true);
  });

  it("zoom: fails with a credential error, writing nothing, when the account id is not the app's", async () => {
    const { fake, target, ada } = await presetTarget('zoom', { presetValues: { accountId: 'someone-else' } });
    expect(target.auth).toMatchObject({ grantType: 'account_credentials', accountId: 'someone-else' });
    const client = scimClientFor(target, {
      secretId: 'app-secret',
      secrets: new LocalSecretSource({ values: { 'app-secret': CLIENT.secret } }),
      timeoutMs: 2_000,
    });
    await expect(
      client.revoke({ match: { attribute: 'userName', value: 'ada@example.com' }, action: 'deactivate' }),
    ).rejects.toThrow(/token endpoint refused/);
    expect(fake.users.get(ada.id)?.active).toBe(true);
    expect(fake.requests).toEqual([]);
  });

  it('refuses an oversized body with 413', async () => {
    const { fake, ada } = await presetTarget('okta');
    const answer = await fetch(`${fake.url}/Users/${ada.id}`, {
      method: 'PATCH',
      headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/scim+json' },
      body: JSON.stringify({ pad: 'x'.repeat(70_000) }),
    });
    expect(answer.status).toBe(413);
    expect(fake.users.get(ada.id)?.active).toBe(true);
  });
});
