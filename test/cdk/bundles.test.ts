// The code each function ships, as `cdk synth` bundles it: within the size budget, no source map
// unless the config asks for one, and no AWS SDK inside (the Lambda runtime provides it).
import { beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../lambdas/core/model/config.ts';
import { CONFIG_PROJECTIONS, projectConfig } from '../../lib/config-projection.ts';
import { MAX_BUNDLE_BYTES, SCIMITAR_ENTRIES, type ScimitarEntry } from '../../lib/scimitar-function.ts';
import sample from '../../scimitar.config.ts';
import {
  type FunctionBundle,
  inlinedConfig,
  synthesizeBundles,
  withEveryFunction,
} from '../support/bundles.ts';
import { scaleConfig } from '../support/scale-config.ts';

function oversized(bundles: FunctionBundle[]): { entry: string; bytes: number }[] {
  return bundles
    .map((b) => ({ entry: b.entry, bytes: Buffer.byteLength(b.files['index.mjs'] ?? '') }))
    .filter((b) => b.bytes === 0 || b.bytes > MAX_BUNDLE_BYTES);
}

describe('CDK: function bundles', () => {
  let plain: FunctionBundle[];
  beforeAll(() => {
    plain = synthesizeBundles(withEveryFunction(sample));
  }, 120_000);

  it('bundles every entry', () => {
    expect(new Set(plain.map((b) => b.entry))).toEqual(new Set(SCIMITAR_ENTRIES));
  });

  it(`keeps each function's code within ${MAX_BUNDLE_BYTES / 1024} KB`, () => {
    expect(oversized(plain)).toEqual([]);
  });

  it('ships no source map and no AWS SDK by default', () => {
    for (const b of plain) {
      expect(Object.keys(b.files), b.entry).toEqual(['index.mjs']);
      expect(b.environment.NODE_OPTIONS, b.entry).toBeUndefined();
      // The SDK stays an import the Lambda runtime resolves, never inlined.
      expect(b.files['index.mjs'], b.entry).toMatch(/from"@aws-sdk\/client-/);
      expect(b.files['index.mjs'], b.entry).not.toMatch(/class DynamoDBClient\b/);
    }
  });

  it("carries the config in the bundle, bundled with the local esbuild: the reconciler's holds the sample's targets", () => {
    const reconciler = plain.find((b) => b.entry === 'reconcile');
    // The config is inlined gzipped (its projection for this function): unpack it to read it.
    const inlined = JSON.stringify(inlinedConfig(reconciler?.files['index.mjs'] ?? '') ?? {});
    const scim = sample.targets.find((t) => t.kind === 'scim');
    expect(scim?.baseUrl).toBeTruthy();
    expect(inlined).toContain(scim?.baseUrl);
    for (const b of plain) expect(JSON.stringify(b.environment), b.entry).not.toContain('SCIMITAR_CONFIG');
  });

  it('ships source maps, and tells Node to use them, when the config asks', () => {
    const mapped = synthesizeBundles({ ...withEveryFunction(sample), sourceMaps: true });
    for (const b of mapped) {
      expect(Object.keys(b.files).sort(), b.entry).toEqual(['index.mjs', 'index.mjs.map']);
      expect(b.environment.NODE_OPTIONS, b.entry).toBe('--enable-source-maps');
    }
  }, 120_000);
});

describe('CDK: function bundles at 200 SCIM targets (test/fixtures/scale/200-targets.config.ts)', () => {
  const config = parseConfig(scaleConfig(200, 20));
  let bundles: FunctionBundle[];
  beforeAll(() => {
    bundles = synthesizeBundles(scaleConfig(200, 20));
  }, 300_000);

  it(`keeps each function's code within ${MAX_BUNDLE_BYTES / 1024} KB, its part of the config included`, () => {
    expect(new Set(bundles.map((b) => b.entry))).toEqual(new Set(SCIMITAR_ENTRIES));
    expect(oversized(bundles)).toEqual([]);
  });

  it('inlines into each function its projection of the config, and none into a function that reads none', () => {
    for (const b of bundles) {
      const entry = b.entry as ScimitarEntry;
      expect(inlinedConfig(b.files['index.mjs'] ?? ''), entry).toEqual(projectConfig(entry, config));
    }
    // The config of 200 targets is over 128 KB (so it is no esbuild --define argument); each bundle carries a slice.
    expect(JSON.stringify(config).length).toBeGreaterThan(128 * 1024);
    const worker = inlinedConfig(bundles.find((b) => b.entry === 'worker')?.files['index.mjs'] ?? '');
    expect(worker?.config.targets).toHaveLength(220);
    expect(worker?.config.sources).toBeUndefined();
    expect(worker?.dropped.targets).toEqual(expect.arrayContaining(['displayName', 'owner', 'rotation']));
    const ingest = inlinedConfig(bundles.find((b) => b.entry === 'ingest')?.files['index.mjs'] ?? '');
    // Ingest tells each target's owner of a rescind after the start: three fields per target, no more.
    expect(ingest?.config.targets).toHaveLength(220);
    for (const target of ingest?.config.targets ?? [])
      expect(Object.keys(target).sort()).toEqual(['displayName', 'id', 'owner']);
    expect(ingest?.dropped.targets).toEqual(expect.arrayContaining(['baseUrl', 'auth', 'rateBudget']));
    expect(Object.entries(CONFIG_PROJECTIONS).filter(([, p]) => !p).length).toBeGreaterThan(0);
  });
});
