// scimitar's command line for the local runtime: start it, run the demo, send signed events,
// follow them, retry a failed one, and run the reconciler, the credential canary and the
// coverage report on demand.
//   npm start                         start the pipeline locally (demo applications included)
//   npm run demo                      send terminations and watch them revoked, live
//   npm run scimitar -- <command>     start | demo | send | status | retry | audit | redrive |
//                                     reconcile | coverage | targets check | notifications
// `npm run scimitar -- --help` lists every command and option.
import { randomUUID } from 'node:crypto';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import type { AuditEntry } from '../lambdas/core/model/audit.ts';
import type { ScimitarConfig } from '../lambdas/core/model/config.ts';
import { countOf } from '../lambdas/core/model/count-noun.ts';
import { ScimitarError } from '../lambdas/core/model/errors.ts';
import { type CoverageReport, renderCoverageTable } from '../lambdas/core/reconcile/coverage.ts';
import { DEFAULT_CONFIG_FILE, loadConfigFile } from '../lib/config-file.ts';
import { demoPeople } from './demo-people.ts';
import { type ReconcileOutcomeView, renderReconcileOutcomes } from './report-format.ts';
import { DEFAULT_DATA_DIR, DEFAULT_PORT, type LocalRuntime, startLocalRuntime } from './runtime.ts';
import { chooseSource, eventBody, notAnswering, postEvent, UsageError } from './send-event.ts';
import { renderBanner } from './start-banner.ts';
import { executionNote, renderTargets, renderTimeline, targetStates } from './timeline.ts';

