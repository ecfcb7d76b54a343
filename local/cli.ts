// scimitar's command line for the local runtime: start it, run the demo, send signed events,
// and read an event's status or a person's audit timeline.
//   npm start                         start the pipeline locally (demo applications included)
//   npm run demo                      send terminations and watch them revoked, live
//   npm run scimitar -- <command>     send | status | audit | redrive | notifications
import { randomUUID } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import type { AuditEntry } from '../lambdas/core/audit.ts';
import { type ScimitarConfig, sourceSecretName } from '../lambdas/core/config.ts';
import { type CoverageReport, renderCoverageTable } from '../lambdas/core/coverage.ts';
import { ValidationError } from '../lambdas/core/errors.ts';
import { GENERIC_SIGNATURE_HEADER, signBambooHR, signGeneric } from '../lambdas/core/ingest/signature.ts';
import { ConfigFileError, DEFAULT_CONFIG_FILE, loadConfigFile } from '../lib/config-file.ts';
import { demoPeople } from './demo-people.ts';
import { DEFAULT_DATA_DIR, DEFAULT_PORT, type LocalRuntime, startLocalRuntime } from './runtime.ts';
import { executionNote, renderTargets, renderTimeline, targetStates } from './timeline.ts';

const USAGE = `usage: scimitar <command> [options]

commands:
  start [--config FILE] [--port N] [--data-dir DIR] [--persist] [--no-demo-apps]
        run the pipeline locally; Ctrl-C stops it
  demo  [--url URL] [--people N]
        send signed terminations for demo people and show each target live
  send  --employee ID [--user-name U] [--email E] [--external-id X] [--source ID]
        [--effective-at ISO] [--event-id ID] [--kind termination|hire|change|rehire]
        [--termination-type voluntary|involuntary] [--url URL]
        send one signed lifecycle event
  status <eventId> [--url URL]      the event's execution and each target's state
  audit <personId> [--url URL]      a person's audit timeline and ledger
  redrive <targetId> [--url URL]    move a target's dead-letter messages back to its queue
  reconcile [TARGET...] [--restart] [--url URL]
        a reconciliation pass now: orphans, drift (re-queued for revocation), accepted accounts
  coverage [--json] [--url URL]
        every application: SCIM-integrated, other automation, accepted gap or unmanaged risk
  targets check [TARGET...] [--url URL]
        the credential canary now: a read-only probe of each SCIM target
  notifications [--url URL]         alerts and owner notifications sent so far

options shared by the commands that sign: --config FILE (default ${DEFAULT_CONFIG_FILE}),
--data-dir DIR (default ${DEFAULT_DATA_DIR}, where the runtime keeps secrets.json)`;

class UsageError extends Error {}

const options = {
  config: { type: 'string' },
  port: { type: 'string' },
  'data-dir': { type: 'string' },
  persist: { type: 'boolean' },
  'no-demo-apps': { type: 'boolean' },
  url: { type: 'string' },
  people: { type: 'string' },
  employee: { type: 'string' },
  'user-name': { type: 'string' },
  email: { type: 'string' },
  'external-id': { type: 'string' },
  source: { type: 'string' },
  'effective-at': { type: 'string' },
  'event-id': { type: 'string' },
  kind: { type: 'string' },
  'termination-type': { type: 'string' },
  restart: { type: 'boolean' },
  json: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const;

type Args = ReturnType<typeof parseArgs<{ options: typeof options; allowPositionals: true }>>['values'];

const baseUrl = (args: Args) => args.url ?? process.env.SCIMITAR_URL ?? `http://127.0.0.1:${DEFAULT_PORT}`;

async function api<T>(url: string, init?: RequestInit): Promise<T> {
  let response: Response;
  try {
    response = await fetch(url, init);
  } catch {
    throw new UsageError(
      `the local runtime does not answer at ${new URL(url).origin}; start it with: npm start`,
    );
  }
  const body = (await response.json().catch(() => ({}))) as T & { message?: string };
  if (!response.ok) throw new UsageError(`${response.status}: ${body.message ?? JSON.stringify(body)}`);
  return body;
}

function signingKey(config: ScimitarConfig, sourceId: string, dataDir: string): string {
  const source = config.sources.find((s) => s.id === sourceId);
  if (!source) {
    throw new UsageError(
      `no source "${sourceId}" in the config; sources: ${config.sources.map((s) => s.id).join(', ')}`,
    );
  }
  const file = join(dataDir, 'secrets.json');
  const secrets = existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as Record<string, string>) : {};
  const key = secrets[sourceSecretName(source)];
  if (!key)
    throw new UsageError(`no signing key for source "${sourceId}" in ${file}; start the runtime once first`);
  return key;
}

