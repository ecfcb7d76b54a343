// What the push sources' parsers share: a content-derived event id (a redelivery of the same
// change dedupes, a new change is a new event), one event built and validated per record, and the
// envelope schema check that names every problem.
import { createHash } from 'node:crypto';
import type * as z from 'zod';
import { ValidationError } from '../model/errors.ts';
import { type LifecycleEventInput, parseLifecycleEvent } from '../model/event.ts';
import { describeIssues } from '../model/validation.ts';
import type { ParsedDelivery } from './delivery.ts';

/** `<source>:<person>:<hash of the parts>`: the same change sent again has the same id. */
export function contentEventId(sourceId: string, personId: string, parts: readonly string[]): string {
  const hash = createHash('sha256')
    .update(JSON.stringify([personId, ...parts]))
    .digest('hex')
    .slice(0, 24);
  return `${sourceId}:${personId.slice(0, 100)}:${hash}`;
}

/** Parses the delivery's envelope, or throws a ValidationError that names the vendor and each problem. */
export function parseEnvelope<T extends z.ZodType>(schema: T, payload: unknown, vendor: string): z.output<T> {
  const result = schema.safeParse(payload, { reportInput: true });
  if (!result.success) {
    throw new ValidationError(`invalid ${vendor} delivery`, describeIssues(result.error.issues, payload));
  }
  return result.data;
}

/** One event from one record: accepted, or rejected with the problems the event schema found. */
export function oneEvent(reference: string, input: LifecycleEventInput & { raw?: unknown }): ParsedDelivery {
  try {
    return { events: [parseLifecycleEvent(input)], ignored: [], rejected: [] };
  } catch (err) {
    if (err instanceof ValidationError)
      return { events: [], ignored: [], rejected: [{ reference, problems: [...err.problems] }] };
    throw err;
  }
}

/** Nothing to act on, and why. */
export function ignoredOnly(reference: string, reason: string): ParsedDelivery {
  return { events: [], ignored: [{ reference, reason }], rejected: [] };
}

/** An ISO instant from the payload, or undefined when absent or not one (the caller falls back). */
export function instant(value: unknown): string | undefined {
  if (typeof value !== 'string') return undefined;
  const date = new Date(value);
  return Number.isNaN(date.getTime()) ? undefined : date.toISOString();
}
