// Loads the user's scimitar.config.ts (or .js/.mjs/.json): at synth (bin/) and at local start.
import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseConfig, type ScimitarConfig } from '../lambdas/core/model/config.ts';
import { ScimitarError } from '../lambdas/core/model/errors.ts';

export const DEFAULT_CONFIG_FILE = 'scimitar.config.ts';

export class ConfigFileError extends ScimitarError {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'ConfigFileError';
  }
}

/** Reads and validates a config file. The module's default export is the config. */
export async function loadConfigFile(path: string = DEFAULT_CONFIG_FILE): Promise<ScimitarConfig> {
  const file = resolve(path);
  if (!existsSync(file)) {
    throw new ConfigFileError(
      `config file not found: ${file} (pass another with --config, or SCIMITAR_CONFIG_FILE for cdk synth)`,
    );
  }
  let input: unknown;
  if (file.endsWith('.json')) {
    try {
      input = JSON.parse(readFileSync(file, 'utf8'));
    } catch (err) {
      throw new ConfigFileError(`config file ${file} is not valid JSON: ${oneLine((err as Error).message)}`, {
        cause: err,
      });
    }
  } else {
    let mod: { default?: unknown };
    try {
      mod = (await import(pathToFileURL(file).href)) as { default?: unknown };
    } catch (err) {
      throw new ConfigFileError(`config file ${loadFailure(file, err)}`, { cause: err });
    }
    if (mod.default === undefined) {
      throw new ConfigFileError(
        `config file ${file} has no default export; export default defineConfig({...})`,
      );
    }
    input = mod.default;
  }
  return parseConfig(input, `config in ${file}`);
}

function oneLine(text: string): string {
  return text.replace(/\s*\n\s*/g, ' ').slice(0, 300);
}

/** Where and why a config module did not load: `file:line:column: message` for a syntax error. */
function loadFailure(file: string, err: unknown): string {
  // esbuild (through tsx) reports syntax errors with their location; columns count from 0.
  const [first] =
    (err as { errors?: { text?: string; location?: { line: number; column: number } }[] })?.errors ?? [];
  if (first?.location)
    return `${file}:${first.location.line}:${first.location.column + 1}: ${first.text ?? 'syntax error'}`;
  if (err instanceof Error) {
    const missing = missingModuleHint(err);
    if (missing) return `${file} cannot be loaded: ${oneLine(err.message)}; ${missing}`;
    const located = err.message.match(/:(\d+):(\d+): ERROR: (.+)/);
    if (located) return `${file}:${located[1]}:${Number(located[2]) + 1}: ${located[3]}`;
    // A throw while the module runs: its own line is the first stack frame in the file.
    const frame = err.stack?.split('\n').find((line) => line.includes(file));
    const at = frame?.match(/:(\d+):(\d+)\)?$/);
    return `${file}${at ? `:${at[1]}:${at[2]}` : ''} cannot be loaded: ${err.name}: ${oneLine(err.message)}`;
  }
  return `${file} cannot be loaded: ${String(err)}`;
}

/**
 * What to do when a config imports what is not there: a config copied out of the scimitar
 * repository still importing its source (`./lambdas/core/...`), or the package not installed.
 */
function missingModuleHint(err: Error): string | undefined {
  const code = (err as NodeJS.ErrnoException).code;
  if (code !== 'ERR_MODULE_NOT_FOUND' && code !== 'MODULE_NOT_FOUND') return undefined;
  if (/['"]scimitar(\/config)?['"]/.test(err.message)) {
    return 'install the package next to the config (npm install scimitar aws-cdk-lib constructs)';
  }
  if (/lambdas[\\/]core[\\/]/.test(err.message)) {
    return "outside the scimitar repository, import defineConfig from the package: import { defineConfig } from 'scimitar'";
  }
  return undefined;
}
