#!/usr/bin/env node
// The package's `scimitar` command (npx scimitar). Brings a Node.js >= 22 where the machine's is
// older (as scripts/with-node.mjs does in the repository), then runs on it, with tsx loading the
// user's scimitar.config.ts:
//   scimitar synth [--config FILE] [--output DIR]          the CDK app ('scimitar/app') into DIR
//   scimitar deploy|diff|destroy|ls [--config FILE] [cdk options...]   the same app through the CDK CLI
//   scimitar --version                                     its version, and the Node it runs on
//   scimitar <any other command>                           the operator CLI (local/cli.ts)
// Written for any Node >= 18: it is the thing that runs first.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { constants } from 'node:os';
import { delimiter, dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { ensureNode } from '../scripts/node-toolchain.mjs';
import { watchParent } from '../scripts/process-tree.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(import.meta.url);
// In the repository the source runs (under tsx); in the installed package, dist/ (compiled).
const fromSource = existsSync(join(root, 'local', 'cli.ts'));
const cli = join(root, fromSource ? 'local/cli.ts' : 'dist/local/cli.js');
const app = join(root, fromSource ? 'bin/scimitar.ts' : 'dist/bin/scimitar.js');
const CDK_COMMANDS = new Set(['deploy', 'diff', 'destroy', 'ls']);

const binDir = ensureNode();
const node = binDir ? join(binDir, process.platform === 'win32' ? 'node.exe' : 'node') : process.execPath;
const tsx = pathToFileURL(require.resolve('tsx')).href;
const env = { ...process.env };
if (binDir) env.PATH = [binDir, env.PATH ?? ''].filter(Boolean).join(delimiter);

/** Takes `--NAME VALUE` or `--NAME=VALUE` out of args; returns its value. */
function takeOption(args, name) {
  for (let i = 0; i < args.length; i++) {
    if (args[i] === `--${name}`) {
      if (args[i + 1] === undefined || args[i + 1].startsWith('--')) {
        process.stderr.write(`scimitar: --${name} needs a value\n`);
        process.exit(64);
      }
      return args.splice(i, 2)[1];
    }
    if (args[i].startsWith(`--${name}=`)) return args.splice(i, 1)[0].slice(name.length + 3);
  }
  return undefined;
}

/** The config the app synthesizes: --config, else SCIMITAR_CONFIG_FILE, else ./scimitar.config.ts. */
function configFile(args) {
  const file = resolve(takeOption(args, 'config') ?? env.SCIMITAR_CONFIG_FILE ?? 'scimitar.config.ts');
  if (!existsSync(file)) {
    process.stderr.write(
      `scimitar: config file not found: ${file}; write one (export default defineConfig({...}) from 'scimitar') or pass --config FILE\n`,
    );
    process.exit(64);
  }
  return file;
}

function run(program, args, childEnv, after) {
  const child = spawn(program, args, { stdio: 'inherit', env: childEnv });
  child.on('error', (err) => {
    process.stderr.write(`scimitar: cannot run ${program}: ${err.message}\n`);
    process.exit(127);
  });
  const forward = (signal) => {
    if (child.exitCode === null && child.signalCode === null) child.kill(signal);
  };
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.on(signal, () => forward(signal));
  // `npx` does not pass a SIGTERM on: when it goes away, stop the command as if signalled.
  watchParent(() => forward('SIGTERM'));
  child.on('exit', (code, signal) => {
    if (code === 0 && after) after();
    process.exit(signal ? 128 + (constants.signals[signal] ?? 1) : (code ?? 1));
  });
}

const quote = (word) => (/^[\w@%+=:,./-]+$/.test(word) ? word : JSON.stringify(word));
const args = process.argv.slice(2);
const [command] = args;

if (command === '--version') {
  // Which scimitar, and which Node runs it (the machine's own, or the one brought into .toolchain/).
  const { version } = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
  const nodeVersion = spawnSync(node, ['--version'], { encoding: 'utf8' }).stdout.trim();
  process.stdout.write(`scimitar ${version} on Node ${nodeVersion.replace(/^v/, '')} (${node})\n`);
} else if (command === 'synth') {
  const rest = args.slice(1);
  const config = configFile(rest);
  const output = resolve(takeOption(rest, 'output') ?? 'cdk.out');
  if (rest.length > 0) {
    process.stderr.write(
      `scimitar synth: unexpected ${rest.join(' ')}; usage: scimitar synth [--config FILE] [--output DIR]\n`,
    );
    process.exit(64);
  }
  run(node, ['--import', tsx, app], { ...env, SCIMITAR_CONFIG_FILE: config, CDK_OUTDIR: output }, () => {
    const manifest = JSON.parse(readFileSync(join(output, 'manifest.json'), 'utf8'));
    const stacks = Object.entries(manifest.artifacts ?? {})
      .filter(([, artifact]) => artifact.type === 'aws:cloudformation:stack')
      .map(([id, artifact]) => `${id} (${artifact.properties?.templateFile})`);
    process.stdout.write(
      `synthesized ${stacks.join(', ')} into ${output}; deploy it: scimitar deploy --config ${quote(config)}\n`,
    );
  });
} else if (CDK_COMMANDS.has(command)) {
  const rest = args.slice(1);
  const config = configFile(rest);
  const cdk = join(dirname(require.resolve('aws-cdk/package.json')), 'bin', 'cdk');
  const appCommand = [node, '--import', tsx, app].map(quote).join(' ');
  run(node, [cdk, command, '--app', appCommand, ...rest], { ...env, SCIMITAR_CONFIG_FILE: config });
} else {
  const help = args.length === 0 || args.includes('--help') || args.includes('-h');
  // How the CLI's hints name it (the start banner): not this repository's `npm run scimitar --`.
  const cliEnv = { ...env, SCIMITAR_INVOKED_AS: env.SCIMITAR_INVOKED_AS ?? 'npx scimitar' };
  run(node, ['--import', tsx, cli, ...args], cliEnv, () => {
    if (help) {
      process.stdout.write(
        '\npackage commands (the CDK app, from your config):\n' +
          '  synth [--config FILE] [--output DIR]            synthesize the stack (default cdk.out)\n' +
          '  deploy|diff|destroy|ls [--config FILE] [cdk options]  the CDK CLI on it, with your AWS credentials\n',
      );
    }
  });
}
