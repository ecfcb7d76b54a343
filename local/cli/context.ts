// What every command of the CLI shares: its options, where the local runtime answers, the config
// file, and how a follow-up command is written.
import type { parseArgs } from 'node:util';
import type { ScimitarConfig } from '../../lambdas/core/model/config.ts';
import { DEFAULT_CONFIG_FILE, loadConfigFile } from '../../lib/config-file.ts';
import { DEFAULT_PORT } from '../runtime-defaults.ts';

export const options = {
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
  // send --kind change: the person's attributes after the change, KEY=VALUE, repeated
  attribute: { type: 'string', multiple: true },
  restart: { type: 'boolean' },
  json: { type: 'boolean' },
  // reconcile run / reconcile coverage, without a runtime
  target: { type: 'string', multiple: true },
  secrets: { type: 'string' },
  dynamo: { type: 'string' },
  'state-table': { type: 'string' },
  'audit-table': { type: 'string' },
  sqs: { type: 'string' },
  queue: { type: 'string', multiple: true },
  list: { type: 'string' },
  // approve-burst
  all: { type: 'boolean' },
  count: { type: 'string' },
  by: { type: 'string' },
  note: { type: 'string' },
  reason: { type: 'string' },
  until: { type: 'string' },
  // a deployed stack, through its AWS APIs (local/cli/stack.ts); without --stack: the local runtime at --url
  stack: { type: 'string' },
  region: { type: 'string' },
  'endpoint-url': { type: 'string' },
  // redrive one message; alarms' notifications of the last N days; revoke-now without following
  message: { type: 'string' },
  days: { type: 'string' },
  'no-follow': { type: 'boolean' },
  // report
  from: { type: 'string' },
  to: { type: 'string' },
  format: { type: 'string' },
  out: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

export type Args = ReturnType<
  typeof parseArgs<{ options: typeof options; allowPositionals: true }>
>['values'];

export const baseUrl = (args: Args) =>
  args.url ?? process.env.SCIMITAR_URL ?? `http://127.0.0.1:${DEFAULT_PORT}`;

export async function loadConfig(args: Args): Promise<ScimitarConfig> {
  return loadConfigFile(args.config ?? process.env.SCIMITAR_CONFIG_FILE ?? DEFAULT_CONFIG_FILE);
}

/** A follow-up command as the user would type it: `npm run scimitar -- …` locally, `scimitar … --stack S` on AWS. */
export function cliCommand(
  ctx: { readonly local: boolean; readonly stackName: string },
  command: string,
): string {
  return ctx.local ? `npm run scimitar -- ${command}` : `scimitar ${command} --stack ${ctx.stackName}`;
}
