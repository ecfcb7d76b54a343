// Loads the user's scimitar.config.ts (or .js/.mjs/.json): at synth (bin/) and at local start.
import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseConfig, type ScimitarConfig } from '../lambdas/core/config.ts';
import { ScimitarError } from '../lambdas/core/errors.ts';

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
      throw new ConfigFileError(`config file ${file} is not valid JSON: ${(err as Error).message}`, {
        cause: err,
      });
    }
  } else {
    const mod = (await import(pathToFileURL(file).href)) as { default?: unknown };
    if (mod.default === undefined) {
      throw new ConfigFileError(
        `config file ${file} has no default export; export default defineConfig({...})`,
      );
    }
    input = mod.default;
  }
  return parseConfig(input, `config in ${file}`);
}
