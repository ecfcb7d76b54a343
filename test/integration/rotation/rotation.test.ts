// The four-step rotation protocol per strategy, over the real Secrets Manager adapter (SDK calls
// answered by an in-memory model of versions and labels) against a SCIM application on loopback
// that accepts only live tokens, and a mint / revoke / OAuth2 token endpoint in front of it.
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { SecretsManagerStore } from '../../../lambdas/aws/adapters/secrets-manager-store.ts';
import {
  CredentialMintError,
  CredentialRevokeError,
  CredentialTestError,
  RotationProtocolError,
  type RotationStep,
  RotationUnsupportedError,
  rotateSecret,
  rotationSteps,
} from '../../../lambdas/core/credentials/rotation.ts';
import { credentialFromSecret } from '../../../lambdas/core/credentials/secret-format.ts';
import { parseConfig, type ScimitarConfig } from '../../../lambdas/core/model/config.ts';
import { BearerToken, ScimClient } from '../../../lambdas/core/scim/index.ts';
import { createRotationHandler } from '../../../lambdas/handlers/rotation.ts';
import { configFor } from '../../../lib/config-projection.ts';
import { actAs, registerStack } from '../../../local/aws-calls.ts';
import { captureOutput } from '../../support/captured-output.ts';
import { type ScimTarget, startTarget, TOKEN } from '../../support/scim-target.ts';
import { expectNoSecret } from '../../support/secrets.ts';
import { FakeSecretsManager } from '../../support/secrets-manager-fake.ts';
import { startTokenIssuer, type TokenIssuer } from '../../support/token-issuer.ts';

const API_SECRET = 'Scimitar/targets/code';
const OAUTH_SECRET = 'Scimitar/targets/crm';
const MANUAL_SECRET = 'Scimitar/targets/legacy';
/** A secret the config adopts (`auth.secretName`): made outside the stack, so it carries no rotation tag. */
const ADOPTED_SECRET = 'prod/minted-token';
const CLIENT_SECRET = 'cs_live_Zq81Lm5XwPa0Rt7Yv2Kd';

let target: ScimTarget;
let issuer: TokenIssuer;
let config: ScimitarConfig;
const sm = mockClient(SecretsManagerClient);
let fake: FakeSecretsManager;
const store = new SecretsManagerStore(new SecretsManagerClient({ region: 'eu-west-1' }));
/** Every error a test saw, checked for secrets at the end. */
const seenErrors: unknown[] = [];

beforeAll(async () => {
  target = await startTarget();
  target.app.seed({ users: [{ userName: 'ada@example.com' }] });
  issuer = await startTokenIssuer({
    app: target.app,
    initialToken: TOKEN,
    oauth: { clientId: 'scimitar', clientSecret: CLIENT_SECRET },
  });
  config = parseConfig({
    sources: [{ id: 'hr', kind: 'generic' }],
    targets: [
      {
        id: 'code',
        kind: 'scim',
        displayName: 'Code',
        owner: 'owner@example.com',
        baseUrl: target.proxy.url,
        rotation: {
          strategy: 'api',
          endpoint: issuer.mintUrl,
          tokenField: 'data.token',
          revokeEndpoint: issuer.revokeUrl,
        },
      },
      {
        id: 'crm',
        kind: 'scim',
        displayName: 'CRM',
        owner: 'owner@example.com',
        baseUrl: target.proxy.url,
        auth: { type: 'oauth2-client-credentials', tokenUrl: issuer.tokenUrl, clientId: 'scimitar' },
        rotation: { strategy: 'oauth2' },
      },
      {
        id: 'minted',
        kind: 'scim',
        displayName: 'Minted',
        owner: 'owner@example.com',
        baseUrl: target.proxy.url,
        auth: { type: 'bearer', secretName: ADOPTED_SECRET },
        rotation: { strategy: 'api', endpoint: issuer.mintUrl, tokenField: 'data.token' },
      },
      {
        id: 'legacy',
        kind: 'scim',
        displayName: 'Legacy',
        owner: 'owner@example.com',
        baseUrl: target.proxy.url,
        rotation: { strategy: 'manual', maxAgeDays: 90, warnDaysBefore: 14 },
      },
    ],
  });
});

