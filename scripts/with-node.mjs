#!/usr/bin/env node
// Runs a command with a Node.js >= 22 first on PATH (the machine's own, or the one
// scripts/node-toolchain.mjs installed), so every npm script runs on a supported Node.
// On a fresh clone it brings that Node first, then installs the dependencies with it (npm ci),
// so `npm start` and `npm test` work as the first command anyone types, without npm's
// engine warnings. Signals reach the whole command (and nothing outlives the wrapper).
// Written for any Node >= 18: it is the thing that runs first.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { constants } from 'node:os';
import { delimiter, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { withInstallLock } from './install-lock.mjs';
import { BUNDLED_NODE_VERSION, currentNodeIsEnough, ensureNode } from './node-toolchain.mjs';
import { descendantsOf, endAll, signalAll, watchParent } from './process-tree.mjs';

const [command, ...args] = process.argv.slice(2);
if (!command) {
  process.stderr.write('usage: node scripts/with-node.mjs <command> [args...]\n');
  process.exit(64);
}
const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const installed = () => existsSync(join(root, 'node_modules', '.package-lock.json'));

if (!installed()) {
  process.stderr.write(
    `scimitar: first run on this clone: ${
      currentNodeIsEnough()
        ? 'installing the dependencies (npm ci, about a minute)'
        : `Node ${process.versions.node} is too old, so it brings Node ${BUNDLED_NODE_VERSION} into .toolchain/ (about 30 MB) and installs the dependencies with it (npm ci): about two minutes in all`
    }; later runs start at once.\n`,
  );
}
const binDir = ensureNode();
const env = { ...process.env };
env.PATH = [binDir, join(root, 'node_modules', '.bin'), env.PATH ?? ''].filter(Boolean).join(delimiter);

if (!installed()) {
  const started = Date.now();
  // One install at a time, even from several worktrees sharing one node_modules.
  const status = await withInstallLock(root, () => {
    if (installed()) return 0; // another process installed while this one waited
    return npmCi(binDir);
  });
  if (status !== 0) process.exit(status);
  process.stderr.write(
    `scimitar: dependencies installed in ${Math.round((Date.now() - started) / 1000)} s\n`,
  );
}

/** npm ci, run by the Node that will run the project, showing only errors. */
function npmCi(nodeBinDir) {
  const flags = ['ci', '--no-audit', '--no-fund', '--loglevel=error'];
  const npmCli = process.env.npm_execpath;
  // Under `npm run`, npm_execpath is npm's own script: run it with the new Node, so npm checks
  // the packages' engines against the Node that runs them, not the machine's old one.
  const [program, programArgs] =
    nodeBinDir && npmCli?.endsWith('.js')
      ? [join(nodeBinDir, process.platform === 'win32' ? 'node.exe' : 'node'), [npmCli, ...flags]]
      : [process.platform === 'win32' ? 'npm.cmd' : 'npm', flags];
  const install = spawnSync(program, programArgs, { cwd: root, stdio: 'inherit', env });
  if (install.error) {
    process.stderr.write(`scimitar: could not run npm ci: ${install.error.message}\n`);
    return 1;
  }
  return install.status ?? 1;
}

const child = spawn(command, args, { stdio: 'inherit', env, shell: process.platform === 'win32' });
child.on('error', (err) => {
  process.stderr.write(`scimitar: cannot run ${command}: ${err.message}\n`);
  process.exit(127);
});

let lastTree = [];
let forced;
const forward = (signal) => {
  if (child.exitCode !== null || child.signalCode !== null) return;
  // Remember the tree now: once the child exits, its children are no longer found under it.
  lastTree = [...new Set([...lastTree, ...descendantsOf(child.pid)])];
  child.kill(signal);
  // A command that ignores the signal is ended after 10 s, with everything it started.
  forced ??= setTimeout(() => signalAll([child.pid, ...lastTree], 'SIGKILL'), 10_000);
  forced.unref();
};
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.on(signal, () => forward(signal));
// npm does not pass a SIGTERM on to this script (it ends the shell between them): when the
// parent goes away, stop the command as if it had been signalled.
watchParent(() => forward('SIGTERM'));

child.on('exit', async (code, signal) => {
  clearTimeout(forced);
  // Whatever the command started and left behind goes with it: asked first, then forced.
  await endAll(lastTree, 3000);
  process.exit(signal ? 128 + (constants.signals[signal] ?? 1) : (code ?? 1));
});
