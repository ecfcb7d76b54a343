// The configuration a user writes (scimitar.config.ts, through defineConfig): the targets to
// revoke access in and the global settings. Validated once, at synth and at local start, with
// messages that name the target, the field, the value given and what is allowed.
import * as z from 'zod';
import { ValidationError } from './errors.ts';
import { describeIssues, parseOrThrow } from './validation.ts';

const ID_RULE = 'must be 2-32 characters: lowercase letters, digits and dashes, starting with a letter';
// Ids become parts of AWS resource names and construct ids: keep them short and plain.
const resourceId = z.string().regex(/^[a-z][a-z0-9-]{0,30}[a-z0-9]$/, ID_RULE);

const LOOPBACK_HOSTS = new Set(['localhost', '127.0.0.1', '[::1]']);
/** https everywhere; plain http only to this machine (the local runtime's demo apps). */
const endpointUrl = z.url({ message: 'must be an absolute URL' }).refine(
  (value) => {
    const url = new URL(value);
    return url.protocol === 'https:' || (url.protocol === 'http:' && LOOPBACK_HOSTS.has(url.hostname));
  },
  { message: 'must be https:// (http:// is allowed only for localhost)' },
);

const text = (max: number) =>
  z.string().trim().min(1, 'must not be empty').max(max, `must be at most ${max} characters`);
const secretName = z
  .string()
  .regex(/^[A-Za-z0-9/_+=.@-]{1,512}$/, 'must be a Secrets Manager name: letters, digits and /_+=.@-');
const kmsKeyArn = z
  .string()
  .regex(
    /^arn:aws[a-z-]*:kms:[a-z0-9-]+:\d{12}:key\/[A-Za-z0-9-]+$/,
    'must be a KMS key ARN: arn:aws:kms:<region>:<account>:key/<key id>',
  );
/**
 * Where a credential lives. By default the stack creates `<stackName>/targets/<id>` (or
 * `<stackName>/sources/<id>`) and keeps it when the stack is deleted. `secretName` adopts an
 * existing secret instead: the stack imports it by name (never creates, changes or deletes it) and
 * grants the functions that read it access to that secret only.
 */
const secretFields = {
  /** An existing secret to adopt. @default - the stack creates `<stackName>/targets/<id>` */
  secretName: secretName.optional(),
  /**
   * Whether `secretName` names a secret that exists already (adopted, not created). After parsing
   * it is always set: true when `secretName` was given, false for the stack's own secret.
   * @default - true when secretName is given
   */
  existingSecret: z.boolean().optional(),
  /**
   * The customer-managed KMS key an adopted secret is encrypted with, so the functions may decrypt
   * it through Secrets Manager.
   * @default - none: the secret uses the AWS managed key aws/secretsmanager
   */
  secretKeyArn: kmsKeyArn.optional(),
};

export const targetTiers = ['privileged', 'standard'] as const;
export const leaverActions = ['deactivate', 'delete', 'deactivate-then-delete'] as const;
export const matchAttributes = ['userName', 'externalId', 'email'] as const;
export type MatchAttribute = (typeof matchAttributes)[number];
export const patchStyles = ['rfc', 'entra', 'okta'] as const;

const authSchema = z.discriminatedUnion('type', [
  z
    .object({
      type: z.literal('bearer'),
      /** Secret holding the bearer token. */
      ...secretFields,
    })
    .strict(),
  z
    .object({
      type: z.literal('oauth2-client-credentials'),
      tokenUrl: endpointUrl,
      clientId: text(256),
      scope: text(1024).optional(),
      /** Secret holding the client secret. */
      ...secretFields,
    })
    .strict(),
]);

const quirksSchema = z
  .object({
    /** Shape of the deactivating PATCH (see docs/scim-client.md). */
    patchStyle: z.enum(patchStyles).default('rfc'),
    /** 'eq-only': the server parses only `attr eq "value"` (e.g. AWS IAM Identity Center). */
    filter: z.enum(['full', 'eq-only']).default('full'),
    /** 'cursor': the server pages with cursors instead of startIndex. */
    paging: z.enum(['index', 'cursor']).default('index'),
    /** Largest page asked for; servers cap silently anyway. */
    maxPageSize: z.number().int().min(1).max(1000).default(100),
    /** Some servers (GitHub) require a User-Agent; scimitar always sends one. */
    userAgent: text(200).optional(),
  })
  .strict();

const rateBudgetSchema = z
  .object({
    /** Sustained write rate the target allows scimitar. */
    requestsPerSecond: z.number().positive('must be more than 0').max(1000).default(5),
    /** Requests that may run at once against the target. */
    burst: z.number().int().min(1).max(100).default(5),
  })
  .strict();