afterAll(async () => {
  for (const err of seenErrors) expectNoSecret(err, [TOKEN, CLIENT_SECRET, ...issuer.minted]);
  await issuer.close();
  await target.close();
});

beforeEach(() => {
  sm.reset();
  fake = new FakeSecretsManager(sm);
  // Tagged as the stack tags a rotating target's secret (lib/token-vault.ts): the rotation role's
  // grant on `<stack>/targets/*` holds only for secrets that carry the tag.
  fake.create(API_SECRET, TOKEN, { tags: { 'scimitar:target': 'code' } });
  fake.create(OAUTH_SECRET, JSON.stringify({ clientSecret: CLIENT_SECRET }), {
    tags: { 'scimitar:target': 'crm' },
  });
  fake.create(MANUAL_SECRET, TOKEN, { rotationEnabled: true });
  fake.create(ADOPTED_SECRET, TOKEN);
  target.proxy.reset();
  // Each test starts from the one live token the application was seeded with.
  issuer.reset();
});

// As the rotation function: its Secrets Manager calls are proven against that function's role
// (test/iam/); `refused`: the role must refuse them (a secret it has no business with).
const step = (secretId: string, token: string, s: RotationStep, { refused = false } = {}) =>
  actAs({ entry: 'rotation', stack: registerStack(config), refused }, () =>
    rotateSecret(
      { secretId, token, step: s },
      { store, config: configFor('rotation', config), timeoutMs: 2_000 },
    ),
  );

async function failing(promise: Promise<unknown>): Promise<unknown> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (err === undefined) throw new Error('expected the step to fail');
  seenErrors.push(err);
  return err;
}

function probeWith(token: string) {
  return new ScimClient({
    baseUrl: target.app.url,
    credentials: new BearerToken(async () => token),
    timeoutMs: 2_000,
  }).probe();
}

