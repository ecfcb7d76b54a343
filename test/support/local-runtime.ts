// Starts the local runtime inside a test: free ports, a data directory of its own, quiet output,
// and helpers to send signed events and wait for their executions.
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GENERIC_SIGNATURE_HEADER, signGeneric } from '../../lambdas/core/ingest/signature.ts';
import {
  parseConfig,
  type ScimitarConfig,
  type ScimitarConfigInput,
  sourceSecretName,
} from '../../lambdas/core/model/config.ts';
import { type LocalRuntime, type LocalRuntimeOptions, startLocalRuntime } from '../../local/runtime.ts';
import sample from '../../scimitar.config.ts';
import { eventually } from './eventually.ts';

export function testConfig(overrides: Partial<ScimitarConfigInput> = {}): ScimitarConfig {
  return parseConfig({ ...sample, ...overrides });
}

export async function startTestRuntime(
  options: Partial<LocalRuntimeOptions> = {},
): Promise<LocalRuntime & { lines: string[] }> {
  const lines: string[] = [];
  const runtime = await startLocalRuntime({
    config: testConfig(),
    dataDir: mkdtempSync(join(tmpdir(), 'scimitar-e2e-')),
    port: 0,
    ephemeralPorts: true,
    logLevel: 'SILENT',
    print: (line) => lines.push(line),
    ...options,
  });
  return Object.assign(runtime, { lines });
}

export function signingKey(runtime: LocalRuntime, sourceId = 'generic'): string {
  const source = runtime.config.sources.find((s) => s.id === sourceId);
  if (!source) throw new Error(`no source ${sourceId}`);
  const secrets = JSON.parse(readFileSync(join(runtime.dataDir, 'secrets.json'), 'utf8')) as Record<
    string,
    string
  >;
  return secrets[sourceSecretName(source)] ?? '';
}

export async function postSigned(
  runtime: LocalRuntime,
  body: string,
  options: { source?: string; signature?: string; headers?: Record<string, string> } = {},
): Promise<{ status: number; body: Record<string, unknown> }> {
  const source = options.source ?? 'generic';
  const response = await fetch(`${runtime.url}/events/${source}`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      [GENERIC_SIGNATURE_HEADER]:
        options.signature ?? signGeneric(body, signingKey(runtime, source), runtime.clock.now()),
      ...options.headers,
    },
    body,
  });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

export function terminationOf(
  person: { employeeId: string; userName: string; emails: string[]; displayName?: string },
  extra: Record<string, unknown> = {},
): string {
  return JSON.stringify({
    eventId: `e2e-${person.employeeId}-${Math.random().toString(36).slice(2, 10)}`,
    source: 'generic',
    occurredAt: new Date().toISOString(),
    kind: 'termination',
    terminationType: 'involuntary',
    person: {
      employeeId: person.employeeId,
      userName: person.userName,
      emails: person.emails,
      externalId: person.employeeId,
    },
    ...extra,
  });
}

/** @deprecated the one polling helper is `eventually` (test/support/eventually.ts), which names what it waits for. */
export function until<T>(
  check: () => Promise<T | undefined | false> | T | undefined | false,
  timeoutMs = 20_000,
): Promise<T> {
  return eventually('a condition', check, { timeoutMs });
}
