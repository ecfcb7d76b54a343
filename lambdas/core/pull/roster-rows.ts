// A roster row as the pull builds it, before the roster's own validation: the person's match fields
// and the well-known attributes (department, title, managerId, ...) the source knows.
import type { WellKnownPersonAttribute } from '../model/person-attributes.ts';

export interface RosterRowInput {
  employeeId: string | undefined;
  userName?: string | undefined;
  email?: string | undefined;
  displayName?: string | undefined;
  externalId?: string | undefined;
  attributes?: Partial<Record<WellKnownPersonAttribute, string | undefined>>;
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
  if (input.attributes) {
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
