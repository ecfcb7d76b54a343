// One workflow execution per lifecycle event: its name is derived from the source and event
// id, so a repeated delivery maps to the same name and Step Functions refuses a second run.
import { createHash } from 'node:crypto';

export function executionName(source: string, eventId: string): string {
  const digest = createHash('sha256').update(`${source}\u0000${eventId}`).digest('hex');
  return `${source.slice(0, 32)}-${digest.slice(0, 40)}`;
}