/** Signs a body as the source's scheme requires and posts it to the ingest endpoint. */
async function postEvent(
  url: string,
  config: ScimitarConfig,
  sourceId: string,
  dataDir: string,
  body: string,
) {
  const key = signingKey(config, sourceId, dataDir);
  const kind = config.sources.find((s) => s.id === sourceId)?.kind;
  const now = new Date();
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (kind === 'bamboohr') Object.assign(headers, signBambooHR(body, key, now));
  else headers[GENERIC_SIGNATURE_HEADER] = signGeneric(body, key, now);
  const response = await fetch(`${url}/events/${encodeURIComponent(sourceId)}`, {
    method: 'POST',
    headers,
    body,
  }).catch(() => {
    throw new UsageError(`the local runtime does not answer at ${url}; start it with: npm start`);
  });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

function terminationBody(fields: {
  eventId: string;
  source: string;
  employeeId: string;
  userName?: string | undefined;
  email?: string | undefined;
  externalId?: string | undefined;
  displayName?: string | undefined;
  effectiveAt?: string | undefined;
  kind?: string | undefined;
  terminationType?: string | undefined;
}): string {
  const kind = fields.kind ?? 'termination';
  return JSON.stringify({
    eventId: fields.eventId,
    source: fields.source,
    occurredAt: new Date().toISOString(),
    ...(fields.effectiveAt ? { effectiveAt: fields.effectiveAt } : {}),
    kind,
    ...(kind === 'termination' ? { terminationType: fields.terminationType ?? 'voluntary' } : {}),
    person: {
      employeeId: fields.employeeId,
      ...(fields.userName ? { userName: fields.userName } : {}),
      ...(fields.email ? { emails: [fields.email] } : {}),
      ...(fields.externalId ? { externalId: fields.externalId } : {}),
      ...(fields.displayName ? { displayName: fields.displayName } : {}),
    },
  });
}

interface EventStatus {
  eventId: string;
  execution: { status: string; error?: string } | null;
  audit: AuditEntry[];
}

function printBanner(runtime: LocalRuntime, persist: boolean): void {
  const lines = [
    'scimitar is running locally.',
    '',
    `  ingest    POST ${runtime.url}/events/{${runtime.config.sources.map((s) => s.id).join('|')}}`,
    '  targets',
    ...runtime.config.targets.map((t) => {
      const lane = runtime.lanes.get(t.id);
      const where =
        t.kind === 'scim'
          ? `${t.baseUrl}${lane?.app ? ` (demo app, ${lane.app.users.size} accounts)` : ''}, ${t.leaverAction}, PATCH ${t.quirks.patchStyle}`
          : `${t.kind}: owner ${t.owner} is notified`;
      return `    ${t.id.padEnd(10)} ${t.tier === 'privileged' ? '[privileged] ' : ''}${where}`;
    }),
    `  data      ${runtime.dataDir} (secrets.json, notifications.jsonl; audit log ${persist ? 'on disk' : 'in memory'})`,
    '',
    'Try it, in another terminal:',
    '  npm run demo',
    `  npm run scimitar -- send --employee ${runtime.people[0]?.employeeId ?? 'E1001'} --user-name ${runtime.people[0]?.userName ?? 'ada@example.com'} --email ${runtime.people[0]?.emails[0] ?? 'ada@example.com'}`,
    `  npm run scimitar -- audit ${runtime.people[0]?.employeeId ?? 'E1001'}`,
    '',
    'Ctrl-C stops.',
  ];
  console.log(lines.join('\n'));
}

async function loadConfig(args: Args): Promise<ScimitarConfig> {
  return loadConfigFile(args.config ?? process.env.SCIMITAR_CONFIG_FILE ?? DEFAULT_CONFIG_FILE);
}

async function start(args: Args): Promise<void> {
  const config = await loadConfig(args);
  const persist = args.persist ?? false;
  console.log('scimitar: starting (the first step synthesizes the stack to run its state machine)…');
  const runtime = await startLocalRuntime({
    config,
    dataDir: args['data-dir'] ?? DEFAULT_DATA_DIR,
    persist,
    port: args.port ? Number(args.port) : DEFAULT_PORT,
    demoApps: !args['no-demo-apps'],
  });
  printBanner(runtime, persist);
  let stopping = false;
  const shutdown = async () => {
    if (stopping) return;
    stopping = true;
    console.log('\nstopping…');
    await runtime.stop();
    process.exit(0);
  };
  process.on('SIGINT', shutdown);
  process.on('SIGTERM', shutdown);
}

async function demo(args: Args): Promise<void> {
  const config = await loadConfig(args);
  const dataDir = resolve(args['data-dir'] ?? DEFAULT_DATA_DIR);
  let url = baseUrl(args);
  let own: LocalRuntime | undefined;
  const running = await fetch(`${url}/health`).then(
    (r) => r.ok,
    () => false,
  );
  if (!running) {
    console.log(`No local runtime at ${url}: starting one for the demo.\n`);
    own = await startLocalRuntime({ config, dataDir, port: 0, print: () => {} });
    url = own.url;
  }
  try {
    const people = demoPeople().slice(0, Math.max(1, Math.min(12, Number(args.people ?? 2))));
    const events: { eventId: string; name: string }[] = [];
    for (const person of people) {
      const eventId = `demo-${person.employeeId}-${randomUUID().slice(0, 8)}`;
      const body = terminationBody({
        eventId,
        source: 'generic',
        employeeId: person.employeeId,
        userName: person.userName,
        email: person.emails[0],
        externalId: person.employeeId,
        displayName: person.displayName,
        terminationType: 'involuntary',
      });
      const { status, body: answer } = await postEvent(url, config, 'generic', dataDir, body);
      console.log(`→ termination of ${person.displayName} (${person.employeeId}) sent: HTTP ${status}`);
      if (status !== 202) throw new UsageError(`ingest refused the event: ${JSON.stringify(answer)}`);
      events.push({ eventId, name: person.displayName });
    }
    const started = Date.now();
    let last = '';
    for (;;) {
      const statuses = await Promise.all(
        events.map((e) => api<EventStatus>(`${url}/_local/events/${encodeURIComponent(e.eventId)}`)),
      );
      const screen = statuses
        .map(
          (s, i) =>
            `\n${events[i]?.name} (${s.execution?.status ?? 'starting'})\n${renderTargets(targetStates(s.audit))}`,
        )
        .join('\n');
      if (screen !== last) {
        console.log(`${screen}\n  [${((Date.now() - started) / 1000).toFixed(1)} s]`);
        last = screen;
      }
      const done = statuses.every((s) => s.execution && s.execution.status !== 'RUNNING');
      if (done || Date.now() - started > 120_000) break;
      await new Promise((r) => setTimeout(r, 200));
    }
    const first = people[0];
    if (first) {
      const timeline = await api<{ audit: AuditEntry[] }>(
        `${url}/_local/people/${encodeURIComponent(first.employeeId)}`,
      );
      console.log(
        `\nAudit timeline of ${first.displayName} (${first.employeeId}):\n${renderTimeline(timeline.audit)}`,
      );
    }
  } finally {
    await own?.stop();
  }
}

async function send(args: Args): Promise<void> {
  if (!args.employee)
    throw new UsageError(
      'send needs --employee ID (and --user-name/--email/--external-id to match accounts)',
    );
  const config = await loadConfig(args);
  const source = args.source ?? 'generic';
  if (config.sources.find((s) => s.id === source)?.kind !== 'generic') {
    throw new UsageError(`send builds scimitar's generic event; "${source}" is not a generic source`);
  }
  const eventId = args['event-id'] ?? `cli-${randomUUID()}`;
  const body = terminationBody({
    eventId,
    source,
    employeeId: args.employee,
    userName: args['user-name'],
    email: args.email,
    externalId: args['external-id'],
    effectiveAt: args['effective-at'],
    kind: args.kind,
    terminationType: args['termination-type'],
  });
  const { status, body: answer } = await postEvent(
    baseUrl(args),
    config,
    source,
    resolve(args['data-dir'] ?? DEFAULT_DATA_DIR),
    body,
  );
  console.log(`HTTP ${status}\n${JSON.stringify(answer, null, 2)}`);
  if (status >= 400) process.exitCode = 1;
  else console.log(`\nfollow it: npm run scimitar -- status ${eventId}`);
}

async function status(args: Args, eventId: string | undefined): Promise<void> {
  if (!eventId) throw new UsageError('status needs an event id');
  const s = await api<EventStatus>(`${baseUrl(args)}/_local/events/${encodeURIComponent(eventId)}`);
  if (!s.execution && s.audit.length === 0)
    throw new UsageError(`no event "${eventId}" in the local runtime`);
  console.log(
    `event ${eventId}: execution ${s.execution?.status ?? 'not started'}${s.execution?.error ? ` (${s.execution.error})` : ''}`,
  );
  console.log(renderTargets(targetStates(s.audit)));
  const note = executionNote(s.execution, s.audit);
  if (note) console.log(note);
  console.log(`\n${renderTimeline(s.audit)}`);
}

async function audit(args: Args, personId: string | undefined): Promise<void> {
  if (!personId) throw new UsageError('audit needs a person (employee) id');
  const { audit: entries, ledger } = await api<{
    audit: AuditEntry[];
    ledger: { targetId: string; outcome: string; at: string }[];
  }>(`${baseUrl(args)}/_local/people/${encodeURIComponent(personId)}`);
  if (entries.length === 0) throw new UsageError(`no audit entries for "${personId}"`);
  console.log(`audit timeline of ${personId}:\n${renderTimeline(entries)}`);
  console.log(
    `\nleaver ledger:\n${ledger.map((l) => `  ${l.targetId.padEnd(10)} ${l.outcome.padEnd(12)} ${l.at}`).join('\n')}`,
  );
}

async function main(argv: string[]): Promise<void> {
  const { values: args, positionals } = parseArgs({ args: argv, options, allowPositionals: true });
  const [command, subject] = positionals;
  if (args.help || !command) {
    console.log(USAGE);
    return;
  }
  switch (command) {
    case 'start':
      return start(args);
    case 'demo':
      return demo(args);
    case 'send':
      return send(args);
    case 'status':
      return status(args, subject);
    case 'audit':
      return audit(args, subject);
    case 'redrive': {
      if (!subject) throw new UsageError('redrive needs a target id');
      const answer = await api<{ redriven: number }>(
        `${baseUrl(args)}/_local/targets/${encodeURIComponent(subject)}/redrive`,
        {
          method: 'POST',
        },
      );
      console.log(`${answer.redriven} message(s) moved back to the queue of ${subject}`);
      return;
    }
    case 'reconcile': {
      const query = new URLSearchParams(positionals.slice(1).map((id): [string, string] => ['target', id]));
      if (args.restart) query.set('restart', '1');
      const { outcomes } = await api<{
        outcomes: { targetId: string; status: string; error?: string; counts: Record<string, number> }[];
      }>(`${baseUrl(args)}/_local/reconcile${query.size ? `?${query}` : ''}`, { method: 'POST' });
      for (const o of outcomes) {
        const c = o.counts;
        console.log(
          `  ${o.targetId.padEnd(10)} ${o.status.padEnd(10)} accounts ${c.accounts}, managed ${c.managed}, drift ${c.drift} (re-queued ${c.remediated}), orphans ${c.orphan}, accepted ${c.accepted}, inactive ${c.inactive}${o.error ? `\n      ${o.error}` : ''}`,
        );
      }
      if (outcomes.some((o) => o.status === 'incomplete')) process.exitCode = 1;
      return;
    }
    case 'coverage': {
      const report = await api<CoverageReport>(`${baseUrl(args)}/_local/coverage`);
      process.stdout.write(args.json ? `${JSON.stringify(report, null, 2)}\n` : renderCoverageTable(report));
      if (report.totals['unmanaged-risk'] > 0) process.exitCode = 1;
      return;
    }
    case 'targets': {
      if (subject !== 'check') throw new UsageError('usage: scimitar targets check [TARGET...]');
      const query = new URLSearchParams(positionals.slice(2).map((id): [string, string] => ['target', id]));
      const { results } = await api<{
        results: { targetId: string; ok: boolean; problems: string[]; durationMs: number }[];
      }>(`${baseUrl(args)}/_local/targets/check${query.size ? `?${query}` : ''}`, { method: 'POST' });
      for (const r of results) {
        console.log(
          `  ${r.ok ? '✔' : '✖'} ${r.targetId.padEnd(10)} ${r.ok ? 'credential works' : 'FAILING'}  (${r.durationMs} ms)${r.problems.length ? `\n      ${r.problems.join('\n      ')}` : ''}`,
        );
      }
      if (results.some((r) => !r.ok)) process.exitCode = 1;
      return;
    }
    case 'notifications': {
      const { alerts, owners } = await api<{
        alerts: { subject: string }[];
        owners: { subject: string; owner: string }[];
      }>(`${baseUrl(args)}/_local/notifications`);
      console.log(`alerts:\n${alerts.map((a) => `  ${a.subject}`).join('\n') || '  none'}`);
      console.log(
        `owner notifications:\n${owners.map((o) => `  ${o.owner}: ${o.subject}`).join('\n') || '  none'}`,
      );
      return;
    }
    default:
      throw new UsageError(`unknown command "${command}"\n\n${USAGE}`);
  }
}

main(process.argv.slice(2)).catch((err: unknown) => {
  if (err instanceof UsageError || err instanceof ValidationError || err instanceof ConfigFileError) {
    console.error(err.message);
  } else if (
    err instanceof TypeError &&
    (err as NodeJS.ErrnoException).code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION'
  ) {
    console.error(`${err.message}\n\n${USAGE}`);
  } else {
    console.error(err);
  }
  process.exit(1);
});