const USAGE = `usage: scimitar <command> [options]

commands:
  start [--config FILE] [--port N] [--data-dir DIR] [--persist] [--no-demo-apps]
        [--roster FILE] [--verbose]
        run the pipeline locally; Ctrl-C stops it. --roster: the HR export the reconciler
        reads (default DIR/roster.csv, the demo people when demo apps run); --verbose: the
        handlers' JSON logs on the terminal instead of DIR/runtime.log
  demo  [--url URL] [--people N]
        send signed terminations for demo people and show each target live
        (without a runtime at the URL, it starts one of its own)
  send  --employee ID [--user-name U] [--email E] [--external-id X] [--source ID]
        [--effective-at ISO] [--event-id ID] [--kind termination|hire|change|rehire]
        [--termination-type voluntary|involuntary] [--url URL]
        send one lifecycle event, in the source's format and signed with its scheme
        (default source: the first generic one, else the first)
  status <eventId> [--url URL]      the event's execution and each target's state
  retry <eventId> [--url URL]       run a failed execution's event again (a new execution,
                                    audited as a retry); refused while it runs or once it succeeded
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

const options = {
  config: { type: 'string' },
  port: { type: 'string' },
  'data-dir': { type: 'string' },
  persist: { type: 'boolean' },
  'no-demo-apps': { type: 'boolean' },
  roster: { type: 'string' },
  verbose: { type: 'boolean' },
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
    throw new UsageError(notAnswering(url));
  }
  const body = (await response.json().catch(() => ({}))) as T & { message?: string };
  if (!response.ok) throw new UsageError(`${response.status}: ${body.message ?? JSON.stringify(body)}`);
  return body;
}

interface EventStatus {
  eventId: string;
  execution: { name: string; status: string; error?: string } | null;
  audit: AuditEntry[];
}

async function loadConfig(args: Args): Promise<ScimitarConfig> {
  return loadConfigFile(args.config ?? process.env.SCIMITAR_CONFIG_FILE ?? DEFAULT_CONFIG_FILE);
}

async function start(args: Args): Promise<void> {
  const config = await loadConfig(args);
  const persist = args.persist ?? false;
  const dataDir = args['data-dir'] ?? DEFAULT_DATA_DIR;
  const logFile = args.verbose ? undefined : resolve(dataDir, 'runtime.log');
  const port = args.port === undefined ? DEFAULT_PORT : Number(args.port);
  if (!Number.isInteger(port) || port < 0 || port > 65_535)
    throw new UsageError(`--port ${args.port} is not a port number (0-65535)`);
  console.log('scimitar: starting (the first step synthesizes the stack to run its state machine)…');
  const runtime = await startLocalRuntime({
    config,
    dataDir,
    persist,
    port,
    demoApps: !args['no-demo-apps'],
    logLevel: 'INFO',
    ...(logFile ? { logFile } : {}),
    ...(args.roster ? { roster: args.roster } : {}),
  });
  console.log(
    renderBanner(runtime, {
      persist,
      configFile: args.config,
      dataDir: args['data-dir'],
      defaultUrl: `http://127.0.0.1:${DEFAULT_PORT}`,
      logFile,
    }),
  );
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
  process.on('SIGHUP', shutdown);
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
  if (!running && (args.url || process.env.SCIMITAR_URL)) {
    // Asked for a runtime there: starting another one would hide the mistake.
    throw new UsageError(`${notAnswering(url)}; or leave out --url and the demo starts a runtime of its own`);
  }
  if (!running) {
    console.log(`No local runtime at ${url}: starting one for the demo.\n`);
    // Free ports of its own, so it never collides with a runtime started elsewhere.
    own = await startLocalRuntime({ config, dataDir, port: 0, ephemeralPorts: true, print: () => {} });
    url = own.url;
  }
  const source = chooseSource(config, args.source);
  try {
    const people = demoPeople().slice(0, Math.max(1, Math.min(12, Number(args.people ?? 2))));
    const events: { eventId: string; name: string }[] = [];
    for (const person of people) {
      const eventId = `demo-${person.employeeId}-${randomUUID().slice(0, 8)}`;
      const body = eventBody(
        source,
        {
          terminationType: 'involuntary',
          person: {
            employeeId: person.employeeId,
            ...(source.kind === 'bamboohr' ? {} : { userName: person.userName }),
            email: person.emails[0],
            externalId: person.employeeId,
            displayName: person.displayName,
          },
        },
        eventId,
      );
      const { status, body: answer } = await postEvent(url, source, dataDir, body);
      console.log(`→ termination of ${person.displayName} (${person.employeeId}) sent: HTTP ${status}`);
      if (status !== 202) throw new UsageError(`ingest refused the event: ${JSON.stringify(answer)}`);
      events.push({ eventId: answer.eventId ?? eventId, name: person.displayName });
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
  const source = chooseSource(config, args.source);
  const body = eventBody(
    source,
    {
      eventId: args['event-id'],
      effectiveAt: args['effective-at'],
      kind: args.kind,
      terminationType: args['termination-type'],
      person: {
        employeeId: args.employee,
        userName: args['user-name'],
        email: args.email,
        externalId: args['external-id'],
      },
    },
    args['event-id'] ?? `cli-${randomUUID()}`,
  );
  const url = baseUrl(args);
  const { status, body: answer } = await postEvent(
    url,
    source,
    resolve(args['data-dir'] ?? DEFAULT_DATA_DIR),
    body,
  );
  console.log(`HTTP ${status}\n${JSON.stringify(answer, null, 2)}`);
  if (status >= 400) {
    process.exitCode = 1;
    return;
  }
  for (const started of answer.executions ?? []) {
    if (!started.duplicate) {
      console.log(`\nfollow it: npm run scimitar -- status ${started.eventId}`);
      continue;
    }
    // Same event id, same execution name: Step Functions (and the local workflow) start nothing.
    const seen = await api<EventStatus>(`${url}/_local/events/${encodeURIComponent(started.eventId)}`);
    const execution = seen.execution;
    console.log(
      `\nduplicate of event ${started.eventId} (execution ${execution?.name ?? started.executionArn}, status ${execution?.status ?? 'unknown'}): nothing started; ${
        execution?.status === 'SUCCEEDED' || execution?.status === 'RUNNING'
          ? `see npm run scimitar -- status ${started.eventId}`
          : `use \`npm run scimitar -- retry ${started.eventId}\``
      }`,
    );
  }
}

async function retry(args: Args, eventId: string | undefined): Promise<void> {
  if (!eventId) throw new UsageError('retry needs an event id (as `send` and `status` show it)');
  const started = await api<{ attempt: number; executionName: string; retryOf: string }>(
    `${baseUrl(args)}/_local/events/${encodeURIComponent(eventId)}/retry`,
    { method: 'POST' },
  );
  console.log(
    `retry ${started.attempt - 1} of event ${eventId} started: execution ${started.executionName} (after ${started.retryOf})\nfollow it: npm run scimitar -- status ${eventId}`,
  );
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
    case 'retry':
      return retry(args, subject);
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
      console.log(`${countOf(answer.redriven, 'message')} moved back to the queue of ${subject}`);
      return;
    }
    case 'reconcile': {
      const query = new URLSearchParams(positionals.slice(1).map((id): [string, string] => ['target', id]));
      if (args.restart) query.set('restart', '1');
      const { outcomes } = await api<{ outcomes: ReconcileOutcomeView[] }>(
        `${baseUrl(args)}/_local/reconcile${query.size ? `?${query}` : ''}`,
        { method: 'POST' },
      );
      process.stdout.write(renderReconcileOutcomes(outcomes));
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
  // One clear line per failure a person can fix; a stack only for a bug, and only when asked.
  if (err instanceof ScimitarError) {
    console.error(err.message);
  } else if (err instanceof TypeError && (err as NodeJS.ErrnoException).code?.startsWith('ERR_PARSE_ARGS')) {
    console.error(`${err.message}\n\n${USAGE}`);
  } else if (process.env.SCIMITAR_DEBUG) {
    console.error(err);
  } else {
    console.error(
      `scimitar failed: ${err instanceof Error ? `${err.name}: ${err.message}` : String(err)} (SCIMITAR_DEBUG=1 shows the stack)`,
    );
  }
  process.exit(1);
});