describe("Rotation, strategy 'api': a token minted by the application", () => {
  it('rotates end to end: mint, pending, probe with the new token, promote, old token revoked and refused', async () => {
    const oldVersion = fake.versionAt(API_SECRET, 'AWSCURRENT');
    const token = fake.startRotation(API_SECRET);

    await expect(step(API_SECRET, token, 'createSecret')).resolves.toMatchObject({ action: 'created' });
    const minted = issuer.minted.at(-1) as string;
    expect(minted).toMatch(/^tok_minted_/);
    expect(fake.valueAt(API_SECRET, 'AWSPENDING')).toBe(minted);
    expect(fake.valueAt(API_SECRET, 'AWSCURRENT')).toBe(TOKEN);
    expect(issuer.requests).toEqual([
      { method: 'POST', path: '/mint', authorized: true, idempotencyKey: token },
    ]);

    await expect(step(API_SECRET, token, 'setSecret')).resolves.toMatchObject({ action: 'set' });
    await expect(step(API_SECRET, token, 'testSecret')).resolves.toMatchObject({ action: 'tested' });
    // The probe was read-only and carried the pending token.
    const probed = target.proxy.requests;
    expect(probed.map((r) => `${r.method} ${r.url}`)).toEqual([
      'GET /scim/v2/ServiceProviderConfig',
      'GET /scim/v2/Users?count=1',
    ]);
    for (const r of probed) expect(r.headers.authorization).toBe(`Bearer ${minted}`);
    expect(fake.versionAt(API_SECRET, 'AWSCURRENT')).toBe(oldVersion);

    await expect(step(API_SECRET, token, 'finishSecret')).resolves.toMatchObject({
      action: 'promoted',
      revokedPrevious: true,
    });
    expect(fake.stages(API_SECRET)).toEqual({
      [oldVersion as string]: ['AWSPREVIOUS'],
      [token]: ['AWSCURRENT'],
    });
    expect(fake.valueAt(API_SECRET, 'AWSCURRENT')).toBe(minted);
    expect(issuer.liveTokens()).toEqual([minted]);
    expect((await probeWith(TOKEN)).authenticated).toBe(false);
    expect((await probeWith(minted)).authenticated).toBe(true);
  });

  it('keeps the other fields of a JSON secret and writes the token where the workers read it', async () => {
    fake.create('Scimitar/targets/code', JSON.stringify({ token: TOKEN, note: 'renewed by scimitar' }), {
      tags: { 'scimitar:target': 'code' },
    });
    const token = fake.startRotation(API_SECRET);
    await step(API_SECRET, token, 'createSecret');
    const pending = fake.valueAt(API_SECRET, 'AWSPENDING') as string;
    expect(JSON.parse(pending)).toEqual({ token: issuer.minted.at(-1), note: 'renewed by scimitar' });
    expect(credentialFromSecret(pending, 'token')).toBe(issuer.minted.at(-1));
  });

  it('mints once when createSecret is retried', async () => {
    const token = fake.startRotation(API_SECRET);
    await step(API_SECRET, token, 'createSecret');
    await expect(step(API_SECRET, token, 'createSecret')).resolves.toMatchObject({
      action: 'already-created',
    });
    expect(issuer.requests.filter((r) => r.path === '/mint')).toHaveLength(1);
  });

  it('changes nothing when any step comes again after the rotation finished', async () => {
    const token = fake.startRotation(API_SECRET);
    for (const s of rotationSteps) await step(API_SECRET, token, s);
    const after = fake.stages(API_SECRET);
    const requests = issuer.requests.length;
    for (const s of rotationSteps) {
      await expect(step(API_SECRET, token, s)).resolves.toMatchObject({ action: 'already-current' });
    }
    expect(fake.stages(API_SECRET)).toEqual(after);
    expect(issuer.requests).toHaveLength(requests);
  });

  describe('a failure at any step leaves AWSCURRENT untouched', () => {
    const untouched = (version: string | undefined) => {
      expect(fake.versionAt(API_SECRET, 'AWSCURRENT')).toBe(version);
      expect(fake.valueAt(API_SECRET, 'AWSCURRENT')).toBe(TOKEN);
      expect(issuer.liveTokens()).toContain(TOKEN);
    };

    it('fails createSecret when the mint endpoint answers 500, storing nothing', async () => {
      const current = fake.versionAt(API_SECRET, 'AWSCURRENT');
      const token = fake.startRotation(API_SECRET);
      issuer.failMint({ kind: 'status', status: 500 });
      const err = await failing(step(API_SECRET, token, 'createSecret'));
      expect(err).toBeInstanceOf(CredentialMintError);
      expect((err as CredentialMintError).status).toBe(500);
      expect(await store.pending(API_SECRET, token)).toBeUndefined();
      untouched(current);
    });

    it('fails createSecret when the answer lacks the token field', async () => {
      const current = fake.versionAt(API_SECRET, 'AWSCURRENT');
      const token = fake.startRotation(API_SECRET);
      issuer.failMint({ kind: 'no-field' });
      const err = await failing(step(API_SECRET, token, 'createSecret'));
      expect(err).toBeInstanceOf(CredentialMintError);
      expect((err as Error).message).toContain('"data.token"');
      untouched(current);
    });

    it('fails createSecret when the mint endpoint is unreachable', async () => {
      const current = fake.versionAt(API_SECRET, 'AWSCURRENT');
      const token = fake.startRotation(API_SECRET);
      const closed = structuredClone(config);
      const code = closed.targets[0] as Extract<ScimitarConfig['targets'][number], { kind: 'scim' }>;
      code.rotation = { ...code.rotation, endpoint: 'http://127.0.0.1:1/mint' } as typeof code.rotation;
      const err = await failing(
        rotateSecret({ secretId: API_SECRET, token, step: 'createSecret' }, { store, config: closed }),
      );
      expect(err).toBeInstanceOf(CredentialMintError);
      expect((err as Error).message).toContain('connection failed');
      untouched(current);
    });

    it('fails createSecret when storing the pending value fails, and the retry reuses the minted token', async () => {
      const current = fake.versionAt(API_SECRET, 'AWSCURRENT');
      const token = fake.startRotation(API_SECRET);
      const mintedBefore = issuer.minted.length;
      fake.failNext('PutSecretValue', new Error('Rate exceeded'));
      await failing(step(API_SECRET, token, 'createSecret'));
      untouched(current);
      await step(API_SECRET, token, 'createSecret');
      // The endpoint honoured the Idempotency-Key: one token minted, not an orphan and a second.
      expect(issuer.minted).toHaveLength(mintedBefore + 1);
      expect(issuer.requests.filter((r) => r.path === '/mint').map((r) => r.idempotencyKey)).toEqual([
        token,
        token,
      ]);
      expect(fake.valueAt(API_SECRET, 'AWSPENDING')).toBe(issuer.minted.at(-1));
    });

    it('fails setSecret when Secrets Manager cannot describe the secret', async () => {
      const current = fake.versionAt(API_SECRET, 'AWSCURRENT');
      const token = fake.startRotation(API_SECRET);
      await step(API_SECRET, token, 'createSecret');
      fake.failNext('DescribeSecret', new Error('Rate exceeded'));
      await failing(step(API_SECRET, token, 'setSecret'));
      untouched(current);
    });

    it('fails testSecret when the application does not accept the minted token', async () => {
      const current = fake.versionAt(API_SECRET, 'AWSCURRENT');
      const token = fake.startRotation(API_SECRET);
      issuer.failMint({ kind: 'unaccepted' });
      await step(API_SECRET, token, 'createSecret');
      await step(API_SECRET, token, 'setSecret');
      const err = await failing(step(API_SECRET, token, 'testSecret'));
      expect(err).toBeInstanceOf(CredentialTestError);
      expect((err as CredentialTestError).problems.join(' ')).toContain('GET /Users?count=1 failed');
      untouched(current);
      expect(issuer.requests.some((r) => r.path === '/revoke')).toBe(false);
    });

    it('fails finishSecret when the label cannot move, and revokes nothing', async () => {
      const current = fake.versionAt(API_SECRET, 'AWSCURRENT');
      const token = fake.startRotation(API_SECRET);
      for (const s of ['createSecret', 'setSecret', 'testSecret'] as const) await step(API_SECRET, token, s);
      fake.failNext('UpdateSecretVersionStage', new Error('Rate exceeded'));
      await failing(step(API_SECRET, token, 'finishSecret'));
      untouched(current);
      expect(issuer.requests.some((r) => r.path === '/revoke')).toBe(false);
    });
  });

  it('fails after promotion when the old token cannot be revoked, saying what to do', async () => {
    const token = fake.startRotation(API_SECRET);
    for (const s of ['createSecret', 'setSecret', 'testSecret'] as const) await step(API_SECRET, token, s);
    issuer.failRevoke(503);
    const err = await failing(step(API_SECRET, token, 'finishSecret'));
    expect(err).toBeInstanceOf(CredentialRevokeError);
    expect((err as Error).message).toMatch(/AWSCURRENT.*revoke endpoint answered 503.*AWSPREVIOUS/);
    expect(fake.valueAt(API_SECRET, 'AWSCURRENT')).toBe(issuer.minted.at(-1));
    expect(issuer.liveTokens()).toContain(TOKEN);
  });
});

