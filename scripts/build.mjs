#!/usr/bin/env node
// Builds the package's JavaScript into dist/ (npm pack runs it as prepack): Node does not strip
// TypeScript inside node_modules, so the installed package ships tsc's output, its relative
// `.ts` imports rewritten to `.js`, plus declarations for the public entry (lib/index.ts).
// Runs under scripts/with-node.mjs (a Node >= 22 first on PATH).
import { spawnSync } from 'node:child_process';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const dist = join(root, 'dist');

function tsc(project) {
  const run = spawnSync('tsc', ['-p', project], {
    cwd: root,
    stdio: 'inherit',
    shell: process.platform === 'win32',
  });
  if (run.status !== 0) {
    process.stderr.write(`scimitar build: tsc -p ${project} failed\n`);
    process.exit(run.status ?? 1);
  }
}

rmSync(dist, { recursive: true, force: true });
tsc('tsconfig.build.json');
tsc('tsconfig.types.json');
// tsc copies package.json (lambdas/core/scim/options.ts reads the version) whole; dist/ gets only
// what that import reads, so no second manifest (scripts, bin) sits inside the package.
const { name, version } = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
writeFileSync(join(dist, 'package.json'), `${JSON.stringify({ name, version, type: 'module' }, null, 2)}\n`);
process.stderr.write(`scimitar build: ${name}@${version} compiled into dist/\n`);
