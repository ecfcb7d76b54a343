// End to end on the local runtime: a signed generic termination revokes the leaver in eight
// preset-configured applications, each a fake that behaves as its vendor documents.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ScimTargetConfig, targetSecretName } from '../../lambdas/core/model/config.ts';
import { type PresetName, presetNames } from '../../lambdas/core/targets/presets/index.ts';
import { type PresetFake, presetFakeProfiles, startPresetFake } from '../../local/fakes/scim-preset.ts';
import type { LocalRuntime } from '../../local/runtime.ts';
import { endedExecution, steps } from '../support/events.ts';
import { postSigned, startTestRuntime, terminationOf, testConfig } from '../support/local-runtime.ts';

const TOKEN = 'tok_e2e_preset_Q8vN2xLr';
const CLIENT = { id: 'scimitar-e2e', secret: 'cs_e2e_preset_T5kW9aPz' };
const ADA = { employeeId: 'P100', userName: 'ada.preset@example.com', emails: ['ada.preset@example.com'] };
const BOB = { employeeId: 'P200', userName: 'bob.preset@example.com', emails: ['bob.preset@example.com'] };
const idOf = (preset: PresetName) => `p-${preset.replace('aws-iam-identity-center', 'aws-sso')}`;

let runtime: LocalRuntime & { lines: string[] };
const fakes = new Map<PresetName, PresetFake>();

beforeAll(async () => {
  for (const preset of presetNames) {
    const fake = await startPresetFake({ profile: presetFakeProfiles[preset], client: CLIENT });
    fake.seed(
      [ADA, BOB].map((p) => ({
        userName: p.userName,
        externalId: p.employeeId,
        emails: p.emails.map((value) => ({ value, primary: true })),
      })),
    );
    fakes.set(preset, fake);
  }
  const config = testConfig({
    targets: presetNames.map((preset) => {
      const fake = fakes.get(preset) as PresetFake;
      return {
        id: idOf(preset),
        kind: 'scim' as const,
        displayName: preset,
        owner: 'it@example.com',
        preset,
        // The fake's address instead of the vendor's; everything else comes from the preset.
        baseUrl: fake.url,
        ...(fake.tokenUrl && {
          auth: { type: 'oauth2-client-credentials' as const, clientId: CLIENT.id, tokenUrl: fake.tokenUrl },
        }),
        ...(preset === 'zoom' && { presetValues: { accountId: 'zoom-account-1' } }),
      };
    }),
  });
  const dataDir = mkdtempSync(join(tmpdir(), 'scimitar-e2e-presets-'));
  const secrets: Record<string, string> = {};
  for (const target of config.targets as ScimTargetConfig[]) {
    secrets[targetSecretName(target)] = target.auth.type === 'bearer' ? TOKEN : CLIENT.secret;
  }
  writeFileSync(join(dataDir, 'secrets.json'), JSON.stringify(secrets), { mode: 0o600 });
  for (const fake of fakes.values()) if (!fake.tokenUrl) fake.acceptTokens([TOKEN]);
  runtime = await startTestRuntime({
    config,
    dataDir,
    demoApps: false,
    canary: false,
    reconcileOnSchedule: false,
  });
}, 120_000);

afterAll(async () => {
  await runtime?.stop();
  await Promise.all([...fakes.values()].map((f) => f.close()));
});

describe('presets end to end on the local runtime', () => {
  it('revokes a leaver in every preset-configured application from one signed event, and nobody else', async () => {
    const body = terminationOf(ADA);
    const answer = await postSigned(runtime, body);
    expect(answer.status).toBe(202);
    const { eventId } = JSON.parse(body) as { eventId: string };
    const done = await endedExecution(runtime, eventId, 60_000);
    expect(done.status).toBe('SUCCEEDED');

    const timeline = steps(await runtime.audit.forEvent(eventId));
    for (const [preset, fake] of fakes) {
      expect(fake.userByName(ADA.userName)?.active, preset).toBe(false);
      expect(fake.userByName(BOB.userName)?.active, preset).toBe(true);
      expect(timeline, preset).toContain(`VERIFIED:${idOf(preset)}`);
      expect(fake.throttled, preset).toEqual([]);
    }
    expect(timeline.at(-1)).toBe('COMPLETED');
    const ledger = await runtime.ledger.forPerson(ADA.employeeId);
    expect(Object.fromEntries(ledger.map((l) => [l.targetId, l.outcome]))).toEqual(
      Object.fromEntries(presetNames.map((p) => [idOf(p), 'revoked'])),
    );
  });
});
