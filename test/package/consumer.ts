// A project of the user's own, outside this repository, depending on the packed scimitar: what
// test/package/pack.test.ts installs. No network: the consumer's lock file is cut from this
// repository's (the same versions, checked by integrity), so `npm ci --offline` takes every
// package from the npm cache this repository's own `npm ci` filled, and scimitar from its tarball.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export const REPO = join(import.meta.dirname, '..', '..');

interface LockEntry {
  version?: string;
  integrity?: string;
  resolved?: string;
  dev?: boolean;
  devOptional?: boolean;
  optional?: boolean;
  peer?: boolean;
  dependencies?: Record<string, string>;
  optionalDependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
  peerDependenciesMeta?: Record<string, { optional?: boolean }>;
  [field: string]: unknown;
}
type Packages = Record<string, LockEntry>;

/** `npm pack` of this repository (its prepack builds dist/) into dir; the tarball's path. */
export function packScimitar(dir: string): string {
  const out = execFileSync('npm', ['pack', '--json', '--pack-destination', dir], {
    cwd: REPO,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const [packed] = JSON.parse(out.slice(out.indexOf('['))) as { filename: string }[];
  if (!packed) throw new Error(`npm pack printed no tarball: ${out}`);
  return join(dir, packed.filename);
}

/** The lock entries `roots` need, found the way Node resolves: nearest node_modules first. */
function closure(packages: Packages, roots: readonly string[]): Set<string> {
  const kept = new Set<string>();
  const visit = (from: string, name: string): void => {
    let dir = from;
    for (;;) {
      const candidate = `${dir ? `${dir}/` : ''}node_modules/${name}`;
      const entry = packages[candidate];
      if (entry) {
        if (kept.has(candidate)) return;
        kept.add(candidate);
        const deps = { ...entry.dependencies, ...entry.optionalDependencies, ...entry.peerDependencies };
        for (const dep of Object.keys(deps)) visit(candidate, dep);
        return;
      }
      // Not installed for this platform (an optional binary), or an optional peer nobody has.
      if (!dir) return;
      const up = dir.lastIndexOf('/node_modules/');
      dir = up === -1 ? '' : dir.slice(0, up);
    }
  };
  for (const root of roots) visit('', root);
  return kept;
}

/**
 * Writes package.json and package-lock.json of a consumer in dir: scimitar from the tarball, and
 * aws-cdk-lib and constructs (its peers, which the user's CDK app shares) at this repository's
 * versions. Returns the dependencies it declared.
 */
export function writeConsumer(dir: string, tarball: string): Record<string, string> {
  const repoLock = JSON.parse(readFileSync(join(REPO, 'package-lock.json'), 'utf8')) as {
    packages: Packages;
  };
  const manifest = JSON.parse(readFileSync(join(REPO, 'package.json'), 'utf8')) as LockEntry & {
    name: string;
    version: string;
  };
  const peers = Object.keys(manifest.peerDependencies ?? {});
  const dependencies: Record<string, string> = { scimitar: `file:${tarball}` };
  for (const peer of peers) dependencies[peer] = `^${repoLock.packages[`node_modules/${peer}`]?.version}`;

  const packages: Packages = {
    '': { name: 'acme-offboarding', version: '1.0.0', dependencies },
    'node_modules/scimitar': {
      version: manifest.version,
      resolved: `file:${tarball}`,
      integrity: `sha512-${createHash('sha512').update(readFileSync(tarball)).digest('base64')}`,
      license: manifest.license,
      hasInstallScript: true,
      dependencies: manifest.dependencies,
      peerDependencies: manifest.peerDependencies,
      bin: manifest.bin,
      engines: manifest.engines,
    },
  };
  for (const path of closure(repoLock.packages, [...Object.keys(manifest.dependencies ?? {}), ...peers])) {
    const { dev, devOptional, peer, ...entry } = repoLock.packages[path] as LockEntry;
    packages[path] = devOptional ? { ...entry, optional: true } : entry;
  }
  writeFileSync(
    join(dir, 'package.json'),
    `${JSON.stringify({ name: 'acme-offboarding', version: '1.0.0', private: true, type: 'module', dependencies }, null, 2)}\n`,
  );
  writeFileSync(
    join(dir, 'package-lock.json'),
    `${JSON.stringify({ name: 'acme-offboarding', version: '1.0.0', lockfileVersion: 3, requires: true, packages }, null, 2)}\n`,
  );
  return dependencies;
}
