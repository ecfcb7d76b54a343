// Which part of the validated config each Lambda function is given: only the fields its code
// reads. The config is inlined into every bundle (Lambda caps environment variables at 4 KB), and
// at 200 targets the whole of it is ~145 KB per bundle; each function needs a slice. A field left
// out is a tripwire at run time (lambdas/aws/config-guard.ts), and the local runtime hands each
// function its projection too, so the tests that run a function catch a read of a dropped field.
import {
  type ConfigFieldNotProjectedError,
  type DroppedFields,
  guardConfig,
  type ProjectedConfig,
} from '../lambdas/aws/config-guard.ts';
import type { ScimitarConfig, SourceConfig, TargetConfig } from '../lambdas/core/model/config.ts';
import type { ScimitarEntry } from './scimitar-function.ts';

type KeysOfUnion<T> = T extends unknown ? keyof T : never;
type TopField = Exclude<keyof ScimitarConfig, 'targets' | 'sources'>;
type TargetField = KeysOfUnion<TargetConfig>;
type SourceField = KeysOfUnion<SourceConfig>;

/** The fields one function reads. A level it does not read at all is left out whole. */
export interface ConfigProjection {
  /** Top-level settings the function reads (stackName, blastRadius, …). */
  readonly config: readonly TopField[];
  /** Fields of each target (every target is kept, in order, with these fields). @default - no targets */
  readonly targets?: readonly TargetField[];
  /** Fields of each HRIS source. @default - no sources */
  readonly sources?: readonly SourceField[];
}

/** What `scimClientFor` and `targetSecretName` read of a SCIM target to build its client. */
const SCIM_CLIENT: readonly TargetField[] = ['id', 'kind', 'baseUrl', 'auth', 'quirks', 'rateBudget'];
/** What `sessionRevokerFor` reads of a session target beyond those: its provider's fields and the match. */
const SESSION_CLIENT: readonly TargetField[] = [
  'provider',
  'tenantId',
  'clientId',
  'tokenUrl',
  'adminEmail',
  'matchAttribute',
];
/** What a revocation decision reads of a target: the action, how accounts are matched, the mode. */
const LEAVER_ACTION: readonly TargetField[] = [
  'id',
  'kind',
  'tier',
  'mode',
  'leaverAction',
  'deleteAfterDays',
  'matchAttribute',
  'removeFromGroups',
];

/**
 * Each function's projection; undefined: the function reads no config and none is inlined (its
 * entry calling `runtimeConfig()` fails at cold start, loudly).
 */
