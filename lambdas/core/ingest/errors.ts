// Why ingest refuses a delivery, as types: the handler maps each class to an HTTP status with
// `instanceof`. Messages are safe to return to the sender: they never hold a key or an expected signature.
import { ScimitarError } from '../model/errors.ts';

/** Base of every refusal the ingest path raises on purpose. */
export class IngestError extends ScimitarError {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'IngestError';
  }
}

export const signatureFailureReasons = ['missing', 'malformed', 'mismatch', 'stale', 'future'] as const;
export type SignatureFailureReason = (typeof signatureFailureReasons)[number];

/** The delivery is not provably from the source: no, unreadable, wrong or out-of-window signature. */
export class SignatureError extends IngestError {
  readonly reason: SignatureFailureReason;

  constructor(reason: SignatureFailureReason, message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'SignatureError';
    this.reason = reason;
  }
}

/** The path names a source that the config does not list. */
export class UnknownSourceError extends IngestError {
  readonly sourceId: string;

  constructor(sourceId: string) {
    super(`no source "${sourceId.slice(0, 64)}" is configured`);
    this.name = 'UnknownSourceError';
    this.sourceId = sourceId;
  }
}

/** The body, or a workflow input built from it, is larger than scimitar accepts. */
export class PayloadTooLargeError extends IngestError {
  readonly limitBytes: number;

  constructor(message: string, limitBytes: number) {
    super(message);
    this.name = 'PayloadTooLargeError';
    this.limitBytes = limitBytes;
  }
}

/** The body cannot be read as a JSON document scimitar can safely carry (not JSON, too deep, hostile keys). */
export class MalformedPayloadError extends IngestError {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'MalformedPayloadError';
  }
}

/** A signed event names another source than the one whose key verified it. */
export class SourceMismatchError extends IngestError {
  constructor(pathSource: string, eventSource: string) {
    super(
      `the event names source "${eventSource.slice(0, 64)}" but was delivered to and signed for source "${pathSource}"`,
    );
    this.name = 'SourceMismatchError';
  }
}

/** A GET to a source that has no verification handshake (only Okta event hooks have one). */
export class VerificationNotOfferedError extends IngestError {
  constructor(sourceId: string, kind: string) {
    super(
      `source "${sourceId}" (${kind}) takes POST deliveries only; the GET verification is Okta event hooks' (kind okta-event-hook)`,
    );
    this.name = 'VerificationNotOfferedError';
  }
}
