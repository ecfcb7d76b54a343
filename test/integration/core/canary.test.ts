// The credential canary against real servers on loopback: a healthy target, one whose token the
// application no longer accepts, and one whose port is closed; results recorded on dynalite.
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { DynamoCanaryStatus } from '../../../lambdas/aws/adapters/dynamo-canary-status.ts';
import { SecretsManagerStore } from '../../../lambdas/aws/adapters/secrets-manager-store.ts';
import { CanaryError, checkTargets, readCanaryStatus } from '../../../lambdas/core/credentials/canary.ts';
import { CurrentSecretSource } from '../../../lambdas/core/credentials/secret-store.ts';
import { parseConfig, type ScimitarConfig } from '../../../lambdas/core/model/config.ts';
import { createCanaryHandler } from '../../../lambdas/handlers/canary.ts';
import {
  CredentialAgeUnknownError,
  SourceKeyAgeUnknownError,
} from '../../../lambdas/handlers/credential-age.ts';
import { configFor } from '../../../lib/config-projection.ts';
import { LocalSecretSource } from '../../../local/secrets.ts';
import { captureOutput } from '../../support/captured-output.ts';
import { type LocalDynamo, startDynalite } from '../../support/dynalite.ts';
import { closedPort } from '../../support/ports.ts';
import { FixedClock } from '../../support/recorders.ts';
import { type ScimTarget, startTarget, TOKEN } from '../../support/scim-target.ts';
import { expectNoSecret } from '../../support/secrets.ts';
import { FakeSecretsManager } from '../../support/secrets-manager-fake.ts';

const EXPIRED = 'tok_expired_Qw3Er5Ty7Ui9Op1As';
const SIGNING_KEY = 'sk_hr_signing_Zx8Cv6Bn4Mm2';

let target: ScimTarget;
let dynamo: LocalDynamo;
let closedPortUrl: string;
let config: ScimitarConfig;

const scim = (id: string, baseUrl: string, extra: Record<string, unknown> = {}) => ({
  id,
  kind: 'scim' as const,
  displayName: id,
  owner: 'owner@example.com',
  baseUrl,
  ...extra,
});

beforeAll(async () => {
  target = await startTarget();
  closedPortUrl = `http://127.0.0.1:${await closedPort()}/scim/v2`;
  config = parseConfig({
    sources: [{ id: 'hr', kind: 'generic' }],
    targets: [
      scim('healthy', target.proxy.url),
      scim('expired', target.proxy.url),
      scim('gone', closedPortUrl),
      {
        id: 'payroll',
        kind: 'manual',
        displayName: 'Payroll',
        owner: 'owner@example.com',
        coverage: { status: 'manual-runbook', compensatingControl: 'by hand', reviewCadenceDays: 30 },
      },
    ],
  });
});
afterAll(async () => target.close());
// A fresh state table per test: results of one test never count in another's.
beforeEach(async () => {
  target.proxy.reset();
  dynamo = await startDynalite();
});
afterEach(async () => dynamo.close());

const secrets = new LocalSecretSource({
  env: {},
  values: {
    'Scimitar/targets/healthy': TOKEN,
    'Scimitar/targets/expired': EXPIRED,
    'Scimitar/targets/gone': TOKEN,
  },
});

function deps(clock = new FixedClock(new Date('2026-11-28T10:00:00Z'))) {
  return {
    secrets,
    status: new DynamoCanaryStatus({ tableName: dynamo.stateTable, client: dynamo.client }),
    clock,
    timeoutMs: 2_000,
  };
}

