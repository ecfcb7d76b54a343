// The lifecycle event: what an HRIS said happened to a person, normalised from any source
// (BambooHR, generic JSON, ...). Termination drives revocation; hire, change and rehire are
// modelled so the audit log and future flows speak one shape.
import * as z from 'zod';
import { parseOrThrow } from './validation.ts';

/** Longest identifier accepted from an HRIS; keeps audit keys and execution names bounded. */
export const MAX_ID_LENGTH = 200;
/** Longest person attribute accepted (userName, email, externalId). RFC 5321 caps an address at 254. */
export const MAX_ATTRIBUTE_LENGTH = 512;

// Control characters have no business in an identifier and break logs and filters.
const printable = (max: number) =>
  z
    .string()
    .trim()
    .min(1, 'must not be empty')
    .max(max, `must be at most ${max} characters`)
    .refine((s) => !/\p{Cc}/u.test(s), 'must not contain control characters');

export const lifecycleEventKinds = ['termination', 'hire', 'change', 'rehire'] as const;
export const terminationTypes = ['voluntary', 'involuntary'] as const;

export const personSchema = z
  .object({
    /** The HRIS's own, stable identifier of the person: the key of the leaver ledger. */
    employeeId: printable(MAX_ID_LENGTH),
    userName: printable(MAX_ATTRIBUTE_LENGTH).optional(),
    emails: z.array(z.email('must be an email address').max(254)).max(10).optional(),
    externalId: printable(MAX_ATTRIBUTE_LENGTH).optional(),
    displayName: printable(MAX_ATTRIBUTE_LENGTH).optional(),
  })
  .strict();
export type Person = z.infer<typeof personSchema>;

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
    /** When access must end; may be in the future (the workflow waits). Defaults to occurredAt. */
    effectiveAt: isoInstant.optional(),
    kind: z.enum(lifecycleEventKinds),
    person: personSchema,
    terminationType: z.enum(terminationTypes).optional(),
    /** The payload as received, kept for the audit log. */
    raw: z.unknown().optional(),
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
  })
  .transform((event) => ({ ...event, effectiveAt: event.effectiveAt ?? event.occurredAt }));

export type LifecycleEvent = z.output<typeof lifecycleEventSchema>;
export type LifecycleEventInput = z.input<typeof lifecycleEventSchema>;

export function parseLifecycleEvent(input: unknown): LifecycleEvent {
  return parseOrThrow(lifecycleEventSchema, input, 'invalid lifecycle event');
}

/** Whether the event asks for access to end (termination). */
export function isLeaver(event: LifecycleEvent): boolean {
  return event.kind === 'termination';
}
