// The targets of the configuration: SCIM applications scimitar revokes in (auth, quirks, rate
// budget, rotation, leaver action), and manual and custom ones it only records and notifies about.
// config.ts composes them with the sources and the global settings.
import * as z from 'zod';
import { applyTargetPreset, presetNames } from '../targets/presets/index.ts';
import { attributeRecord, MAX_PERSON_ATTRIBUTE_VALUE, MAX_PERSON_ATTRIBUTES } from './person-attributes.ts';

const ID_RULE = 'must be 2-32 characters: lowercase letters, digits and dashes, starting with a letter';
// Ids become parts of AWS resource names and construct ids: keep them short and plain.
export const resourceId = z.string().regex(/^[a-z][a-z0-9-]{0,30}[a-z0-9]$/, ID_RULE);

const LOOPBACK_HOSTS = new Set(['localhost', '127.0.0.1', '[::1]']);
/** https everywhere; plain http only to this machine (the local runtime's demo apps). */
export const endpointUrl = z.url({ message: 'must be an absolute URL' }).refine(
  (value) => {
    const url = new URL(value);
    return url.protocol === 'https:' || (url.protocol === 'http:' && LOOPBACK_HOSTS.has(url.hostname));
  },
  { message: 'must be https:// (http:// is allowed only for localhost)' },
);

const text = (max: number) =>
  z.string().trim().min(1, 'must not be empty').max(max, `must be at most ${max} characters`);