describe("Rotation, strategy 'oauth2': client credentials", () => {
  it('proves the client credentials by a token fetch and a read-only probe, then promotes them', async () => {
    const oldVersion = fake.versionAt(OAUTH_SECRET, 'AWSCURRENT');
    const token = fake.startRotation(OAUTH_SECRET);
    for (const s of rotationSteps) await step(OAUTH_SECRET, token, s);
    expect(issuer.requests).toEqual([{ method: 'POST', path: '/oauth/token', authorized: true }]);
    expect(target.proxy.requests.map((r) => r.method)).toEqual(['GET', 'GET']);
    expect(target.proxy.requests[1]?.headers.authorization).toMatch(/^Bearer at_/);
    expect(fake.stages(OAUTH_SECRET)).toEqual({
      [oldVersion as string]: ['AWSPREVIOUS'],
      [token]: ['AWSCURRENT'],
    });
    expect(JSON.parse(fake.valueAt(OAUTH_SECRET, 'AWSCURRENT') as string)).toEqual({
      clientSecret: CLIENT_SECRET,
    });
  });

  it('fails testSecret when the provider refuses the client secret, leaving AWSCURRENT untouched', async () => {
    const current = fake.versionAt(OAUTH_SECRET, 'AWSCURRENT');
    issuer.setClientSecret('cs_changed_in_the_console');
    const token = fake.startRotation(OAUTH_SECRET);
    await step(OAUTH_SECRET, token, 'createSecret');
    await step(OAUTH_SECRET, token, 'setSecret');
    const err = await failing(step(OAUTH_SECRET, token, 'testSecret'));
    expect(err).toBeInstanceOf(CredentialTestError);
    expect((err as Error).message).toContain(
      'token endpoint refused the client credentials: 401 invalid_client',
    );
    expect(fake.versionAt(OAUTH_SECRET, 'AWSCURRENT')).toBe(current);
  });
});

