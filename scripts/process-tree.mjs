// The processes a command started, so the wrapper can signal all of them and leave none behind.
// Uses `ps` (Linux, macOS); on Windows the tree is the child alone.
import { execFileSync } from 'node:child_process';

/** Every descendant of `pid` (children, their children ...), from one `ps` listing. */
export function descendantsOf(pid) {
  if (process.platform === 'win32' || !pid) return [];
  let listing;
  try {
    listing = execFileSync('ps', ['-A', '-o', 'pid=,ppid='], { encoding: 'utf8' });
  } catch {
    return [];
  }
  const children = new Map();
  for (const line of listing.split('\n')) {
    const [child, parent] = line.trim().split(/\s+/).map(Number);
    if (!child || parent === undefined) continue;
    children.set(parent, [...(children.get(parent) ?? []), child]);
  }
  const found = [];
  const queue = [pid];
  while (queue.length > 0) {
    for (const child of children.get(queue.shift()) ?? []) {
      found.push(child);
      queue.push(child);
    }
  }
  return found;
}

/** Sends `signal` to each pid still alive; a pid already gone is skipped. */
export function signalAll(pids, signal) {
  for (const pid of pids) {
    try {
      process.kill(pid, signal);
    } catch {
      // already gone
    }
  }
}

function isAlive(pid) {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return err?.code === 'EPERM';
  }
}

/** SIGTERM to each pid, then SIGKILL to those still there after `graceMs`. */
export async function endAll(pids, graceMs) {
  signalAll(pids, 'SIGTERM');
  const deadline = Date.now() + graceMs;
  while (pids.some(isAlive) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
  signalAll(pids.filter(isAlive), 'SIGKILL');
}

/** Calls `onGone` once when this process's parent exits (it is then re-parented). */
export function watchParent(onGone, everyMs = 500) {
  const parent = process.ppid;
  const timer = setInterval(() => {
    if (process.ppid === parent) return;
    clearInterval(timer);
    onGone();
  }, everyMs);
  timer.unref();
  return () => clearInterval(timer);
}
