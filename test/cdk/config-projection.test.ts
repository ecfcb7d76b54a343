// Each function is given only the part of the config it reads (lib/config-projection.ts), and a
// field its projection leaves out is a tripwire, not undefined: the tests that run a function with
// its projection (the local runtime, the entry, rotation, canary and reconcile tests) fail when its
// code starts reading a field the projection drops.
import { describe, expect, it } from 'vitest';
import { ConfigFieldNotProjectedError } from '../../lambdas/aws/config-guard.ts';
import { parseConfig } from '../../lambdas/core/model/config.ts';
import { sessionRevokerFor } from '../../lambdas/core/sessions/revoker.ts';
import { CONFIG_PROJECTIONS, configFor, projectConfig } from '../../lib/config-projection.ts';
import { SCIMITAR_ENTRIES } from '../../lib/scimitar-function.ts';
import { InMemorySecretSource } from '../support/fakes.ts';
import { scaleConfig } from '../support/scale-config.ts';

const config = parseConfig(scaleConfig(8, 2));

describe('config projection: what each function is given', () => {
  it('names a projection, or none, for every function', () => {
    expect(Object.keys(CONFIG_PROJECTIONS).sort()).toEqual([...SCIMITAR_ENTRIES].sort());
  });

  it('keeps every target, in order, with only the projected fields', () => {
    const worker = projectConfig('worker', config);
    expect(worker?.config.targets?.map((t) => t.id)).toEqual(config.targets.map((t) => t.id));
    for (const target of worker?.config.targets ?? []) {
      expect(Object.keys(target).every((k) => CONFIG_PROJECTIONS.worker?.targets?.includes(k as never))).toBe(
        true,
      );
    }
    // blastRadius: the lanes spend the budget at the write (issue 12).
    expect(Object.keys(worker?.config ?? {}).sort()).toEqual(['blastRadius', 'stackName', 'targets']);
    expect(worker?.dropped.targets).toEqual(expect.arrayContaining(['displayName', 'owner', 'allowList']));
  });

  it('gives a function that reads no config none', () => {
    // Summarize reads the entra-lcw sources now (the Lifecycle Workflows resume); the audit archive reads none.
    expect(projectConfig('audit-archive', config)).toBeUndefined();
    expect(() => configFor('audit-archive', config)).toThrow(/is given no config/);
  });

  it('refuses a read of a field the projection drops, naming the function, the field and the fix', () => {
    const seen = configFor('worker', config);
    const target = seen.targets[0];
    expect(target?.kind).toBe('scim');
    expect(() => target?.displayName).toThrow(ConfigFieldNotProjectedError);
    expect(() => target?.owner).toThrow(
      /the worker function read config field targets\[\]\.owner, which its projection leaves out; add it to the worker projection in lib\/config-projection\.ts/,
    );
    expect(() => seen.sources).toThrow(/config field sources/);
    expect(() => seen.reconciliation).toThrow(ConfigFieldNotProjectedError);
  });

  it('reads a kept field that a target does not set as undefined, as in the whole config', () => {
    const reconcile = configFor('reconcile', config);
    const unset = reconcile.targets.find((t) => t.kind === 'scim' && t.deleteAfterDays === undefined);
    expect(unset).toBeDefined();
    expect(JSON.parse(JSON.stringify(reconcile.targets[0]))).toEqual(
      projectConfig('reconcile', config)?.config.targets?.[0],
    );
  });

  it("gives the worker every field a session target's revoker reads, for each provider", () => {
    const sessions = parseConfig({
      sources: [{ id: 'hr', kind: 'generic' }],
      targets: [
        { provider: 'okta', baseUrl: 'https://acme.okta.com' },
        { provider: 'entra', tenantId: 'contoso', clientId: 'app', tokenUrl: 'https://login.example.com/t' },
        { provider: 'google', adminEmail: 'admin@example.com', baseUrl: 'https://admin.example.com' },
        { provider: 'hook', baseUrl: 'https://hooks.example.com/revoke' },
      ].map((fields, i) => ({
        id: `s${i}`,
        displayName: 'S',
        owner: 'o@example.com',
        kind: 'session',
        ...fields,
      })),
    });
    const secrets = new InMemorySecretSource({});
    for (const target of configFor('worker', sessions).targets) {
      if (target.kind !== 'session') throw new Error('unreachable');
      expect(() => sessionRevokerFor(target, { secretId: 'x', secrets }), target.id).not.toThrow();
    }
  });
});
