// The lifecycle event: what an HRIS said happened to a person, normalised from any source
// (BambooHR, generic JSON, ...). Termination drives revocation; rescind, hire and rehire cancel a
// pending termination (lambdas/core/lifecycle); change is modelled so the audit log speaks one shape.
import * as z from 'zod';
import { type MatchAttribute, matchAttributes } from './config.ts';
import { ValidationError } from './errors.ts';
import { isMailboxAddress } from './mailbox.ts';
import { attributeRecord, MAX_PERSON_ATTRIBUTE_VALUE, MAX_PERSON_ATTRIBUTES } from './person-attributes.ts';
import { describeIssues, parseOrThrow } from './validation.ts';

/** Longest identifier accepted from an HRIS; keeps audit keys and execution names bounded. */
export const MAX_ID_LENGTH = 200;
/** Most e-mail addresses one person may have in an event. */
export const MAX_EMAILS = 10;
/** Longest person attribute accepted (userName, email, externalId). RFC 5321 caps an address at 254. */
export const MAX_ATTRIBUTE_LENGTH = 512;

// Amazon SQS accepts #x9 | #xA | #xD | #x20-#xD7FF | #xE000-#xFFFD | #x10000-#x10FFFF in a message
// (SendMessage); the person's values travel in lane messages, so nothing outside that set may be
// accepted here and refused by a queue later. Control characters (tab and line breaks included)
// and the Unicode non-characters (U+FDD0-U+FDEF, U+xFFFE and U+xFFFF) have no business in an
// identifier either. Characters beyond U+FFFF (emoji, CJK extensions: 'Ada 😀 Lovelace', '𠮷') are fine.
const REFUSED_CHARACTER =
  /[\p{Cc}\p{Noncharacter_Code_Point}\p{Cs}]|[^\x20-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/u;

/** Why `text` cannot be carried: the first refused character, by code point and position; undefined when it can. */
function refusedCharacter(text: string): string | undefined {
  const match = REFUSED_CHARACTER.exec(text);
  if (!match) return undefined;
  const point = match[0].codePointAt(0) ?? 0;
  const name = `U+${point.toString(16).toUpperCase().padStart(4, '0')}`;
  const kind = /\p{Cc}/u.test(match[0])
    ? 'a control character'
    : /\p{Cs}/u.test(match[0])
      ? 'an unpaired surrogate'
      : 'a Unicode non-character';
  const position = [...text.slice(0, match.index)].length + 1;
  return `must not contain control characters, Unicode non-characters or unpaired surrogates; found ${name} (${kind}) at character ${position}`;
}

/** A string schema that also refuses what no queue message may carry. */
const carried = (schema: z.ZodString) =>
  schema.superRefine((s, ctx) => {
    const problem = refusedCharacter(s);
    if (problem) ctx.addIssue({ code: 'custom', message: problem, input: s });
  });

// Every string field is trimmed the same way: String.prototype.trim (spaces, tabs, line breaks, no-break spaces).
const printable = (max: number) =>
  carried(z.string().trim().min(1, 'must not be empty').max(max, `must be at most ${max} characters`));

const utf8 = new TextEncoder();

/** Longest e-mail address accepted, in UTF-8 octets (RFC 5321 §4.5.3.1.3, as RFC 6531 counts it). */
export const MAX_EMAIL_OCTETS = 254;

/** An e-mail address as RFC 6531 allows it (UTF-8 local part, internationalised domain), trimmed. */
export const emailSchema = carried(
  z
    .string()
    .trim()
    .min(1, 'must not be empty')
    .refine(
      (s) => utf8.encode(s).length <= MAX_EMAIL_OCTETS,
      `must be at most ${MAX_EMAIL_OCTETS} octets as UTF-8`,
    )
    .refine(
      isMailboxAddress,
      'must be an e-mail address (local@domain; RFC 6531 allows UTF-8 and internationalised domains)',
    ),
);

/**
 * HR attributes of a person (department, title, ...), what entitlement rules match on
 * (lambdas/core/entitlements/rules.ts). Values are trimmed; an empty value says the source knows
 * none, so it is left out rather than refusing the person. Keys are case-sensitive; read them with
 * Object.hasOwn (a key such as `constructor` is allowed and must not find an inherited member).
 */
export const personAttributesSchema = attributeRecord(
  carried(
    z
      .string()
      .trim()
      .max(MAX_PERSON_ATTRIBUTE_VALUE, `must be at most ${MAX_PERSON_ATTRIBUTE_VALUE} characters`),
  ),
)
  .refine((attributes) => Object.keys(attributes).length <= MAX_PERSON_ATTRIBUTES, {
    message: `must hold at most ${MAX_PERSON_ATTRIBUTES} attributes`,
  })
  .transform((attributes) =>
    Object.fromEntries(Object.entries(attributes).filter(([, value]) => value !== '')),
  );
export type PersonAttributes = z.output<typeof personAttributesSchema>;

export const lifecycleEventKinds = ['termination', 'hire', 'change', 'rehire', 'rescind'] as const;
export const terminationTypes = ['voluntary', 'involuntary'] as const;
export type TerminationType = (typeof terminationTypes)[number];

export const personSchema = z
  .object({
    /** The HRIS's own, stable identifier of the person: the key of the leaver ledger. */
    employeeId: printable(MAX_ID_LENGTH),
    userName: printable(MAX_ATTRIBUTE_LENGTH).optional(),
    emails: z.array(emailSchema).max(MAX_EMAILS).optional(),
    externalId: printable(MAX_ATTRIBUTE_LENGTH).optional(),
    displayName: printable(MAX_ATTRIBUTE_LENGTH).optional(),
    /** HR attributes (department, title, managerId, ...); for a `change`, all the source knows after it. */
    attributes: personAttributesSchema.optional(),
  })
  .strict();
export type Person = z.infer<typeof personSchema>;

/** A match field of the person that cannot identify anyone, set aside at ingest with the reason. */
export const unusableMatchFieldSchema = z
  .object({
    /** The match attribute it would have served. */
    attribute: z.enum(matchAttributes),
    /** Where it was in the event, e.g. `person.emails[1]`. */
    field: z.string(),
    /** What is wrong with it (the value shown escaped and cut short). */
    problem: z.string(),
  })
  .strict();
export type UnusableMatchField = z.infer<typeof unusableMatchFieldSchema>;

/**
 * The resume path of a Lifecycle Workflows task processing result, relative to Graph's version root
 * (https://learn.microsoft.com/graph/api/identitygovernance-taskprocessingresult-resume).
 */
export const LCW_RESUME_PATH =
  /^\/identityGovernance\/lifecycleWorkflows\/workflows\/[A-Za-z0-9-]{1,64}\/tasks\/[A-Za-z0-9-]{1,64}\/taskProcessingResults\/[A-Za-z0-9-]{1,64}\/microsoft\.graph\.identityGovernance\.resume$/;

const isoInstant = z.iso.datetime({
  offset: true,
  message: 'must be an ISO 8601 date-time with a time zone',
});

export const lifecycleEventSchema = z
  .object({
    /** Unique per event at its source; the workflow execution is named from it (dedupe). */
    eventId: printable(MAX_ID_LENGTH),
    /** Id of the configured HRIS source that sent it. */
    source: printable(64),
    occurredAt: isoInstant,
    /**
     * When access must end; may be in the future (up to the config's `scheduleHorizonDays`: a
     * schedule starts the revocation then). Defaults to occurredAt.
     */
    effectiveAt: isoInstant.optional(),
    kind: z.enum(lifecycleEventKinds),
    person: personSchema,
    terminationType: z.enum(terminationTypes).optional(),
    /**
     * An operator asked for this termination to be revoked now (`scimitar revoke-now`, or a sender
     * that says so): its lanes go to the targets' priority queues, before any bulk work. Only for
     * a termination; absent means no such request.
     */
    urgent: z.literal(true).optional(),
    /**
     * Set by an entra-lcw source, never by a generic sender: the Lifecycle Workflows task that waits
     * for the outcome; the Summarize step resumes it through Graph (lambdas/core/ingest/lcw-resume.ts).
     */
    resume: z
      .object({
        path: z.string().max(512).regex(LCW_RESUME_PATH, 'must be a Lifecycle Workflows resume path'),
      })
      .strict()
      .optional(),
    /** The payload as received. Never stored: RECEIVED keeps the delivery's SHA-256 (lambdas/core/ingest/ingest.ts). */
    raw: z.unknown().optional(),
    /**
     * Set by scimitar, never by a sender: match fields that were unusable and left out of
     * `person`. Targets matched by one of these attributes are not matchable for this event.
     */
    unusableMatchFields: z
      .array(unusableMatchFieldSchema)
      .max(MAX_EMAILS + 2)
      .optional(),
  })
  .strict()
  .superRefine((event, ctx) => {
    if (event.kind === 'termination' && !event.terminationType) {
      ctx.addIssue({
        code: 'custom',
        path: ['terminationType'],
        message: `is required for a termination; allowed: ${terminationTypes.join(' | ')}`,
        input: event.terminationType,
      });
    }
    if (event.urgent && event.kind !== 'termination') {
      ctx.addIssue({
        code: 'custom',
        path: ['urgent'],
        message: `applies to a termination only; this event's kind is "${event.kind}"`,
        input: event.urgent,
      });
    }
  })
  .transform((event) => ({ ...event, effectiveAt: event.effectiveAt ?? event.occurredAt }));

export type LifecycleEvent = z.output<typeof lifecycleEventSchema>;
export type LifecycleEventInput = z.input<typeof lifecycleEventSchema>;

const matchFieldSchemas = {
  userName: personSchema.shape.userName.unwrap(),
  externalId: personSchema.shape.externalId.unwrap(),
  email: emailSchema,
} satisfies Record<MatchAttribute, z.ZodType>;

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * Sets aside the person's match fields that cannot identify anyone (not an address, empty, a
 * refused character, too long), so that one unusable field never refuses the whole leaver: the
 * targets matched by the others still revoke, and the plan records the rest as not matchable.
 * For e-mail, one unusable address makes the attribute unusable (which one a target holds is unknown).
 */
