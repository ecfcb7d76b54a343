// The config a function is given, as lib/config-projection.ts projects it for that function: only
// the fields its code reads. The fields the projection left out are not undefined but a tripwire:
// reading one throws, so a function that starts reading a field its projection drops fails in the
// tests that run it (the local runtime gives each function its projection too), never silently.
import type { ScimitarConfig } from '../core/model/config.ts';

/** The fields a projection left out, per level of the config. */
export interface DroppedFields {
  readonly config: readonly string[];
  readonly targets: readonly string[];
  readonly sources: readonly string[];
}

/** What the CDK app inlines into a bundle: the function, its part of the config, and what was left out. */
export interface ProjectedConfig {
  readonly entry: string;
  /** The validated config with only the fields the function reads. */
  readonly config: Partial<ScimitarConfig>;
  readonly dropped: DroppedFields;
}

/** A function read a config field its projection does not give it: a fault in lib/config-projection.ts. */
export class ConfigFieldNotProjectedError extends Error {
  override readonly name = 'ConfigFieldNotProjectedError';
}

function tripwire<T extends object>(value: T, dropped: readonly string[], entry: string, path: string): T {
  if (dropped.length === 0) return value;
  const names = new Set(dropped);
  return new Proxy(value, {
    get(object, property, receiver) {
      if (typeof property === 'string' && names.has(property) && !(property in object)) {
        throw new ConfigFieldNotProjectedError(
          `the ${entry} function read config field ${path}${property}, which its projection leaves out; add it to the ${entry} projection in lib/config-projection.ts`,
        );
      }
      return Reflect.get(object, property, receiver);
    },
  });
}

/**
 * The config a function sees: its projection, typed as the whole config for the core's ports, with
 * a tripwire on every field left out (reading one throws {@link ConfigFieldNotProjectedError}).
 */
export function guardConfig(projected: ProjectedConfig): ScimitarConfig {
  const { entry, config, dropped } = projected;
  const guarded: Record<string, unknown> = { ...config };
  if (config.targets) {
    guarded.targets = config.targets.map((t) => tripwire(t, dropped.targets, entry, 'targets[].'));
  }
  if (config.sources) {
    guarded.sources = config.sources.map((s) => tripwire(s, dropped.sources, entry, 'sources[].'));
  }
  return tripwire(guarded, dropped.config, entry, '') as unknown as ScimitarConfig;
}
