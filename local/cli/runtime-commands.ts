// `start` (the pipeline locally, until Ctrl-C) and `demo` (terminations sent and shown live,
// against a running runtime or one of its own).
import { randomUUID } from 'node:crypto';
import { resolve } from 'node:path';
import { demoPeople } from '../demo-people.ts';
import { type LocalRuntime, startLocalRuntime } from '../runtime.ts';
import { DEFAULT_DATA_DIR, DEFAULT_PORT } from '../runtime-defaults.ts';
import { chooseSource, eventBody, notAnswering, postEvent, UsageError } from '../send-event.ts';
import { renderBanner } from '../start-banner.ts';
import { renderTimeline } from '../timeline.ts';
import { type Args, baseUrl, loadConfig } from './context.ts';
import { followEvents } from './live-view.ts';
import { openStack } from './stack.ts';
import { readEvent, readPerson } from './stack-reads.ts';

export async function start(args: Args): Promise<void> {
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

export async function demo(args: Args): Promise<void> {
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
    // The same reads as `status`, on the runtime's AWS endpoint: the demo shows progress as it happens.
    const ctx = await openStack({ ...args, url });
    await followEvents((id) => readEvent(ctx, id), events, { intervalMs: 200 });
    const first = people[0];
    if (first) {
      const timeline = await readPerson(ctx, first.employeeId);
      console.log(
        `\nAudit timeline of ${first.displayName} (${first.employeeId}):\n${renderTimeline(timeline.audit)}`,
      );
    }
  } finally {
    await own?.stop();
  }
}