export const CONFIG_PROJECTIONS: Readonly<Record<ScimitarEntry, ConfigProjection | undefined>> = {
  // Verifies deliveries: each source's scheme, signing-key secret and replay tolerance; schedules
  // terminations (involuntary, the horizon) and tells owners of a rescind after the start.
  ingest: {
    config: ['involuntary', 'scheduleHorizonDays'],
    targets: ['id', 'displayName', 'owner'],
    sources: [
      'id',
      'kind',
      'secretName',
      'toleranceSeconds',
      // okta-event-hook: the header holding the secret, and whether a suspension revokes.
      'authHeader',
      'revokeOnSuspend',
      // entra-lcw: whose tokens are accepted, and whether the task waits for a resume.
      'tenantId',
      'audience',
      'allowedCallers',
      'authority',
      'resume',
    ],
  },
  // Plans the lanes: every target's action and owner (manual targets become owner tasks).
  plan: {
    config: ['blastRadius', 'dryRun', 'involuntary', 'ownerTasks'],
    targets: [...LEAVER_ACTION, 'displayName', 'owner', 'coverage', 'entitlements'],
  },
  // Finds the lane's target by its queue name, and builds its SCIM client; spends the blast-radius
  // budget at the write.
  // Updates a mover's managed groups by the target's entitlement rules.
  // A session target's lane builds its provider's revoker.
  worker: {
    config: ['stackName', 'blastRadius'],
    targets: [...SCIM_CLIENT, ...SESSION_CLIENT, 'entitlements'],
  },
  // Resumes the Lifecycle Workflows task of an entra-lcw event: the source's tenant, Graph and secret.
  summarize: {
    config: [],
    sources: ['id', 'kind', 'secretName', 'tenantId', 'authority', 'graphBaseUrl', 'resume'],
  },
  // Finds the target by the secret's name or tag; mints through its rotation settings.
  rotation: { config: [], targets: [...SCIM_CLIENT, 'rotation'] },
  // Probes every SCIM target; measures credential and signing-key ages.
  canary: {
    config: ['canary'],
    targets: [...SCIM_CLIENT, 'rotation'],
    sources: ['id', 'secretName', 'keyAge'],
  },
  // Walks every SCIM target and queues orphans to its lane, within the blast radius.
  reconcile: {
    config: ['stackName', 'blastRadius', 'dryRun', 'reconciliation'],
    targets: [...new Set([...SCIM_CLIENT, ...LEAVER_ACTION]), 'allowList', 'entitlements'],
  },
  'roster-upload': undefined,
  'audit-archive': undefined,
  // The operator's writes: approve rebuilds a held target's lane (the leaver action), approve-burst
  // names SCIM targets and windows, revoke-now runs the termination lifecycle; lane queues by name.
  operator: {
    config: ['stackName', 'blastRadius', 'involuntary', 'scheduleHorizonDays'],
    targets: [...LEAVER_ACTION, 'displayName', 'owner'],
  },
  // Pulls the roster from its source's API and polls Workday sources' terminations through the
  // ingest core (the lifecycle, as ingest: involuntary, the horizon, owners of a rescind).
  pull: {
    config: ['roster', 'involuntary', 'scheduleHorizonDays'],
    targets: ['id', 'displayName', 'owner'],
    sources: [
      'id',
      'kind',
      'secretName',
      'toleranceSeconds',
      'api',
      'host',
      'tenant',
      'terminations',
      'rosterReport',
      'columns',
    ],
  },
};

function pick(value: object, fields: readonly string[]): Record<string, unknown> {
  const kept = new Set(fields);
  return Object.fromEntries(Object.entries(value).filter(([key]) => kept.has(key)));
}

function left(values: readonly object[], fields: readonly string[]): string[] {
  const kept = new Set(fields);
  return [...new Set(values.flatMap((v) => Object.keys(v)))].filter((key) => !kept.has(key));
}

/** The part of the config a function is given, and the names of the fields left out; undefined if it reads none. */
export function projectConfig(entry: ScimitarEntry, config: ScimitarConfig): ProjectedConfig | undefined {
  const projection = CONFIG_PROJECTIONS[entry];
  if (!projection) return undefined;
  const top: string[] = [...projection.config];
  if (projection.targets) top.push('targets');
  if (projection.sources) top.push('sources');
  const projected: Record<string, unknown> = pick(config, top);
  if (projection.targets) projected.targets = config.targets.map((t) => pick(t, projection.targets ?? []));
  if (projection.sources) projected.sources = config.sources.map((s) => pick(s, projection.sources ?? []));
  const dropped: DroppedFields = {
    config: left([config], top),
    targets: projection.targets ? left(config.targets, projection.targets) : [],
    sources: projection.sources ? left(config.sources, projection.sources) : [],
  };
  return { entry, config: projected as Partial<ScimitarConfig>, dropped };
}

/**
 * The config as a function sees it on AWS: its projection, with a tripwire on every field left
 * out. The local runtime gives each function this, so its tests exercise the projections.
 * @throws {ConfigFieldNotProjectedError} when the function reads a field its projection drops
 */
export function configFor(entry: ScimitarEntry, config: ScimitarConfig): ScimitarConfig {
  const projected = projectConfig(entry, config);
  if (!projected) throw new Error(`the ${entry} function is given no config (lib/config-projection.ts)`);
  return guardConfig(projected);
}

export type { ConfigFieldNotProjectedError };
