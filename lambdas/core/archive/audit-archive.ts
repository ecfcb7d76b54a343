// The tamper-evident copy of the audit log: every item written to the audit table lands, as
// written, in a write-once store (S3 Object Lock, compliance mode) under keys that find it by
// event and by day. A change to an existing item (an overwrite or a deletion, which the
// append-only rules forbid) is archived too, with the item before and after, and reported.
import { createHash } from 'node:crypto';
import { ScimitarError } from '../model/errors.ts';
import type { ArchiveStore } from './ports.ts';

/** Version of the archived object's JSON shape. */
export const ARCHIVE_FORMAT = 'scimitar-audit-archive/1';

/** Longest key segment taken from an id as is; longer ids are named by their SHA-256 (S3 keys cap at 1,024 bytes). */
const MAX_SEGMENT_LENGTH = 300;

/** What the audit table's stream reports for one item. */
export type AuditItemChange = 'INSERT' | 'MODIFY' | 'REMOVE';

/** One stream record of the audit table, decoded: the item's keys and its images. */
export interface AuditStreamItem {
  readonly change: AuditItemChange;
  /** The stream's sequence number: unique and ordered within the item's shard. */
  readonly sequenceNumber: string;
  /** When DynamoDB wrote the change (the stream's ApproximateCreationDateTime). */
  readonly writtenAt: Date;
  readonly eventId: string;
  readonly entryId: string;
  /** The item after the change (INSERT, MODIFY). */
  readonly newImage?: Readonly<Record<string, unknown>>;
  /** The item before the change (MODIFY, REMOVE). */
  readonly oldImage?: Readonly<Record<string, unknown>>;
}

/** Where an item's archived copies live. */
export interface ArchiveKeys {
  /** `entries/by-event/<eventId>/<entryId>.json`: an event's entries under one prefix. */
  readonly byEvent: string;
  /** `entries/by-day/<yyyy-mm-dd>/<eventId>/<entryId>.json`: what the table took in on a day (UTC). */
  readonly byDay: string;
}

export class ArchiveError extends ScimitarError {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'ArchiveError';
  }
}

/**
 * A key segment from an id: URL-encoded (so `/`, `#` and spaces cannot change the key's shape),
 * or `~sha256-<hex>` when the encoded id is too long (`~` is encoded in ids, so the two never meet).
 */
export function keySegment(id: string): string {
  // `.` and `..` would read as path steps to tools that mirror keys to disk.
  const encoded = /^\.+$/.test(id)
    ? id.replaceAll('.', '%2E')
    : encodeURIComponent(id).replaceAll('~', '%7E');
  if (encoded.length <= MAX_SEGMENT_LENGTH) return encoded;
  return `~sha256-${createHash('sha256').update(id, 'utf8').digest('hex')}`;
}

/** The day (UTC) a write happened, as the by-day prefix spells it. */
export function archiveDay(writtenAt: Date): string {
  return writtenAt.toISOString().slice(0, 10);
}

/** Keys of an inserted entry. */
export function entryKeys(item: Pick<AuditStreamItem, 'eventId' | 'entryId' | 'writtenAt'>): ArchiveKeys {
  const name = `${keySegment(item.eventId)}/${keySegment(item.entryId)}.json`;
  return {
    byEvent: `entries/by-event/${name}`,
    byDay: `entries/by-day/${archiveDay(item.writtenAt)}/${name}`,
  };
}

/**
 * Key of a change to an existing entry: `changes/<yyyy-mm-dd>/<eventId>/<entryId>/<sequence>-<change>.json`.
 * The sequence number keeps every change, however many, apart.
 */
export function changeKey(item: AuditStreamItem): string {
  return `changes/${archiveDay(item.writtenAt)}/${keySegment(item.eventId)}/${keySegment(item.entryId)}/${item.sequenceNumber}-${item.change}.json`;
}

export type ArchiveOutcome =
  | { readonly kind: 'archived'; readonly keys: ArchiveKeys; readonly alreadyArchived: boolean }
  | { readonly kind: 'change'; readonly key: string; readonly alreadyArchived: boolean };

/**
 * Archives one stream item. An INSERT becomes two objects (by event, by day) holding the entry
 * exactly as the table holds it; a MODIFY or REMOVE becomes one object under `changes/` with the
 * item before and after, and the outcome says so, so the caller can alarm. A retried record finds
 * its objects there and writes nothing new.
 */
export async function archiveItem(item: AuditStreamItem, store: ArchiveStore): Promise<ArchiveOutcome> {
  const envelope = {
    format: ARCHIVE_FORMAT,
    change: item.change,
    sequenceNumber: item.sequenceNumber,
    writtenAt: item.writtenAt.toISOString(),
  };
  if (item.change === 'INSERT') {
    if (!item.newImage) {
      throw new ArchiveError(
        `stream record ${item.sequenceNumber} (INSERT) carries no new image; the audit table's stream must be NEW_AND_OLD_IMAGES`,
      );
    }
    const keys = entryKeys(item);
    const body = JSON.stringify({ ...envelope, entry: item.newImage });
    const results = await Promise.all([store.putOnce(keys.byEvent, body), store.putOnce(keys.byDay, body)]);
    return { kind: 'archived', keys, alreadyArchived: results.every((r) => r === 'exists') };
  }
  if (!item.oldImage) {
    throw new ArchiveError(
      `stream record ${item.sequenceNumber} (${item.change}) carries no old image; the audit table's stream must be NEW_AND_OLD_IMAGES`,
    );
  }
  const key = changeKey(item);
  const body = JSON.stringify({
    ...envelope,
    before: item.oldImage,
    ...(item.newImage && { after: item.newImage }),
  });
  return { kind: 'change', key, alreadyArchived: (await store.putOnce(key, body)) === 'exists' };
}
