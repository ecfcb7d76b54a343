// scripts/with-node.mjs as npm runs it (`sh -c "node scripts/with-node.mjs <command>"`), with a
// command that starts a worker of its own: a signal to the wrapper, or the end of its parent
// (npm ends the shell on SIGTERM and tells the wrapper nothing), ends every process, by pid.
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { descendantsOf } from '../../../scripts/process-tree.mjs';
import { until } from '../../support/local-runtime.ts';

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

const started: number[] = [];
afterEach(() => {
  for (const pid of started.splice(0)) if (alive(pid)) process.kill(pid, 'SIGKILL');
});

async function startWrapped(): Promise<{
  shell: ChildProcess;
  pids: { command: number; worker: number };
  wrapper: number;
}> {
  const pidFile = join(mkdtempSync(join(tmpdir(), 'with-node-')), 'pids.json');
  const shell = spawn(
    'sh',
    [
      '-c',
      `node scripts/with-node.mjs node test/fixtures/process-tree/command.mjs ${pidFile}; echo "exit $?"`,
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  const pids = await until(() =>
    existsSync(pidFile)
      ? (JSON.parse(readFileSync(pidFile, 'utf8')) as { command: number; worker: number })
      : undefined,
  );
  const wrapper = descendantsOf(shell.pid as number).find(
    (pid) => pid !== pids.command && pid !== pids.worker && descendantsOf(pid).includes(pids.command),
  );
  if (!wrapper) throw new Error('wrapper process not found');
  started.push(shell.pid as number, wrapper, pids.command, pids.worker);
  return { shell, pids, wrapper };
}

describe('with-node wrapper: signals', () => {
  it('ends the command and everything it started on SIGINT, and exits as the command did', async () => {
    const { shell, pids, wrapper } = await startWrapped();
    let out = '';
    shell.stdout?.on('data', (chunk) => {
      out += chunk;
    });
    expect([wrapper, pids.command, pids.worker].every(alive)).toBe(true);
    process.kill(wrapper, 'SIGINT');
    await until(() => ![wrapper, pids.command, pids.worker].some(alive));
    await until(() => out.includes('exit'));
    expect(out.trim()).toBe('exit 0');
  });

  it('ends the whole tree when SIGTERM ends its parent (as npm ends the shell), leaving no process', async () => {
    const { shell, pids, wrapper } = await startWrapped();
    process.kill(shell.pid as number, 'SIGTERM');
    await until(() => ![wrapper, pids.command, pids.worker].some(alive), 8000).catch(() => {
      throw new Error(
        `alive: ${JSON.stringify({ shell: alive(shell.pid as number), wrapper: alive(wrapper), command: alive(pids.command), worker: alive(pids.worker) })}`,
      );
    });
    expect([wrapper, pids.command, pids.worker].filter(alive)).toEqual([]);
  });
});
