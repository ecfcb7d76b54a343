// One dependency install at a time. A second `npm start` (or `npm test`) on a fresh clone, or a
// worktree whose node_modules links to a shared one, waits for the running install instead of
// starting another npm ci that would delete the files the first is writing.
import { mkdirSync, readFileSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

function lockDirFor(root) {
  let modules = join(root, 'node_modules');
  try {
    modules = realpathSync(modules);
  } catch {
    // no node_modules yet
  }
  return join(dirname(modules), '.scimitar-install.lock');
}

function holderAlive(lock) {
  try {
    const pid = Number(readFileSync(join(lock, 'pid'), 'utf8'));
    if (!pid) return false;
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return err?.code === 'EPERM';
  }
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** Runs `install` holding the lock; waits (up to 15 minutes) while another live process holds it. */
export async function withInstallLock(root, install) {
  const lock = lockDirFor(root);
  const deadline = Date.now() + 15 * 60_000;
  let told = false;
  for (;;) {
    try {
      mkdirSync(lock);
      break;
    } catch (err) {
      if (err?.code !== 'EEXIST') throw err;
      if (!holderAlive(lock)) {
        rmSync(lock, { recursive: true, force: true }); // left by a process that died
        continue;
      }
      if (Date.now() > deadline) throw new Error(`another install still holds ${lock} after 15 minutes`);
      if (!told) process.stderr.write('scimitar: another install is running; waiting for it\n');
      told = true;
      await sleep(1000);
    }
  }
  try {
    writeFileSync(join(lock, 'pid'), String(process.pid));
    return install();
  } finally {
    rmSync(lock, { recursive: true, force: true });
  }
}