describe("Rotation, strategy 'manual'", () => {
  it('refuses to rotate a target whose tokens are issued only in its console', async () => {
    const current = fake.versionAt(MANUAL_SECRET, 'AWSCURRENT');
    const token = fake.startRotation(MANUAL_SECRET);
    const err = await failing(step(MANUAL_SECRET, token, 'createSecret', { refused: true }));
    expect(err).toBeInstanceOf(RotationUnsupportedError);
    expect((err as Error).message).toContain("rotation.strategy 'manual'");
    expect(fake.versionAt(MANUAL_SECRET, 'AWSCURRENT')).toBe(current);
    expect(fake.valueAt(MANUAL_SECRET, 'AWSPENDING')).toBeUndefined();
  });
});

describe('Rotation protocol checks', () => {
  it('refuses a secret that is not enabled for rotation', async () => {
    fake.create(API_SECRET, TOKEN, { rotationEnabled: false, tags: { 'scimitar:target': 'code' } });
    const token = fake.startRotation(API_SECRET);
    const err = await failing(step(API_SECRET, token, 'createSecret'));
    expect(err).toBeInstanceOf(RotationProtocolError);
    expect((err as Error).message).toContain('not enabled for rotation');
    expect(issuer.requests).toHaveLength(0);
  });

  it('refuses a ClientRequestToken that names no version of the secret', async () => {
    const err = await failing(step(API_SECRET, '11111111-2222-4333-8444-555555555555', 'createSecret'));
    expect(err).toBeInstanceOf(RotationProtocolError);
    expect((err as Error).message).toContain('has no stage for rotation');
  });

  it('refuses a version that is not labelled AWSPENDING', async () => {
    const first = fake.startRotation(API_SECRET);
    for (const s of rotationSteps) await step(API_SECRET, first, s);
    const previous = fake.versionAt(API_SECRET, 'AWSPREVIOUS') as string;
    const err = await failing(step(API_SECRET, previous, 'finishSecret'));
    expect(err).toBeInstanceOf(RotationProtocolError);
    expect((err as Error).message).toContain('not labelled AWSPENDING');
  });

  it('refuses a secret that belongs to no target', async () => {
    fake.create('someone/else', TOKEN);
    const token = fake.startRotation('someone/else');
    const err = await failing(step('someone/else', token, 'createSecret', { refused: true }));
    expect(err).toBeInstanceOf(RotationUnsupportedError);
    expect((err as Error).message).toContain('scimitar:target');
  });

  it("rotates an adopted secret (the config's secretName, no rotation tag): the role grants that secret by its ARN", async () => {
    const token = fake.startRotation(ADOPTED_SECRET);
    for (const s of rotationSteps) await step(ADOPTED_SECRET, token, s);
    expect(fake.valueAt(ADOPTED_SECRET, 'AWSCURRENT')).toBe(issuer.minted.at(-1));
  });

  it('finds the target by the scimitar:target tag when the secret has another name', async () => {
    fake.create('imported/code-token', TOKEN, { tags: { 'scimitar:target': 'code' } });
    const token = fake.startRotation('imported/code-token');
    // On AWS the rotation role is granted only the stack's own target secrets, so IAM refuses this
    // adopted secret until the stack grants it (the IAM proof checks the refusal; issue 13).
    await expect(
      step('imported/code-token', token, 'createSecret', { refused: true }),
    ).resolves.toMatchObject({
      targetId: 'code',
      strategy: 'api',
      action: 'created',
    });
  });
});

