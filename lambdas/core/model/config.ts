// The configuration a user writes (scimitar.config.ts, through defineConfig): the targets to
// revoke access in and the global settings. Validated once, at synth and at local start, with
// messages that name the target, the field, the value given and what is allowed.
import * as z from 'zod';
import { bambooHRApiSchema, hibobApiSchema, rosterPullSchema, workdaySourceFields } from '../pull/config.ts';
import { ValidationError } from './errors.ts';
import { scheduleExpression } from './schedule-expression.ts';
import { configTargetSchema, resourceId, secretFields } from './target-config.ts';
import { describeIssues, parseOrThrow } from './validation.ts';

// The targets' schemas live in target-config.ts; their names stay importable from here, the config's entry.
export {
  customTargetSchema,
  leaverActions,
  type MatchAttribute,
  manualTargetSchema,
  matchAttributes,
  patchStyles,
  scimTargetSchema,
  targetSchema,
  targetTiers,
} from './target-config.ts';

/** A source signing key's age limit when the config gives none: a year, warned 30 days ahead. */
export const DEFAULT_SOURCE_KEY_AGE = { maxAgeDays: 365, warnDaysBefore: 30 } as const;

/** Source fields every kind shares: its id, the secret that authenticates it, replay and key-age limits. */
const sourceCommon = {
  id: resourceId,
  /** Secret holding the signing key (or shared token; entra-lcw: the Graph client credentials; workday: the API credential, docs/roster-pull.md). */
  ...secretFields,
  /** Deliveries older than this are refused as replays (schemes that sign a timestamp). */
  toleranceSeconds: z.number().int().min(30).max(3600).default(300),
  /**
   * The signing key is changed by hand (the HRIS has no API for it): the canary measures its age
   * and the SourceKeyAge alarm fires at maxAgeDays - warnDaysBefore.
   * @default - {@link DEFAULT_SOURCE_KEY_AGE}, through {@link sourceKeyAge}
   */
  keyAge: z
    .object({
      maxAgeDays: z.number().int().min(1).max(3650).default(DEFAULT_SOURCE_KEY_AGE.maxAgeDays),
      warnDaysBefore: z.number().int().min(1).max(365).default(DEFAULT_SOURCE_KEY_AGE.warnDaysBefore),
    })
    .strict()
    .optional(),
};