describe('Credential canary: checkTargets', () => {
  it('passes a healthy target, fails an expired token and an unreachable endpoint, each with its reason', async () => {
    const results = await checkTargets(config, deps());
    expect(results.map((r) => [r.targetId, r.ok, r.reachable, r.authenticated])).toEqual([
      ['healthy', true, true, true],
      ['expired', false, true, false],
      ['gone', false, false, false],
    ]);
    const [healthy, expired, gone] = results;
    expect(healthy?.problems).toEqual([]);
    expect(expired?.problems.join('\n')).toContain('GET /Users?count=1 failed: server answered 401 twice');
    expect(gone?.problems.join('\n')).toContain('GET /Users?count=1 failed');
    expect(gone?.problems.join('\n')).toMatch(/connection|refused|failed/);
    expectNoSecret(results, [TOKEN, EXPIRED]);
  });

  it('probes read-only: ServiceProviderConfig and one /Users item, nothing else', async () => {
    await checkTargets(config, deps(), { targetIds: ['healthy'] });
    expect(target.proxy.requests.map((r) => `${r.method} ${r.url}`)).toEqual([
      'GET /scim/v2/ServiceProviderConfig',
      'GET /scim/v2/Users?count=1',
    ]);
  });

  it('records each result for the coverage report, with failures counted in a row', async () => {
    const clock = new FixedClock(new Date('2026-11-28T11:00:00Z'));
    await checkTargets(config, deps(clock));
    clock.advance(3_600_000);
    await checkTargets(config, deps(clock));
    const status = await readCanaryStatus(config, { status: deps().status, clock });
    expect(status.map((s) => [s.targetId, s.state, s.record?.consecutiveFailures])).toEqual([
      ['healthy', 'ok', 0],
      ['expired', 'failing', 2],
      ['gone', 'failing', 2],
    ]);
    expect(status[1]?.record?.problems.join('\n')).toContain('401');
    expectNoSecret(status, [TOKEN, EXPIRED]);
  });

  it('reports a target as stale when the canary stopped running, and never-checked before its first run', async () => {
    await checkTargets(config, deps());
    const fresh = parseConfig({
      ...config,
      targets: [...config.targets, scim('newcomer', target.proxy.url)],
    });
    const onTime = new FixedClock(new Date('2026-11-28T11:30:00Z'));
    expect(
      (await readCanaryStatus(fresh, { status: deps().status, clock: onTime })).map((s) => s.state),
    ).toEqual(['ok', 'failing', 'failing', 'never-checked']);
    const later = new FixedClock(new Date('2026-11-29T12:00:00Z'));
    const status = await readCanaryStatus(fresh, { status: deps().status, clock: later });
    expect(status.map((s) => [s.targetId, s.state])).toEqual([
      ['healthy', 'stale'],
      ['expired', 'stale'],
      ['gone', 'stale'],
      ['newcomer', 'never-checked'],
    ]);
  });

  it('fails a target whose secret cannot be read, naming no secret, and still probes the others', async () => {
    const partial = new LocalSecretSource({ env: {}, values: { 'Scimitar/targets/healthy': TOKEN } });
    const results = await checkTargets(config, { ...deps(), secrets: partial });
    expect(results.map((r) => r.ok)).toEqual([true, false, false]);
    expect(results[1]?.problems.join('\n')).toMatch(/credential/i);
  });

  it('refuses a target id it does not know, on demand', async () => {
    await expect(checkTargets(config, deps(), { targetIds: ['nope'] })).rejects.toBeInstanceOf(CanaryError);
    await expect(checkTargets(config, deps(), { targetIds: ['payroll'] })).rejects.toThrow(
      'no SCIM target "payroll"',
    );
  });
});