describe('Rotation handler', () => {
  it('runs a step from the Secrets Manager event and logs the outcome without any secret', async () => {
    const output = captureOutput();
    try {
      const handler = createRotationHandler({
        store,
        config: configFor('rotation', config),
        logger: new Logger({ serviceName: 'rotation' }),
        metrics: new Metrics({ namespace: 'Scimitar', serviceName: 'rotation' }),
      });
      const token = fake.startRotation(API_SECRET);
      for (const s of rotationSteps) {
        await handler({ SecretId: API_SECRET, ClientRequestToken: token, Step: s });
      }
      expect(output.metric('CredentialRotated')).toEqual([
        { value: 1, dimensions: { target: 'code', service: 'rotation' } },
      ]);
      const logged = output.records.filter((r) => r.message === 'rotation step done');
      expect(logged.map((r) => r.action)).toEqual(['created', 'set', 'tested', 'promoted']);
      expect(output.text()).not.toContain(TOKEN);
      for (const minted of issuer.minted) expect(output.text()).not.toContain(minted);
    } finally {
      output.restore();
    }
  });

  it('fails the invocation on a failed step, with a RotationFailed metric and no secret in the log', async () => {
    const output = captureOutput();
    try {
      const handler = createRotationHandler({
        store,
        config: configFor('rotation', config),
        logger: new Logger({ serviceName: 'rotation' }),
        metrics: new Metrics({ namespace: 'Scimitar', serviceName: 'rotation' }),
      });
      const token = fake.startRotation(API_SECRET);
      issuer.failMint({ kind: 'unaccepted' });
      await handler({ SecretId: API_SECRET, ClientRequestToken: token, Step: 'createSecret' });
      const err = await failing(
        handler({ SecretId: API_SECRET, ClientRequestToken: token, Step: 'testSecret' }),
      );
      expect(err).toBeInstanceOf(CredentialTestError);
      expect(output.metric('RotationFailed')).toEqual([
        { value: 1, dimensions: { step: 'testSecret', service: 'rotation' } },
      ]);
      const failure = output.records.find((r) => r.message === 'rotation step failed');
      expect(failure).toMatchObject({ step: 'testSecret', error: 'CredentialTestError' });
      expect(failure?.reason).toContain('the pending credential failed the read-only probe');
      expect(output.text()).not.toContain(TOKEN);
      expect(output.text()).not.toContain(issuer.minted.at(-1));
    } finally {
      output.restore();
    }
  });

  it('refuses an event without the protocol fields', async () => {
    const handler = createRotationHandler({
      store,
      config: configFor('rotation', config),
      logger: new Logger({ logLevel: 'SILENT' }),
      metrics: new Metrics({ namespace: 'Scimitar' }),
    });
    const err = await failing(handler({ SecretId: API_SECRET, Step: 'rotate' }));
    expect((err as Error).message).toMatch(/invalid rotation event[\s\S]*ClientRequestToken[\s\S]*Step/);
  });
});