export const secretName = z
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
export const secretFields = {
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
      /** 'account_credentials': Zoom's server-to-server grant, with accountId. @default 'client_credentials' */
      grantType: z.enum(['client_credentials', 'account_credentials']).optional(),
      /** The account a Zoom server-to-server token is for. @default - none */
      accountId: text(256).optional(),
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

/** A target's rate budget when its config names none (SCIM and session targets alike). */
export const DEFAULT_RATE_BUDGET = { requestsPerSecond: 5, burst: 5 } as const;

const rateBudgetSchema = z
  .object({
    /** Sustained write rate the target allows scimitar. */
    requestsPerSecond: z
      .number()
      .positive('must be more than 0')
      .max(1000)
      .default(DEFAULT_RATE_BUDGET.requestsPerSecond),
    /**
     * Requests the budget lets go at once after a quiet spell (a token bucket's size). A vendor
     * that counts requests per fixed one-second window allows `requestsPerSecond` in any window
     * only with a burst of 1: the budget may grant `requestsPerSecond + burst - 1` in one.
     */
    burst: z.number().int().min(1).max(100).default(DEFAULT_RATE_BUDGET.burst),
    /**
     * Revocations in flight at once against the target (its lane's worker concurrency). Each sends
     * one request at a time, so the budget stays busy only with enough of them in flight.
     * @default two seconds of the rate (`ceil(2 × requestsPerSecond)`), at least 2, at most 20
     */
    concurrency: z.number().int().min(2).max(100).optional(),
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
  /** Privileged targets (code, cloud, finance): a leaver holding an account there is urgent in every lane; they alarm on any orphan. */
  tier: z.enum(targetTiers).default('standard'),
};

const coverageSchema = z
  .object({
    status: z.enum(['accepted-gap', 'other-automation', 'manual-runbook']),
    compensatingControl: text(1000),
    reviewCadenceDays: z.number().int().min(1).max(366),
  })
  .strict();

/** Most groups one target's entitlement rules may manage. */
export const MAX_MANAGED_GROUPS = 500;
/** Most entitlement rules per target. */
export const MAX_ENTITLEMENT_RULES = 1000;
const groupName = text(256);
const attributeValue = text(MAX_PERSON_ATTRIBUTE_VALUE);

const entitlementRuleSchema = z
  .object({
    /** The managed group (SCIM displayName) this rule grants. */
    group: groupName,
    /** Every key must match the person's attribute: the value, or one of the values. Exact, case-sensitive. */
    when: attributeRecord(
      z.union([attributeValue, z.array(attributeValue).min(1, 'must list at least one value').max(100)]),
    )
      .refine((when) => Object.keys(when).length >= 1, {
        message:
          'must name at least one attribute, e.g. { department: "Engineering" }; a group everyone holds is best left out of managedGroups',
      })
      .refine((when) => Object.keys(when).length <= MAX_PERSON_ATTRIBUTES, {
        message: `must name at most ${MAX_PERSON_ATTRIBUTES} attributes (a person carries no more)`,
      }),
  })
  .strict();

/**
 * Which groups scimitar manages in an application and which HR attributes grant them (movers lose
 * what their new attributes no longer grant; the reconciler reports members who hold a managed
 * group their attributes do not grant). Groups not listed are never touched.
 */
export const entitlementsSchema = z
  .object({
    /** Groups scimitar manages in this application, by SCIM displayName; no other group is ever touched. */
    managedGroups: z
      .array(groupName)
      .min(1, 'must list at least one group')
      .max(MAX_MANAGED_GROUPS, `must list at most ${MAX_MANAGED_GROUPS} groups`),
    /** A person is granted a managed group when any rule naming it matches their attributes. */
    rules: z
      .array(entitlementRuleSchema)
      .max(MAX_ENTITLEMENT_RULES, `must hold at most ${MAX_ENTITLEMENT_RULES} rules`),
    /** Also add the groups the attributes now grant. @default false (only remove) */
    addGranted: z.boolean().default(false),
    /** The reconciler removes drift (members of managed groups not granted), within the blast-radius guard. @default false (report only) */
    removeDrift: z.boolean().default(false),
  })
  .strict()
  .superRefine((entitlements, ctx) => {
    // SCIM displayNames compare without case (RFC 7643 §4.2): 'Eng' and 'eng' are one group.
    const seen = new Set<string>();
    const folded = new Map<string, string>();
    entitlements.managedGroups.forEach((group, i) => {
      const earlier = folded.get(group.toLowerCase());
      if (earlier !== undefined) {
        ctx.addIssue({
          code: 'custom',
          path: ['managedGroups', i],
          message:
            earlier === group
              ? `group ${JSON.stringify(group)} is listed twice; list each managed group once`
              : `group ${JSON.stringify(group)} is the group ${JSON.stringify(earlier)} already listed (SCIM group names compare without case); list it once`,
          input: group,
        });
      }
      folded.set(group.toLowerCase(), group);
      seen.add(group);
    });
    entitlements.rules.forEach((rule, i) => {
      if (seen.has(rule.group)) return;
      ctx.addIssue({
        code: 'custom',
        path: ['rules', i, 'group'],
        message: `rule ${i} grants group ${JSON.stringify(rule.group)}, which is not in managedGroups; add it to managedGroups or correct the rule's group (scimitar touches only managed groups)`,
        input: rule.group,
      });
    });
  });
export type Entitlements = z.output<typeof entitlementsSchema>;
export type EntitlementRule = Entitlements['rules'][number];

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
    rateBudget: rateBudgetSchema.default(DEFAULT_RATE_BUDGET),
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
    /**
     * Groups scimitar manages here and the HR attributes that grant them (docs/entitlements.md).
     * @default - none: scimitar changes no group memberships for movers and reports no entitlement drift
     */
    entitlements: entitlementsSchema.optional(),
    /**
     * A known application (docs/targets/<preset>.md): fills baseUrl, auth, leaverAction, quirks and
     * rateBudget from the vendor's documentation; every field the target gives wins.
     * @default - none: everything as given
     */
    preset: z.enum(presetNames).optional(),
    /** The preset's base URL placeholders, e.g. `{ enterprise: 'acme' }` for 'github-emu'. @default - none */
    presetValues: z.record(z.string(), z.string()).optional(),
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

export const sessionProviders = ['okta', 'entra', 'google', 'hook'] as const;
export type SessionProvider = (typeof sessionProviders)[number];

/**
 * An identity provider's session API (docs/sessions.md): every leaver's sessions and tokens there
 * are ended through a lane like a SCIM target's. The credential lives in `auth`'s secret
 * (`<stackName>/targets/<id>` unless adopted): Okta an API token, Entra a client secret, Google a
 * service account key (JSON), the hook its HMAC signing key.
 */
export const sessionTargetSchema = z
  .object({
    ...commonTargetFields,
    kind: z.literal('session'),
    provider: z.enum(sessionProviders),
    /**
     * Okta: the org URL (`https://<your org>.okta.com`); hook: the URL it POSTs to.
     * @default - Entra `https://graph.microsoft.com/v1.0`, Google `https://admin.googleapis.com`
     */
    baseUrl: endpointUrl.optional(),
    /** Entra: the directory (tenant) id. */
    tenantId: z
      .string()
      .regex(/^[A-Za-z0-9.-]{1,100}$/, 'must be a tenant id (GUID) or a verified domain')
      .optional(),
    /** Entra: the app registration's application (client) id. */
    clientId: text(256).optional(),
    /**
     * Entra and Google: the OAuth 2.0 token endpoint.
     * @default - Entra `https://login.microsoftonline.com/<tenantId>/oauth2/v2.0/token`, Google `https://oauth2.googleapis.com/token`
     */
    tokenUrl: endpointUrl.optional(),
    /** Google: the Workspace admin the service account acts as (domain-wide delegation). */
    adminEmail: z.email('must be an email address').optional(),
    /** The secret holding the credential. */
    auth: z
      .object({ ...secretFields })
      .strict()
      .default({}),
    /** Which of the person's identifiers names the user at the provider. */
    matchAttribute: z.enum(matchAttributes).default('email'),
    rateBudget: rateBudgetSchema.default(DEFAULT_RATE_BUDGET),
  })
  .strict();

/** Fields each provider needs; the rest are refused, so a typo does not pass silently. */
const SESSION_FIELDS: Record<SessionProvider, { required: string[]; allowed: string[] }> = {
  okta: { required: ['baseUrl'], allowed: ['baseUrl'] },
  entra: { required: ['tenantId', 'clientId'], allowed: ['baseUrl', 'tenantId', 'clientId', 'tokenUrl'] },
  google: { required: ['adminEmail'], allowed: ['baseUrl', 'tokenUrl', 'adminEmail'] },
  hook: { required: ['baseUrl'], allowed: ['baseUrl'] },
};

function sessionTargetProblems(target: z.infer<typeof sessionTargetSchema>, ctx: z.RefinementCtx): void {
  const fields = SESSION_FIELDS[target.provider];
  const given = target as unknown as Record<string, unknown>;
  for (const field of ['baseUrl', 'tenantId', 'clientId', 'tokenUrl', 'adminEmail']) {
    if (fields.required.includes(field) && given[field] === undefined) {
      ctx.addIssue({
        code: 'custom',
        path: [field],
        message: `is required for a '${target.provider}' session target (docs/sessions.md)`,
        input: undefined,
      });
    } else if (!fields.allowed.includes(field) && given[field] !== undefined) {
      ctx.addIssue({
        code: 'custom',
        path: [field],
        message: `does not apply to a '${target.provider}' session target; allowed: ${fields.allowed.join(', ')}`,
        input: given[field],
      });
    }
  }
  // Okta, Entra and Google name a user in the path by login, UPN or email: no lookup by externalId.
  if (target.provider !== 'hook' && target.matchAttribute === 'externalId') {
    ctx.addIssue({
      code: 'custom',
      path: ['matchAttribute'],
      message: `'externalId' cannot name a user at ${target.provider}; use 'email' or 'userName' (the login)`,
      input: target.matchAttribute,
    });
  }
}

export const targetSchema = z
  .discriminatedUnion('kind', [scimTargetSchema, manualTargetSchema, customTargetSchema, sessionTargetSchema])
  .superRefine((target, ctx) => {
    if (target.kind === 'session') return sessionTargetProblems(target, ctx);
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
    if (
      target.auth.type === 'oauth2-client-credentials' &&
      target.auth.grantType === 'account_credentials' &&
      target.auth.accountId === undefined
    ) {
      ctx.addIssue({
        code: 'custom',
        path: ['auth', 'accountId'],
        message:
          "is required when auth.grantType is 'account_credentials' (Zoom server-to-server OAuth): give the app's Account ID",
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

type TargetInput = z.input<typeof targetSchema>;
type ScimTargetInput = Extract<TargetInput, { kind: 'scim' }>;
/** A target as written in the config: with a preset, baseUrl may come from the preset. */
export type TargetConfigInput =
  | Exclude<TargetInput, { kind: 'scim' }>
  | (Omit<ScimTargetInput, 'baseUrl'> & { baseUrl?: ScimTargetInput['baseUrl'] });

/** targetSchema, after the target's preset (lambdas/core/targets/presets) has filled what it leaves out. */
export const configTargetSchema = z.preprocess((input, ctx) => {
  return applyTargetPreset(input, (issue) =>
    ctx.addIssue({ code: 'custom', path: issue.path, message: issue.message, input }),
  );
}, targetSchema) as unknown as z.ZodType<z.output<typeof targetSchema>, TargetConfigInput>;
