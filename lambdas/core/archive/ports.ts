// Ports of the audit archive: the write-once object store archived items (and raw deliveries, for
// ingest) are kept in. The S3 adapter (Object Lock) lives in lambdas/aws/adapters, the local one in local/.

/** Write-once object store: never replaces an object that exists. */
export abstract class ArchiveStore {
  /** Stores the body under the key; 'exists' when an object of that key is already there (a retried record). */
  abstract putOnce(key: string, body: string | Uint8Array): Promise<'stored' | 'exists'>;
}