function setAsideUnusableMatchFields(input: Record<string, unknown>): {
  input: Record<string, unknown>;
  unusable: UnusableMatchField[];
} {
  const person = input.person;
  if (!isRecord(person)) return { input, unusable: [] };
  const unusable: UnusableMatchField[] = [];
  const kept: Record<string, unknown> = { ...person };
  const check = (attribute: MatchAttribute, field: string, value: unknown): boolean => {
    const result = matchFieldSchemas[attribute].safeParse(value, { reportInput: true });
    if (result.success) return true;
    const problem = describeIssues(result.error.issues, value)
      .map((p) => p.replace(/^field "\(top level\)": /, ''))
      .join('; ');
    unusable.push({ attribute, field, problem });
    return false;
  };
  for (const attribute of ['userName', 'externalId'] as const) {
    if (attribute in person && person[attribute] !== undefined) {
      if (!check(attribute, `person.${attribute}`, person[attribute])) delete kept[attribute];
    }
  }
  // More addresses than allowed is the sender's error: the schema refuses the list as a whole.
  if (Array.isArray(person.emails) && person.emails.length <= MAX_EMAILS) {
    const emails = person.emails.filter((email, i) => check('email', `person.emails[${i}]`, email));
    kept.emails = emails;
    if (emails.length === 0) delete kept.emails;
  }
  return { input: { ...input, person: kept }, unusable };
}

/** Parses an event as a sender sent it (see setAsideUnusableMatchFields), or throws a ValidationError. */
export function parseLifecycleEvent(input: unknown): LifecycleEvent {
  if (!isRecord(input)) return parseOrThrow(lifecycleEventSchema, input, 'invalid lifecycle event');
  if ('unusableMatchFields' in input) {
    throw new ValidationError('invalid lifecycle event', [
      'field "unusableMatchFields": is set by scimitar at ingest, never by a sender; remove it',
    ]);
  }
  const { input: usable, unusable } = setAsideUnusableMatchFields(input);
  const event = parseOrThrow(lifecycleEventSchema, usable, 'invalid lifecycle event');
  return unusable.length > 0 ? { ...event, unusableMatchFields: unusable } : event;
}

/** Whether the event asks for access to end (termination). */
export function isLeaver(event: LifecycleEvent): boolean {
  return event.kind === 'termination';
}
