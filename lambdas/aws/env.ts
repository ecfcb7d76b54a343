// A Lambda function's configuration, read once at cold start: environment variables that must
// be there, and the scimitar config the CDK app inlined into the bundle.
import type { ScimitarConfig } from '../core/model/config.ts';
import { guardConfig, type ProjectedConfig } from './config-guard.ts';

/** A function's environment: `process.env` on Lambda, the template's variables locally. */
export type FunctionEnv = Readonly<Record<string, string | undefined>>;

export function requireEnv(name: string, env: FunctionEnv = process.env): string {
  const value = env[name];
  if (value === undefined || value === '') {
    throw new Error(
      `environment variable ${name} is not set; the CDK stack sets it (check the function's configuration)`,
    );
  }
  return value;
}

/**
 * The function's part of the config, inlined at bundle time as process.env.SCIMITAR_CONFIG (env
 * vars cap at 4 KB): validated at synth, then projected to the fields this function reads
 * (lib/config-projection.ts); reading a field the projection left out throws.
 */
export function runtimeConfig(): ScimitarConfig {
  // Spelled out: esbuild's define replaces only this exact expression.
  const raw = process.env.SCIMITAR_CONFIG;
  if (!raw) throw new Error('SCIMITAR_CONFIG is not set; the CDK stack inlines it at bundle time');
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch (err) {
    throw new Error('SCIMITAR_CONFIG is not JSON; rebuild the stack with `cdk deploy`', { cause: err });
  }
  return guardConfig(parsed as ProjectedConfig);
}
