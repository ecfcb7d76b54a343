// What `npm start` prints once the runtime listens: where things are, and commands to try that
// fit this start (its port, config, data directory, sources, and whether demo apps run).
import { existsSync } from 'node:fs';
import { relative } from 'node:path';
import { DEFAULT_CONFIG_FILE } from '../lib/config-file.ts';
import type { LocalRuntime } from './runtime.ts';

export interface BannerOptions {
  readonly persist: boolean;
  /** As given with --config (absent: the default file). */
  readonly configFile?: string | undefined;
  /** As given with --data-dir (absent: the default). */
  readonly dataDir?: string | undefined;
  /** The default API port: hints name --url only when the runtime listens elsewhere. */
  readonly defaultUrl: string;
  /** Where the handlers' JSON logs go; absent: the terminal (--verbose). */
  readonly logFile?: string | undefined;
}

function shown(path: string): string {
  const rel = relative(process.cwd(), path);
  return rel && !rel.startsWith('..') ? rel : path;
}

export function renderBanner(runtime: LocalRuntime, options: BannerOptions): string {
  const { config } = runtime;
  const demoApps = [...runtime.lanes.values()].some((lane) => lane.app);
  // The options every CLI command needs to reach this runtime and sign for its sources.
  const reach = [
    ...(runtime.url !== options.defaultUrl ? [`--url ${runtime.url}`] : []),
    ...(options.configFile && options.configFile !== DEFAULT_CONFIG_FILE
      ? [`--config ${options.configFile}`]
      : []),
    ...(options.dataDir ? [`--data-dir ${options.dataDir}`] : []),
  ].join(' ');
  // The installed package's bin (bin/cli.mjs) names itself (`npx scimitar`): a user's own
  // repository has none of this repository's npm scripts.
  const invokedAs = process.env.SCIMITAR_INVOKED_AS;
  const cli = (command: string) =>
    `  ${invokedAs ?? 'npm run scimitar --'} ${command}${reach ? ` ${reach}` : ''}`;
  const demo = invokedAs
    ? `  ${invokedAs} demo${reach ? ` ${reach}` : ''}`
    : `  npm run demo${reach ? ` -- ${reach}` : ''}`;
  // No --source: send picks the config's first generic source, else its first (BambooHR too).
  const person = demoApps ? runtime.people[0] : undefined;
  const sendHint = person
    ? `send --employee ${person.employeeId} --user-name ${person.userName} --email ${person.emails[0] ?? ''}`
    : `send --employee <employee id> --user-name <userName> --email <email>`;
  const rosterPresent = existsSync(runtime.rosterFile);
  const lines = [
    'scimitar is running locally.',
    '',
    `  ingest    POST ${runtime.url}/events/{${config.sources.map((s) => s.id).join('|')}}`,
    '  targets',
    ...config.targets.map((t) => {
      const lane = runtime.lanes.get(t.id);
      const where =
        t.kind === 'scim'
          ? `${t.baseUrl}${lane?.app ? ` (demo app, ${lane.app.users.size} accounts)` : ''}, ${t.leaverAction}, PATCH ${t.quirks.patchStyle}${t.mode === 'report-only' ? ', report-only' : ''}`
          : t.kind === 'session'
            ? `${t.provider} sessions at ${t.baseUrl ?? 'its default endpoint'}${runtime.sessionApps.has(t.id) ? ' (demo fake)' : ''}, revoke-sessions`
            : `${t.kind}: owner ${t.owner} is notified`;
      return `    ${t.id.padEnd(10)} ${t.tier === 'privileged' ? '[privileged] ' : ''}${where}`;
    }),
    ...(config.dryRun
      ? [
          '  dry run   ON (dryRun: true): every event is planned and audited; nothing is written to any target',
        ]
      : []),
    `  data      ${shown(runtime.dataDir)} (secrets.json, notifications.jsonl; audit log ${options.persist ? 'on disk' : 'in memory'})`,
    `  roster    ${shown(runtime.rosterFile)}${
      rosterPresent
        ? demoApps
          ? ' (the demo people unless you replace it)'
          : ''
        : ': none yet, so no scheduled reconciliation; write the HR export there or start with --roster FILE'
    }`,
    `  logs      ${options.logFile ? `${shown(options.logFile)} (the handlers' JSON logs; --verbose prints them here)` : 'printed here (--verbose)'}`,
    '',
    'Try it, in another terminal:',
    ...(demoApps && config.sources.length > 0 ? [demo] : []),
    cli(sendHint),
    cli(`audit ${person?.employeeId ?? '<employee id>'}`),
    cli('targets check'),
    '',
    'Ctrl-C stops.',
  ];
  return lines.join('\n');
}