const HTTP_HEADER_NAME = /^[A-Za-z0-9!#$%&'*+.^_`|~-]{1,64}$/;
const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** The Microsoft identity platform host that issues Entra tokens (public cloud). */
export const ENTRA_AUTHORITY = 'https://login.microsoftonline.com';
/** Microsoft Graph (public cloud), called to resume a Lifecycle Workflows task. */
export const GRAPH_BASE_URL = 'https://graph.microsoft.com';

const httpsOrLoopback = z.url({ message: 'must be an absolute URL' }).refine(
  (value) => {
    const url = new URL(value);
    return (
      url.protocol === 'https:' ||
      (url.protocol === 'http:' && ['localhost', '127.0.0.1', '[::1]'].includes(url.hostname))
    );
  },
  { message: 'must be https:// (http:// is allowed only for localhost)' },
);

/** Sources whose payload scimitar reads without kind-specific settings. */
const plainSource = (kind: 'generic' | 'rippling' | 'personio') =>
  z.object({ kind: z.literal(kind), ...sourceCommon }).strict();

/**
 * An HRIS or IdP that tells scimitar someone left. `kind` names the payload and authentication
 * scheme: BambooHR and HiBob sign with HMAC, scimitar's generic JSON with its own HMAC, Rippling and
 * Personio send a shared bearer token, Okta event hooks a shared header secret, and Entra ID
 * Lifecycle Workflows (through a Logic App) an Entra access token (docs/ingest.md).
 */
export const sourceSchema = z.discriminatedUnion('kind', [
  z
    .object({
      kind: z.literal('bamboohr'),
      ...sourceCommon,
      /** BambooHR's API, for the roster pull (docs/roster-pull.md). @default - not read */
      api: bambooHRApiSchema.optional(),
    })
    .strict(),
  plainSource('generic'),
  z
    .object({
      kind: z.literal('hibob'),
      ...sourceCommon,
      /** HiBob's API, for the roster pull (docs/roster-pull.md). @default - not read */
      api: hibobApiSchema.optional(),
    })
    .strict(),
  plainSource('rippling'),
  plainSource('personio'),
  // Workday has no webhook: terminations are polled and the roster pulled (docs/roster-pull.md).
  z.object({ kind: z.literal('workday'), ...sourceCommon, ...workdaySourceFields }).strict(),
  z
    .object({
      kind: z.literal('okta-event-hook'),
      ...sourceCommon,
      /** The header Okta sends the secret in (the event hook's "Authentication field"). @default 'Authorization' */
      authHeader: z.string().regex(HTTP_HEADER_NAME, 'must be an HTTP header name').default('Authorization'),
      /** A suspended user's access is revoked too, not only a deactivated one's. @default true */
      revokeOnSuspend: z.boolean().default(true),
    })
    .strict(),
  z
    .object({
      kind: z.literal('entra-lcw'),
      ...sourceCommon,
      /** The Entra tenant (directory) id whose tokens are accepted. */
      tenantId: z.string().regex(GUID, 'must be the tenant id (a GUID)'),
      /** The token audience scimitar accepts: the application ID URI (or client id) of its app registration. */
      audience: z.string().trim().min(1).max(256),
      /** Client ids of the callers allowed (the Logic App's managed identity): the token's appid or azp. */
      allowedCallers: z
        .array(z.string().regex(GUID, 'must be a client (application) id, a GUID'))
        .min(1, 'must name at least one caller: the Logic App managed identity that forwards the call'),
      /** Call Graph's resume endpoint with the revocation's outcome. @default true */
      resume: z.boolean().default(true),
      /** @default {@link ENTRA_AUTHORITY} (other clouds, or the local fake) */
      authority: httpsOrLoopback.default(ENTRA_AUTHORITY),
      /** @default {@link GRAPH_BASE_URL} */
      graphBaseUrl: httpsOrLoopback.default(GRAPH_BASE_URL),
    })
    .strict(),
]);

/** When an involuntary termination revokes (config `involuntary`). */
export const involuntaryPolicies = ['immediate', 'at-effective-time'] as const;
/** The least (and default) scheduling horizon: any effectiveAt up to two years ahead is accepted. */
export const MIN_SCHEDULE_HORIZON_DAYS = 730;

/** How long an archived audit entry is locked unless the config says otherwise: 13 months and a bit. */
export const DEFAULT_ARCHIVE_RETENTION_DAYS = 400;

export const configSchema = z
  .object({
    /** CloudFormation stack name. */
    stackName: z
      .string()
      .regex(/^[A-Za-z][A-Za-z0-9-]{0,127}$/, 'must be a CloudFormation stack name')
      .default('Scimitar'),
    sources: z.array(sourceSchema).min(1, 'must list at least one HRIS source'),
    targets: z.array(configTargetSchema).min(1, 'must list at least one target'),
    alerts: z
      .object({
        /** Subscribed to the alarm topic; confirm the subscription email after deploy. */
        email: z.email('must be an email address').optional(),
        /**
         * Refused webhook deliveries of one cause (signature, schema, unknown source, payload)
         * within 5 minutes that raise that cause's alarm.
         */
        refusedDeliveries: z.number().int().min(1).max(10_000).default(1),
        /**
         * Days without any accepted HR delivery before the NoEventsAccepted alarm fires: a broken
         * webhook is otherwise silent. CloudWatch evaluates an alarm over at most 7 days.
         */
        daysWithoutEvents: z.number().int().min(1).max(7).default(7),
      })
      .strict()
      .default({ refusedDeliveries: 1, daysWithoutEvents: 7 }),
    reconciliation: z
      .object({
        schedule: scheduleExpression.default('rate(1 day)'),
        /**
         * Deactivate orphans (accounts matching no active person) through the target's lane, within
         * the blast-radius limit. Off: orphans are only flagged.
         */
        deactivateOrphans: z.boolean().default(false),
        /** A roster older than this is not trusted to call an account an orphan: the run stops. */
        rosterMaxAgeHours: z
          .number()
          .int()
          .min(1)
          .max(24 * 31)
          .default(72),
      })
      .strict()
      .default({ schedule: 'rate(1 day)', deactivateOrphans: false, rosterMaxAgeHours: 72 }),
    canary: z
      .object({ schedule: scheduleExpression.default('rate(1 hour)') })
      .strict()
      .default({ schedule: 'rate(1 hour)' }),
    /**
     * Pull the roster from an HRIS on a schedule (docs/roster-pull.md), replacing it as an upload
     * does; uploads stay possible. @default - no pull: the roster is uploaded
     */
    roster: rosterPullSchema.optional(),
    ownerTasks: z
      .object({
        /**
         * Business days (Monday to Friday, UTC) an owner has to close a manual target's account and
         * `scimitar ack` the task before the OwnerTaskOverdue alarm fires.
         */
        dueBusinessDays: z.number().int().min(1).max(30).default(2),
      })
      .strict()
      .default({ dueBusinessDays: 2 }),
    blastRadius: z
      .object({
        /** Largest share of a target's accounts that revocations may touch within the window. */
        maxShare: z.number().gt(0, 'must be more than 0').max(1).default(0.1),
        windowMinutes: z
          .number()
          .int()
          .min(1)
          .max(7 * 24 * 60)
          .default(60),
        /** Revocations always allowed per window, so small targets are not blocked. */
        floor: z.number().int().min(0).max(10_000).default(5),
      })
      .strict()
      .default({ maxShare: 0.1, windowMinutes: 60, floor: 5 }),
    audit: z
      .object({
        /**
         * Days each archived audit entry stays locked in the archive bucket (S3 Object Lock,
         * compliance mode): no one, the account's root user included, can delete or overwrite
         * it sooner. Applies to entries archived after a change, not to those already locked.
         */
        archiveRetentionDays: z.number().int().min(1).max(36_500).default(DEFAULT_ARCHIVE_RETENTION_DAYS),
        /**
         * Days the raw HRIS delivery (the exact bytes received) is kept, in its own bucket and
         * expired by a lifecycle rule. 0: not kept; RECEIVED holds its SHA-256 either way.
         */
        rawPayloadRetentionDays: z.number().int().min(0).max(3650).default(0),
      })
      .strict()
      .default({ archiveRetentionDays: DEFAULT_ARCHIVE_RETENTION_DAYS, rawPayloadRetentionDays: 0 }),
    /**
     * When an involuntary termination revokes: `immediate` (at once, even when its effectiveAt is
     * later) or `at-effective-time` (like a voluntary one).
     */
    involuntary: z.enum(involuntaryPolicies).default('immediate'),
    /**
     * How far ahead a termination may be dated (days); a later effectiveAt is refused with a 422
     * naming this horizon. At least two years.
     */
    scheduleHorizonDays: z
      .number()
      .int()
      .min(MIN_SCHEDULE_HORIZON_DAYS)
      .max(3650)
      .default(MIN_SCHEDULE_HORIZON_DAYS),
    /** Evidence reports (`scimitar report`): the SLA a revocation is measured against. */
    report: z
      .object({
        /** Minutes from a termination's start to its verified revocation that count as on time. */
        slaMinutes: z.number().int().min(1).max(43_200).default(60),
      })
      .strict()
      .default({ slaMinutes: 60 }),
    /** Plan and audit every event without writing to any target. */
    dryRun: z.boolean().default(false),
    /** Attempts per target message before it goes to the dead-letter queue. */
    maxAttempts: z.number().int().min(1).max(20).default(5),
    /** Ship source maps in the Lambda bundles: readable stack traces, larger bundles, slower cold starts. */
    sourceMaps: z.boolean().default(false),
  })
  .strict()
  .superRefine((config, ctx) => {
    const seen = new Map<string, number>();
    config.targets.forEach((target, i) => {
      const first = seen.get(target.id);
      if (first !== undefined) {
        ctx.addIssue({
          code: 'custom',
          path: ['targets', i, 'id'],
          message: `duplicates the id of targets[${first}]; target ids must be unique`,
          input: target.id,
        });
      } else seen.set(target.id, i);
    });
    const sources = new Set<string>();
    config.sources.forEach((source, i) => {
      if (sources.has(source.id)) {
        ctx.addIssue({
          code: 'custom',
          path: ['sources', i, 'id'],
          message: 'duplicates another source id; source ids must be unique',
          input: source.id,
        });
      }
      sources.add(source.id);
    });
    const adoptionProblems = (
      fields: { secretName?: string; existingSecret?: boolean; secretKeyArn?: string },
      path: (string | number)[],
    ) => {
      if (fields.existingSecret === true && fields.secretName === undefined) {
        ctx.addIssue({
          code: 'custom',
          path: [...path, 'secretName'],
          message: 'is required when existingSecret is true: name the secret to adopt',
          input: undefined,
        });
      }
      const adopted = fields.existingSecret ?? fields.secretName !== undefined;
      if (fields.secretKeyArn !== undefined && !adopted) {
        ctx.addIssue({
          code: 'custom',
          path: [...path, 'secretKeyArn'],
          message:
            "applies only to an adopted secret (secretName); the stack's own secrets use its vault key",
          input: fields.secretKeyArn,
        });
      }
    };
    config.targets.forEach((target, i) => {
      if (target.kind === 'scim' || target.kind === 'session')
        adoptionProblems(target.auth, ['targets', i, 'auth']);
    });
    config.sources.forEach((source, i) => {
      adoptionProblems(source, ['sources', i]);
    });
    config.sources.forEach((source, i) => {
      if ((source.kind === 'bamboohr' || source.kind === 'hibob') && source.api)
        adoptionProblems(source.api, ['sources', i, 'api']);
    });
    if (config.roster) {
      const problem = rosterSourceProblem(config.sources, config.roster.source);
      if (problem)
        ctx.addIssue({
          code: 'custom',
          path: ['roster', 'source'],
          message: problem,
          input: config.roster.source,
        });
    }
  })
  // Every credential's name is resolved once, here: the functions read secrets by these names, and
  // the stack creates the ones it owns under them. Parsing the output again gives the same output.
  .transform((config) => ({
    ...config,
    targets: config.targets.map((target) =>
      target.kind === 'scim'
        ? {
            ...target,
            auth: {
              ...target.auth,
              ...resolveSecret(target.auth, `${config.stackName}/targets/${target.id}`),
            },
          }
        : target.kind === 'session'
          ? {
              ...target,
              auth: {
                ...target.auth,
                ...resolveSecret(target.auth, `${config.stackName}/targets/${target.id}`),
              },
            }
          : target,
    ),
    sources: config.sources.map((source) =>
      withApiSecret(
        { ...source, ...resolveSecret(source, `${config.stackName}/sources/${source.id}`) },
        `${config.stackName}/sources/${source.id}/api`,
      ),
    ),
  }));

/** A pulled API's credential is a secret of its own beside the signing key: its name resolved likewise. */
function withApiSecret<S extends object>(source: S, stackOwned: string): S {
  const { api } = source as { api?: { secretName?: string; existingSecret?: boolean } };
  if (!api) return source;
  return { ...source, api: { ...api, ...resolveSecret(api, stackOwned) } };
}

/** Why `sourceId` cannot supply the roster pull; undefined when it can. */
function rosterSourceProblem(sources: readonly z.output<typeof sourceSchema>[], sourceId: string) {
  const source = sources.find((s) => s.id === sourceId);
  const pullable = sources
    .filter(
      (s) =>
        ((s.kind === 'bamboohr' || s.kind === 'hibob') && s.api) || (s.kind === 'workday' && s.rosterReport),
    )
    .map((s) => s.id);
  const choices = pullable.length > 0 ? `sources that can: ${pullable.join(', ')}` : 'no source can yet';
  if (!source) return `names no configured source; ${choices}`;
  if ((source.kind === 'bamboohr' || source.kind === 'hibob') && !source.api)
    return `source "${sourceId}" (${source.kind}) has no api block: give sources[].api to read its people (docs/roster-pull.md)`;
  if (source.kind === 'workday' && !source.rosterReport)
    return `source "${sourceId}" (workday) has no rosterReport: name the report of active workers (docs/roster-pull.md)`;
  if (source.kind === 'generic')
    return `source "${sourceId}" is generic (push only): a roster is pulled from bamboohr, hibob or workday; ${choices}`;
  return undefined;
}

function resolveSecret(
  fields: { secretName?: string; existingSecret?: boolean },
  stackOwned: string,
): { secretName: string; existingSecret: boolean } {
  const existingSecret = fields.existingSecret ?? fields.secretName !== undefined;
  return { secretName: fields.secretName ?? stackOwned, existingSecret };
}

export type ScimitarConfigInput = z.input<typeof configSchema>;
export type ScimitarConfig = z.output<typeof configSchema>;
export type TargetConfig = ScimitarConfig['targets'][number];
export type ScimTargetConfig = Extract<TargetConfig, { kind: 'scim' }>;
/** A session revocation target (docs/sessions.md). */
export type SessionTargetConfig = Extract<TargetConfig, { kind: 'session' }>;
/** A target with a lane: a SCIM application or an identity provider's session API. */
export type LaneTargetConfig = ScimTargetConfig | SessionTargetConfig;
/** Whether a target has a lane (queue, priority queue, DLQ, worker event sources, secret). */
export function hasLane(target: TargetConfig): target is LaneTargetConfig {
  return target.kind === 'scim' || target.kind === 'session';
}
export type SourceConfig = ScimitarConfig['sources'][number];

/** Typed helper for scimitar.config.ts: editors complete and check the fields; validation runs at load. */
export function defineConfig(config: ScimitarConfigInput): ScimitarConfigInput {
  return config;
}

/** Validates a config object, throwing a ValidationError that lists every problem. */
export function parseConfig(input: unknown, origin = 'scimitar config'): ScimitarConfig {
  return parseOrThrow(configSchema, input, `invalid ${origin}`);
}

/** Every problem in a config, as messages; empty when valid. */
export function checkConfig(input: unknown): string[] {
  const result = configSchema.safeParse(input, { reportInput: true });
  return result.success ? [] : describeIssues(result.error.issues, input, configSchema);
}

/** The name of a SCIM target's credential secret (resolved by parseConfig: `<stackName>/targets/<id>` unless adopted). */
export function targetSecretName(target: TargetConfig): string {
  const name = hasLane(target) ? target.auth.secretName : undefined;
  if (!name)
    throw new Error(
      `target "${target.id}" has no credential secret; only a parsed SCIM or session target has one`,
    );
  return name;
}

/** The name of an HRIS source's signing-key secret (resolved by parseConfig: `<stackName>/sources/<id>` unless adopted). */
export function sourceSecretName(source: SourceConfig): string {
  if (!source.secretName)
    throw new Error(`source "${source.id}" has no resolved secret name; parse the config first`);
  return source.secretName;
}

/** A source's signing key age limit: its `keyAge`, else {@link DEFAULT_SOURCE_KEY_AGE}. */
export function sourceKeyAge(source: SourceConfig): { maxAgeDays: number; warnDaysBefore: number } {
  return source.keyAge ?? DEFAULT_SOURCE_KEY_AGE;
}

/** Targets in revocation order: privileged tier first, then as configured. */
export function targetsInRevocationOrder(config: ScimitarConfig): TargetConfig[] {
  return [...config.targets].sort(
    (a, b) => Number(a.tier !== 'privileged') - Number(b.tier !== 'privileged'),
  );
}

export { ValidationError };

export type WorkdaySourceConfig = Extract<SourceConfig, { kind: 'workday' }>;
/** A source whose HRIS API the roster pull can read. */
export type PulledApiSourceConfig = Extract<SourceConfig, { kind: 'bamboohr' | 'hibob' }>;
