// The configuration a user writes (scimitar.config.ts, through defineConfig): the targets to
// revoke access in and the global settings. Validated once, at synth and at local start, with
// messages that name the target, the field, the value given and what is allowed.
import * as z from 'zod';
import { ValidationError } from './errors.ts';
import { resourceId, secretFields, targetSchema } from './target-config.ts';
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

export const sourceSchema = z
  .object({
    id: resourceId,
    /** Payload and signature scheme: BambooHR webhooks, or scimitar's generic JSON event. */
    kind: z.enum(['bamboohr', 'generic']),
    /** Secret holding the HMAC signing key. */
    ...secretFields,
    /** Deliveries older than this are refused as replays. */
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
  })
  .strict();

/** When an involuntary termination revokes (config `involuntary`). */
export const involuntaryPolicies = ['immediate', 'at-effective-time'] as const;
/** The least (and default) scheduling horizon: any effectiveAt up to two years ahead is accepted. */
export const MIN_SCHEDULE_HORIZON_DAYS = 730;

/** How long an archived audit entry is locked unless the config says otherwise: 13 months and a bit. */
export const DEFAULT_ARCHIVE_RETENTION_DAYS = 400;

const scheduleExpression = z
  .string()
  .regex(/^(rate\(\d+ (minute|minutes|hour|hours|day|days)\)|cron\([^)]+\))$/, {
    message: "must be an EventBridge schedule: 'rate(1 day)' or 'cron(0 3 * * ? *)'",
  });

export const configSchema = z
  .object({
    /** CloudFormation stack name. */
    stackName: z
      .string()
      .regex(/^[A-Za-z][A-Za-z0-9-]{0,127}$/, 'must be a CloudFormation stack name')
      .default('Scimitar'),
    sources: z.array(sourceSchema).min(1, 'must list at least one HRIS source'),
    targets: z.array(targetSchema).min(1, 'must list at least one target'),
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
    sources: config.sources.map((source) => ({
      ...source,
      ...resolveSecret(source, `${config.stackName}/sources/${source.id}`),
    })),
  }));

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
