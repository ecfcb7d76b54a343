// A verified delivery from an HRIS source and what its parser makes of it: events, records ignored
// (not a termination) and records rejected with their problems.
import type { SourceConfig } from '../model/config.ts';
import type { LifecycleEvent } from '../model/event.ts';

export interface DeliveryContext {
  source: SourceConfig;
  /** When scimitar received the delivery. */
  receivedAt: Date;
  /** When the sender signed it, from the verified signature. */
  signedAt?: Date;
}

/** A record that is valid but asks nothing of scimitar (a hire, a job title change). */
export interface IgnoredRecord {
  reference: string;
  reason: string;
}

/** A record scimitar could not turn into an event, with every problem found. */
export interface RejectedRecord {
  reference: string;
  problems: string[];
}

export interface ParsedDelivery {
  events: LifecycleEvent[];
  ignored: IgnoredRecord[];
  rejected: RejectedRecord[];
}

export type PayloadParser = (payload: unknown, context: DeliveryContext) => ParsedDelivery;

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