const rotationSchema = z.discriminatedUnion('strategy', [
  z
    .object({
      /** The application issues tokens only in its console: scimitar alarms ahead of maxAgeDays. */
      strategy: z.literal('manual'),
      maxAgeDays: z.number().int().min(1).max(3650).default(90),
      warnDaysBefore: z.number().int().min(1).max(365).default(14),
    })
    .strict(),
  z
    .object({
      /** A configured endpoint mints a new token, authenticated with the current one. */
      strategy: z.literal('api'),
      endpoint: endpointUrl,
      everyDays: z.number().int().min(1).max(365).default(30),
      /** Where the new token is in the endpoint's JSON answer. */
      tokenField: text(100).default('token'),
      revokeEndpoint: endpointUrl.optional(),
    })
    .strict(),
  z
    .object({
      /** OAuth2 client credentials: access tokens are fetched at run time; rotation refreshes what the provider allows. */
      strategy: z.literal('oauth2'),
      everyDays: z.number().int().min(1).max(365).default(30),
    })
    .strict(),
]);

const commonTargetFields = {
  id: resourceId,
  displayName: text(100),
  /** Who answers for this application: notified on manual tasks and failures. */
  owner: z.email('must be an email address'),
  /** Privileged targets (code, cloud, finance) are revoked first and alarm on any orphan. */
  tier: z.enum(targetTiers).default('standard'),
};

const coverageSchema = z
  .object({
    status: z.enum(['accepted-gap', 'other-automation', 'manual-runbook']),
    compensatingControl: text(1000),
    reviewCadenceDays: z.number().int().min(1).max(366),
  })
  .strict();

export const scimTargetSchema = z
  .object({
    ...commonTargetFields,
    kind: z.literal('scim'),
    /** SCIM base URL, ending before /Users. */
    baseUrl: endpointUrl,
    auth: authSchema.default({ type: 'bearer' }),
    leaverAction: z.enum(leaverActions).default('deactivate'),
    /** Days between deactivation and deletion, for 'deactivate-then-delete'. */
    deleteAfterDays: z.number().int().min(1).max(3650).optional(),
    matchAttribute: z.enum(matchAttributes).default('userName'),
    rateBudget: rateBudgetSchema.default({ requestsPerSecond: 5, burst: 5 }),
    quirks: quirksSchema.default({ patchStyle: 'rfc', filter: 'full', paging: 'index', maxPageSize: 100 }),
    removeFromGroups: z.boolean().default(false),
    /** 'report-only': scimitar finds and reports but never writes (another system owns writes). */
    mode: z.enum(['revoke', 'report-only']).default('revoke'),
    /** userNames of service and break-glass accounts the reconciler accepts. */
    allowList: z.array(text(512)).max(1000).default([]),
    /**
     * Why a target scimitar does not revoke in (mode 'report-only') is still covered: the coverage
     * report counts a report-only target without it as an unmanaged risk.
     * @default - none
     */
    coverage: coverageSchema.optional(),
    rotation: rotationSchema.default({ strategy: 'manual', maxAgeDays: 90, warnDaysBefore: 14 }),
  })
  .strict();

export const manualTargetSchema = z
  .object({
    ...commonTargetFields,
    /** No automation: each leaver becomes a task for the owner, recorded in the audit log. */
    kind: z.literal('manual'),
    coverage: coverageSchema,
  })
  .strict();

export const customTargetSchema = z
  .object({
    ...commonTargetFields,
    /** Revoked by automation outside scimitar; scimitar records it and notifies the owner. */
    kind: z.literal('custom'),
    coverage: coverageSchema.extend({ status: z.literal('other-automation') }),
  })
  .strict();

export const targetSchema = z
  .discriminatedUnion('kind', [scimTargetSchema, manualTargetSchema, customTargetSchema])
  .superRefine((target, ctx) => {
    if (target.kind !== 'scim') return;
    if (target.leaverAction === 'deactivate-then-delete' && target.deleteAfterDays === undefined) {
      ctx.addIssue({
        code: 'custom',
        path: ['deleteAfterDays'],
        message:
          "is required when leaverAction is 'deactivate-then-delete'; allowed: whole days from 1 to 3650",
        input: undefined,
      });
    }
    if (target.leaverAction !== 'deactivate-then-delete' && target.deleteAfterDays !== undefined) {
      ctx.addIssue({
        code: 'custom',
        path: ['deleteAfterDays'],
        message: "applies only when leaverAction is 'deactivate-then-delete'",
        input: target.deleteAfterDays,
      });
    }
  });

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
      if (target.kind === 'scim') adoptionProblems(target.auth, ['targets', i, 'auth']);
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
  const name = target.kind === 'scim' ? target.auth.secretName : undefined;
  if (!name)
    throw new Error(`target "${target.id}" has no credential secret; only a parsed SCIM target has one`);
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
