// The stack synthesized for a config (templates, workflow, functions), synthesized once: a synth takes seconds, and a restart, a
// test starting several runtimes, or several test processes with the same config reuse it. Kept in
// memory and in the system's temporary directory, keyed by the config (less the SCIM targets' base
// URLs, which demo applications on free ports change and the definition never holds) and by the
// source of lib/ and lambdas/ and the locked dependencies: any change there synthesizes afresh.
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ScimitarConfig } from '../lambdas/core/model/config.ts';
import { type LocalAsl, type LocalStack, synthesizeLocalStack } from '../lib/asl.ts';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const CACHE_DIR = join(tmpdir(), 'scimitar-stack-cache');
const inMemory = new Map<string, LocalStack>();
let fingerprint: string | undefined;

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((entry) => entry.isFile() && /\.(ts|js)$/.test(entry.name))
    .map((entry) => join(entry.parentPath, entry.name))
    .sort();
}

/** What a synth depends on besides the config: the stack's and functions' source, the dependencies. */
function sourceFingerprint(): string {
  if (fingerprint) return fingerprint;
  const hash = createHash('sha256');
  for (const file of [
    ...sourceFiles(join(ROOT, 'lib')),
    ...sourceFiles(join(ROOT, 'lambdas')),
    // The installed package (dist/) has no lock file: its package.json names its version.
    join(ROOT, existsSync(join(ROOT, 'package-lock.json')) ? 'package-lock.json' : 'package.json'),
  ]) {
    hash.update(file.slice(ROOT.length)).update('\0').update(readFileSync(file)).update('\0');
  }
  fingerprint = hash.digest('hex');
  return fingerprint;
}

function cacheKey(config: ScimitarConfig): string {
  const targets = config.targets.map((t) =>
    t.kind === 'scim' || t.kind === 'session' ? { ...t, baseUrl: '' } : t,
  );
  return createHash('sha256')
    .update(JSON.stringify({ ...config, targets }))
    .update(sourceFingerprint())
    .digest('hex');
}

/** `synthesizeLocalStack(config)`, synthesized at most once per config and source; a fresh copy each call. */
export function synthesizeCached(config: ScimitarConfig): LocalStack {
  const key = cacheKey(config);
  let stack = inMemory.get(key);
  const file = join(CACHE_DIR, `${key}.json`);
  if (!stack) {
    try {
      stack = JSON.parse(readFileSync(file, 'utf8')) as LocalStack;
    } catch {
      stack = synthesizeLocalStack(config);
      try {
        mkdirSync(CACHE_DIR, { recursive: true });
        // Written whole, then renamed: a process reading at the same time sees all of it or none.
        const partial = `${file}.${process.pid}.tmp`;
        writeFileSync(partial, JSON.stringify(stack));
        renameSync(partial, file);
      } catch {
        // An unwritable temporary directory only costs the next process a synth.
      }
    }
    inMemory.set(key, stack);
  }
  return structuredClone(stack);
}

/** The workflow of `synthesizeCached(config)`. */
export function renderAslCached(config: ScimitarConfig): LocalAsl {
  return synthesizeCached(config).asl;
}
