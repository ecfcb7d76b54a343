// ArchiveStore on S3: a conditional PutObject (If-None-Match: *) that never replaces an object,
// with a SHA-256 checksum S3 verifies on receipt and keeps with the object. The bucket's Object
// Lock default retention (lib/audit-archive.ts) locks each object; no per-object lock call is made,
// so the writer needs s3:PutObject and nothing more.
import { PutObjectCommand, S3Client, S3ServiceException } from '@aws-sdk/client-s3';
import { ArchiveStore } from '../../core/archive/ports.ts';

export interface S3ArchiveStoreProps {
  readonly bucketName: string;
  /** @default - a client for the function's region */
  readonly client?: S3Client;
  /** @default 'application/json' */
  readonly contentType?: string;
}

export class S3ArchiveStore extends ArchiveStore {
  private readonly bucketName: string;
  private readonly client: S3Client;
  private readonly contentType: string;

  constructor(props: S3ArchiveStoreProps) {
    super();
    this.bucketName = props.bucketName;
    this.client = props.client ?? new S3Client({});
    this.contentType = props.contentType ?? 'application/json';
  }

  async putOnce(key: string, body: string | Uint8Array): Promise<'stored' | 'exists'> {
    try {
      await this.client.send(
        new PutObjectCommand({
          Bucket: this.bucketName,
          Key: key,
          Body: body,
          ContentType: this.contentType,
          ChecksumAlgorithm: 'SHA256',
          IfNoneMatch: '*',
        }),
      );
      return 'stored';
    } catch (err) {
      // 412: the object exists (a retried record). 409 (a concurrent put of the same key) and
      // anything else propagate: the record fails and is retried.
      if (err instanceof S3ServiceException && err.$metadata.httpStatusCode === 412) return 'exists';
      throw err;
    }
  }
}
