// A roster row as the pull builds it, before the roster's own validation: the person's match fields
// and the well-known attributes (department, title, managerId, ...) the source knows.
import { personSchema } from '../model/event.ts';

/** The well-known attribute keys sources map their fields to (issue 16's contract). */
export const WELL_KNOWN_ATTRIBUTES = [
  'department',
  'title',
  'managerId',
  'costCenter',
  'location',
  'division',
  'employmentType',
] as const;
export type WellKnownAttribute = (typeof WELL_KNOWN_ATTRIBUTES)[number];

/**
 * Whether the person schema carries attributes (issue 16's `person.attributes`): a build without
 * them leaves them out of a pulled row rather than having the strict schema refuse it.
 */
export const PERSON_HAS_ATTRIBUTES = 'attributes' in personSchema.shape;

export interface RosterRowInput {
  employeeId: string | undefined;
  userName?: string | undefined;
  email?: string | undefined;
  displayName?: string | undefined;
  externalId?: string | undefined;
  attributes?: Partial<Record<WellKnownAttribute, string | undefined>>;
}

/** The row the roster's validation reads (`parseRoster`'s JSON `people[i]`): empty values left out. */
export function rosterRow(input: RosterRowInput): Record<string, unknown> {
  const text = (v: unknown) => (typeof v === 'string' && v.trim() !== '' ? v.trim() : undefined);
  const row: Record<string, unknown> = {};
  // Left as given when not text, so the roster's validation names the row and the field.
  row.employeeId = text(input.employeeId) ?? input.employeeId;
  const userName = text(input.userName);
  if (userName) row.userName = userName;
  const email = text(input.email);
  if (email) row.emails = [email];
  const displayName = text(input.displayName);
  if (displayName) row.displayName = displayName;
  const externalId = text(input.externalId);
  if (externalId) row.externalId = externalId;
  if (PERSON_HAS_ATTRIBUTES && input.attributes) {
    const attributes = Object.fromEntries(
      Object.entries(input.attributes).flatMap(([k, v]) => (text(v) ? [[k, text(v)]] : [])),
    );
    if (Object.keys(attributes).length > 0) row.attributes = attributes;
  }
  return row;
}

/** A JSON value as text: numbers as written, `{ "value": x }` unwrapped; anything else undefined. */
export function valueText(value: unknown): string | undefined {
  const inner =
    value !== null && typeof value === 'object' && !Array.isArray(value) && 'value' in value
      ? (value as { value: unknown }).value
      : value;
  if (typeof inner === 'number' && Number.isFinite(inner)) return String(inner);
  return typeof inner === 'string' && inner.trim() !== '' ? inner.trim() : undefined;
}
