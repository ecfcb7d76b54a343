// What one page of a pass listed, as SEEN items of the state table hold it (dynamo-reconciliation.ts):
// `ids` and `prints` side by side, and `queued`, SCIM id to the remediation still waiting in the
// lane, for the few accounts that have one. A page's listing is split into parts that fit an item.
import type { PageListing, PageRecord } from '../../core/reconcile/ports.ts';
import { parseQueuedMark, type QueuedRemediation, queuedMark } from '../../core/reconcile/state.ts';

/**
 * Accounts per SEEN item: 2,000 ids of 36 characters and fingerprints of 16 are about 110 KB. A
 * queued remediation adds its id again and a mark of about 80 characters, and ids may be longer,
 * so a part also ends at LISTED_BYTES_PER_ITEM (DynamoDB's limit is 400 KB an item).
 */
export const LISTED_PER_ITEM = 2_000;
export const LISTED_BYTES_PER_ITEM = 300_000;

/** The attributes of one SEEN item. */
export interface ListedPart {
  readonly ids: string[];
  readonly prints: string[];
  /** SCIM id to queuedMark. */
  readonly queued: Record<string, string>;
}

/** A page's listing in parts of at most LISTED_PER_ITEM accounts and about LISTED_BYTES_PER_ITEM. */
export function listedParts(page: PageRecord): ListedPart[] {
  const parts: ListedPart[] = [];
  let part: ListedPart = { ids: [], prints: [], queued: {} };
  let bytes = 0;
  for (const [id, print] of page.listed) {
    const remediation = page.queued?.get(id);
    const mark = remediation && queuedMark(remediation);
    // UTF-8 bytes, and a few more for each list element and map entry.
    const size =
      Buffer.byteLength(id) + print.length + 4 + (mark ? Buffer.byteLength(id) + mark.length + 4 : 0);
    if (part.ids.length >= LISTED_PER_ITEM || (part.ids.length > 0 && bytes + size > LISTED_BYTES_PER_ITEM)) {
      parts.push(part);
      part = { ids: [], prints: [], queued: {} };
      bytes = 0;
    }
    part.ids.push(id);
    part.prints.push(print);
    if (mark) part.queued[id] = mark;
    bytes += size;
  }
  if (part.ids.length > 0) parts.push(part);
  return parts;
}

/** One SEEN item read back. Items written before remediations were kept have no `queued`. */
export function pageListing(item: Record<string, unknown>): PageListing {
  const ids = item.ids as string[];
  const prints = item.prints as string[];
  const queued = new Map<string, QueuedRemediation>();
  for (const [id, mark] of Object.entries((item.queued ?? {}) as Record<string, string>)) {
    const remediation = parseQueuedMark(mark);
    if (remediation) queued.set(id, remediation);
  }
  return { listed: new Map(ids.map((id, i) => [id, prints[i] ?? ''])), queued };
}