describe('Credential canary: handler', () => {
  const sm = mockClient(SecretsManagerClient);

  function handlerConfig(): ScimitarConfig {
    return parseConfig({
      ...config,
      targets: [
        ...config.targets,
        scim('legacy', target.proxy.url, {
          rotation: { strategy: 'manual', maxAgeDays: 90, warnDaysBefore: 14 },
        }),
      ],
    });
  }

  function run(clock: FixedClock, canaryConfig: ScimitarConfig = handlerConfig()) {
    const store = new SecretsManagerStore(new SecretsManagerClient({ region: 'eu-west-1' }));
    return createCanaryHandler({
      // As the canary function sees it on AWS: its projection (lib/config-projection.ts).
      config: configFor('canary', canaryConfig),
      store,
      secrets: new CurrentSecretSource(store),
      status: deps(clock).status,
      clock,
      timeoutMs: 2_000,
      logger: new Logger({ serviceName: 'canary' }),
      metrics: new Metrics({ namespace: 'Scimitar', serviceName: 'canary' }),
    });
  }

  function secretsManager(): FakeSecretsManager {
    sm.reset();
    const fake = new FakeSecretsManager(sm);
    fake.now = new Date('2026-09-01T00:00:00Z');
    fake.create('Scimitar/targets/healthy', TOKEN);
    fake.create('Scimitar/targets/expired', EXPIRED);
    fake.create('Scimitar/targets/gone', TOKEN);
    fake.create('Scimitar/targets/legacy', JSON.stringify({ token: TOKEN, note: 'renewed by hand' }));
    fake.create('Scimitar/sources/hr', SIGNING_KEY);
    return fake;
  }

  it('publishes CanaryFailed per target (1 or 0) and the age of hand-renewed credentials, without secrets', async () => {
    secretsManager();
    const output = captureOutput();
    try {
      // 2026-09-01 + 80 days: past the warning at 90 - 14 = 76 days.
      const run80 = run(new FixedClock(new Date('2026-11-20T00:00:00Z')));
      const outcome = await run80({});
      expect(outcome.results.map((r) => r.ok)).toEqual([true, false, false, true]);
      expect(output.metric('CanaryFailed')).toEqual([
        { value: 0, dimensions: { target: 'healthy', service: 'canary' } },
        { value: 1, dimensions: { target: 'expired', service: 'canary' } },
        { value: 1, dimensions: { target: 'gone', service: 'canary' } },
        { value: 0, dimensions: { target: 'legacy', service: 'canary' } },
      ]);
      // Targets without a rotation setting are manual by default (90 days, warned 14 before).
      expect(output.metric('CredentialAgeDays')).toEqual(
        ['healthy', 'expired', 'gone', 'legacy'].map((target) => ({
          value: 80,
          dimensions: { target, service: 'canary' },
        })),
      );
      expect(outcome.ages.ages.find((a) => a.targetId === 'legacy')).toMatchObject({
        ageDays: 80,
        due: true,
        warnAtDays: 76,
        basis: 'version-created',
      });
      const failed = output.records.filter((r) => r.message === 'canary failed').map((r) => r.targetId);
      expect(failed).toEqual(['expired', 'gone']);
      // The source's signing key, created with the others 80 days ago, measured without being read.
      expect(output.metric('SourceKeyAgeDays')).toEqual([
        { value: 80, dimensions: { source: 'hr', service: 'canary' } },
      ]);
      expect(outcome.sourceKeys.ages).toEqual([
        expect.objectContaining({ sourceId: 'hr', due: false, warnAtDays: 335 }),
      ]);
      const valueReads = sm.commandCalls(GetSecretValueCommand).map((call) => call.args[0].input.SecretId);
      expect(valueReads).not.toContain('Scimitar/sources/hr');
      for (const secret of [TOKEN, EXPIRED, SIGNING_KEY]) expect(output.text()).not.toContain(secret);
    } finally {
      output.restore();
    }
  });

  it('fails the run when a credential age cannot be measured, after publishing everything else', async () => {
    secretsManager();
    const output = captureOutput();
    try {
      const handler = run(
        new FixedClock(new Date('2026-11-20T00:00:00Z')),
        parseConfig({
          ...handlerConfig(),
          targets: [
            ...handlerConfig().targets,
            scim('lost', target.proxy.url, {
              rotation: { strategy: 'manual', maxAgeDays: 30, warnDaysBefore: 7 },
            }),
          ],
        }),
      );
      const err = await handler({}).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(err).toBeInstanceOf(CredentialAgeUnknownError);
      expect((err as CredentialAgeUnknownError).targetIds).toEqual(['lost']);
      expect(output.metric('CanaryFailed').find((m) => m.dimensions.target === 'lost')?.value).toBe(1);
      // Targets without a rotation setting are manual by default (90 days): all measured but 'lost'.
      expect(output.metric('CredentialAgeDays').map((m) => m.dimensions.target)).toEqual([
        'healthy',
        'expired',
        'gone',
        'legacy',
      ]);
      expectNoSecret(err, [TOKEN, EXPIRED]);
    } finally {
      output.restore();
    }
  });

  it('fails the run when a source signing key age cannot be measured, after publishing every target age', async () => {
    secretsManager();
    const output = captureOutput();
    try {
      // A config with a second source whose secret was never created.
      const handler = run(
        new FixedClock(new Date('2026-11-20T00:00:00Z')),
        parseConfig({
          ...handlerConfig(),
          sources: [...handlerConfig().sources, { id: 'lost', kind: 'generic' }],
        }),
      );
      const err = await handler({ targetIds: ['healthy'] }).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(err).toBeInstanceOf(SourceKeyAgeUnknownError);
      expect((err as SourceKeyAgeUnknownError).sourceIds).toEqual(['lost']);
      expect(output.metric('SourceKeyAgeDays').map((m) => m.dimensions.source)).toEqual(['hr']);
      expect(output.metric('CredentialAgeDays').length).toBeGreaterThan(0);
    } finally {
      output.restore();
    }
  });

  it('probes only the targets asked for on demand', async () => {
    secretsManager();
    const output = captureOutput();
    try {
      const outcome = await run(new FixedClock(new Date('2026-09-02T00:00:00Z')))({ targetIds: ['healthy'] });
      expect(outcome.results.map((r) => r.targetId)).toEqual(['healthy']);
      expect(output.metric('CanaryFailed')).toHaveLength(1);
    } finally {
      output.restore();
    }
  });
});
