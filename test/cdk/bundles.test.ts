// The code each function ships, as `cdk synth` bundles it: within the size budget, no source map
// unless the config asks for one, and no AWS SDK inside (the Lambda runtime provides it).
import { beforeAll, describe, expect, it } from 'vitest';
import { MAX_BUNDLE_BYTES, SCIMITAR_ENTRIES } from '../../lib/scimitar-function.ts';
import sample from '../../scimitar.config.ts';
import { type FunctionBundle, synthesizeBundles, withEveryFunction } from '../support/bundles.ts';

describe('CDK: function bundles', () => {
  let plain: FunctionBundle[];
  beforeAll(() => {
    plain = synthesizeBundles(withEveryFunction(sample));
  }, 120_000);

  it('bundles every entry', () => {
    expect(new Set(plain.map((b) => b.entry))).toEqual(new Set(SCIMITAR_ENTRIES));
  });

  it(`keeps each function's code within ${MAX_BUNDLE_BYTES / 1024} KB`, () => {
    const over = plain
      .map((b) => ({ entry: b.entry, bytes: Buffer.byteLength(b.files['index.mjs'] ?? '') }))
      .filter((b) => b.bytes === 0 || b.bytes > MAX_BUNDLE_BYTES);
    expect(over).toEqual([]);
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

  it('ships source maps, and tells Node to use them, when the config asks', () => {
    const mapped = synthesizeBundles({ ...withEveryFunction(sample), sourceMaps: true });
    for (const b of mapped) {
      expect(Object.keys(b.files).sort(), b.entry).toEqual(['index.mjs', 'index.mjs.map']);
      expect(b.environment.NODE_OPTIONS, b.entry).toBe('--enable-source-maps');
    }
  }, 120_000);
});
