// Over 300 lines: the ingest sequence (verify, screen, record, start or schedule) reads best in one place.
// The ingest core: one signed webhook delivery in, one workflow execution per lifecycle event out.
// Order matters: refuse cheaply (unknown source, size), prove the sender (signature), read the
// payload, then per event write the RECEIVED evidence before starting its execution.
import { createHash } from 'node:crypto';
import { archiveDay, keySegment } from '../archive/audit-archive.ts';
import type { ArchiveStore } from '../archive/ports.ts';
import type { SecretSource } from '../credentials/secret-source.ts';
import { beyondHorizon, type LifecycleOutcome, type TerminationLifecycle } from '../lifecycle/lifecycle.ts';
import { onceAuditEntry } from '../model/audit.ts';
import { type SourceConfig, sourceSecretName } from '../model/config.ts';
import { ScimitarError } from '../model/errors.ts';
import { isLeaver, type LifecycleEvent, type UnusableMatchField } from '../model/event.ts';
import type { WorkflowInput } from '../model/messages.ts';
import type { AuditLog } from '../model/ports.ts';
import type { IgnoredRecord, ParsedDelivery, RejectedRecord } from './delivery.ts';
import {
  MalformedPayloadError,
  SignatureError,
  UnknownSourceError,
  VerificationNotOfferedError,
} from './errors.ts';
import { executionName } from './execution-name.ts';
import { decodeFormPayload, isFormEncoded } from './form-payload.ts';
import { mapSettled } from './map-settled.ts';
import { OKTA_VERIFICATION_HEADER, oktaVerificationAnswer } from './okta-event-hook.ts';
import { checkBodySize, decodeJsonPayload, defaultPayloadLimits, type PayloadLimits } from './payload.ts';
import type { WorkflowStarter } from './ports.ts';
import { type HeaderBag, headerValues, type VerifiedDelivery } from './signature.ts';
import { payloadParsers } from './sources.ts';
import { signatureVerifiers } from './verifiers.ts';

/** Least time between two forced re-reads of one source's key, so forged requests cannot hammer Secrets Manager. */
export const DEFAULT_KEY_REFRESH_INTERVAL_SECONDS = 60;
/** Events of one delivery processed at once (a BambooHR delivery may hold many leavers). */
const EVENT_CONCURRENCY = 8;

const NOT_JSON_HINTS: Readonly<Record<SourceConfig['kind'], string>> = {
  bamboohr: "set the BambooHR webhook's format to JSON (not Form Post)",
  generic: 'send the lifecycle event as a JSON object',
  hibob: 'HiBob webhooks v2 post JSON; check the webhook version',
  rippling: 'Rippling posts form-encoded or JSON bodies',
  personio: 'Personio webhooks post JSON',
  'okta-event-hook': 'Okta event hooks post JSON',
  'entra-lcw': "forward the Lifecycle Workflows callout's JSON body unchanged from the Logic App",
  workday: 'ask for the report with format=json',
};

export interface IngestorDeps {
  sources: readonly SourceConfig[];
  secrets: SecretSource;
  auditLog: AuditLog;
  workflows: WorkflowStarter;
  /** @default 256 KiB body, 20 levels of nesting */
  limits?: Partial<PayloadLimits>;
  /** @default 60 */
  keyRefreshIntervalSeconds?: number;
  /**
   * Where raw deliveries are kept (config `audit.rawPayloadRetentionDays` > 0), each under
   * {@link rawDeliveryKey}. @default - not kept: RECEIVED holds the delivery's SHA-256 only
   */
  rawDeliveries?: ArchiveStore;
  /**
   * The termination lifecycle: a termination is scheduled for its effective time (or started at
   * once), a later one reschedules it, a rescind, hire or rehire cancels it, and an effectiveAt
   * past the horizon is rejected.
   * @default - every termination's execution starts at once (its Wait state waits), other kinds are ignored
   */
  lifecycle?: { readonly apply: TerminationLifecycle; readonly horizonDays: number };
}

export interface Delivery {
  /** The source id from the request path. */
  sourceId: string;
  /** The body exactly as received: signatures cover these bytes. */
  body: Uint8Array | string;
  headers: HeaderBag;
  now: Date;
}

/** A payload read from a source's API (lambdas/core/pull): its source and when it was read. */
export interface PulledDelivery {
  sourceId: string;
  payload: unknown;
  now: Date;
}

export interface StartedEvent {
  eventId: string;
  personId: string;
  executionName: string;
  /** The execution started for it; absent when nothing started now (scheduled, cancelled, ...). */
  executionArn?: string;
  /** An execution of this name already existed: a repeated delivery, nothing new was started. */
  duplicate: boolean;
  /** What the lifecycle did with it (absent without a lifecycle: the execution started). */
  lifecycle?: LifecycleOutcome;
  /** Match fields set aside as unusable: targets matched by them are not matchable for this event. */
  unusableMatchFields?: UnusableMatchField[];
}

export interface IngestOutcome {
  source: string;
  started: StartedEvent[];
  ignored: IgnoredRecord[];
  rejected: RejectedRecord[];
}

/** Some events of a verified delivery could not be recorded or started (an AWS fault, not the sender's). */
export class EventStartError extends ScimitarError {
  readonly failedEventIds: readonly string[];

  constructor(failedEventIds: readonly string[], total: number, options?: ErrorOptions) {
    super(`${failedEventIds.length} of ${total} events could not be recorded or started`, options);
    this.name = 'EventStartError';
    this.failedEventIds = failedEventIds;
  }
}

export class Ingestor {
  private readonly sources: ReadonlyMap<string, SourceConfig>;
  private readonly limits: PayloadLimits;
  private readonly refreshIntervalMs: number;
  private readonly lastKeyRefresh = new Map<string, number>();

  constructor(private readonly deps: IngestorDeps) {
    this.sources = new Map(deps.sources.map((s) => [s.id, s]));
    this.limits = { ...defaultPayloadLimits, ...deps.limits };
    this.refreshIntervalMs = (deps.keyRefreshIntervalSeconds ?? DEFAULT_KEY_REFRESH_INTERVAL_SECONDS) * 1000;
  }

  async ingest(delivery: Delivery): Promise<IngestOutcome> {
    const source = this.sources.get(delivery.sourceId);
    if (!source) throw new UnknownSourceError(delivery.sourceId);
    const body = typeof delivery.body === 'string' ? Buffer.from(delivery.body, 'utf8') : delivery.body;
    checkBodySize(body, this.limits.maxBodyBytes);

    const { signedAt } = await this.verify(source, body, delivery);
    // Rippling's app webhooks are form-encoded; every other scheme is JSON.
    const payload =
      source.kind === 'rippling' && isFormEncoded(delivery.headers)
        ? decodeFormPayload(body)
        : decodeJsonPayload(body, this.limits, NOT_JSON_HINTS[source.kind]);
    const parsed = this.screen(
      payloadParsers[source.kind](payload, { source, receivedAt: delivery.now, signedAt }),
      delivery.now,
    );

    return this.accept(source, parsed, body, delivery.now, signedAt);
  }

  /**
   * A payload scimitar read from the source's API itself (a Workday poll): no signature to verify,
   * the API's authentication proved the sender. Parsed, screened and recorded as a delivery is;
   * RECEIVED says `signature: 'pulled'`.
   */
  async ingestPulled(pulled: PulledDelivery): Promise<IngestOutcome> {
    const source = this.sources.get(pulled.sourceId);
    if (!source) throw new UnknownSourceError(pulled.sourceId);
    const parsed = this.screen(
      payloadParsers[source.kind](pulled.payload, { source, receivedAt: pulled.now }),
      pulled.now,
    );
    return this.accept(source, parsed, Buffer.from(JSON.stringify(pulled.payload), 'utf8'), pulled.now);
  }

  private async accept(
    source: SourceConfig,
    parsed: ParsedDelivery,
    body: Uint8Array,
    now: Date,
    signedAt?: Date,
  ): Promise<IngestOutcome> {
    const delivery = { now };
    const receivedAt = delivery.now.toISOString();
    // One delivery listing the same change twice yields one event, not two racing RECEIVED writes.
    const unique = [...new Map(parsed.events.map((event) => [event.eventId, event])).values()];
    const deliverySha256 = createHash('sha256').update(body).digest('hex');
    // Kept before any RECEIVED names it; a failure here fails the delivery, which the sender retries.
    const rawKey =
      this.deps.rawDeliveries && unique.length > 0
        ? await this.keepRawDelivery(this.deps.rawDeliveries, source, body, deliverySha256, delivery.now)
        : undefined;

    const results = await mapSettled(unique, EVENT_CONCURRENCY, (event) =>
      this.record(source, event, {
        receivedAt,
        deliverySha256,
        rawDeliveryKey: rawKey,
        ...(signedAt && { signedAt }),
        now: delivery.now,
      }),
    );
    const failed = results.flatMap((r, i) => (r.status === 'rejected' ? [unique[i]?.eventId ?? '?'] : []));
    if (failed.length > 0) {
      const causes = results.flatMap((r) => (r.status === 'rejected' ? [r.reason] : []));
      throw new EventStartError(failed, unique.length, { cause: causes.length === 1 ? causes[0] : causes });
    }
    return {
      source: source.id,
      started: results.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : [])),
      ignored: parsed.ignored,
      rejected: parsed.rejected,
    };
  }

  /**
   * Okta's one-time verification of an event hook: a GET carrying X-Okta-Verification-Challenge,
   * answered with `{"verification": <challenge>}`. Only an okta-event-hook source answers; when the
   * request carries the source's auth header, it must hold the secret (Okta's own sample does not
   * check it, so its absence is not refused).
   */
  async answerVerification(request: {
    sourceId: string;
    headers: HeaderBag;
    now: Date;
  }): Promise<{ verification: string }> {
    const source = this.sources.get(request.sourceId);
    if (!source) throw new UnknownSourceError(request.sourceId);
    if (source.kind !== 'okta-event-hook') {
      throw new VerificationNotOfferedError(source.id, source.kind);
    }
    if (headerValues(request.headers, source.authHeader).length > 0) {
      await this.verify(source, new Uint8Array(), request);
    }
    const [challenge, ...more] = headerValues(request.headers, OKTA_VERIFICATION_HEADER);
    const answer = more.length === 0 ? oktaVerificationAnswer(challenge) : null;
    if (!answer) {
      throw new MalformedPayloadError(
        `the ${OKTA_VERIFICATION_HEADER} header must hold one printable token of at most 256 characters`,
      );
    }
    return answer;
  }

  /** Verifies with the cached key; on a mismatch re-reads the key once (it may have rotated), rate-limited. */
  private async verify(
    source: SourceConfig,
    body: Uint8Array,
    delivery: Pick<Delivery, 'headers' | 'now'>,
  ): Promise<VerifiedDelivery> {
    const verifier = signatureVerifiers[source.kind];
    const options = { now: delivery.now, toleranceSeconds: source.toleranceSeconds, source };
    const secretName = sourceSecretName(source);
    const key = await this.deps.secrets.read(secretName);
    try {
      return await verifier(body, delivery.headers, key, options);
    } catch (err) {
      if (
        !(err instanceof SignatureError) ||
        err.reason !== 'mismatch' ||
        !this.mayRefresh(source, delivery.now)
      ) {
        throw err;
      }
    }
    const fresh = await this.deps.secrets.read(secretName, { refresh: true });
    return await verifier(body, delivery.headers, fresh, options);
  }

  private async keepRawDelivery(
    store: ArchiveStore,
    source: SourceConfig,
    body: Uint8Array,
    sha256: string,
    now: Date,
  ): Promise<string> {
    const key = rawDeliveryKey(source.id, sha256, now);
    await store.putOnce(key, body);
    return key;
  }

  /** Without a lifecycle only terminations and changes are acted on; with one, dates past its horizon are rejected. */
  private screen(parsed: ParsedDelivery, now: Date): ParsedDelivery {
    const { lifecycle } = this.deps;
    const screened: ParsedDelivery = {
      events: [],
      ignored: [...parsed.ignored],
      rejected: [...parsed.rejected],
    };
    for (const event of parsed.events) {
      const tooLate = lifecycle && beyondHorizon(event, now, lifecycle.horizonDays);
      if (tooLate) screened.rejected.push({ reference: event.eventId, problems: [tooLate] });
      else if (lifecycle || isLeaver(event) || event.kind === 'change') screened.events.push(event);
      else {
        screened.ignored.push({
          reference: event.eventId,
          reason: `kind "${event.kind}" is recorded by the sender only: scimitar acts on terminations and changes`,
        });
      }
    }
    return screened;
  }

  private mayRefresh(source: SourceConfig, now: Date): boolean {
    const last = this.lastKeyRefresh.get(source.id);
    if (last !== undefined && now.getTime() - last < this.refreshIntervalMs) return false;
    this.lastKeyRefresh.set(source.id, now.getTime());
    return true;
  }

  /**
   * Writes RECEIVED, once per event and source, then starts the execution. Evidence comes first:
   * if the start fails, the sender's retry finds RECEIVED written and starts; a retry after a
   * successful start is a duplicate. The RECEIVED key is deterministic and the write conditional,
   * so identical deliveries arriving together write exactly one.
   */
  private async record(
    source: SourceConfig,
    event: LifecycleEvent,
    context: RecordContext,
  ): Promise<StartedEvent> {
    const name = executionName(source.id, event.eventId);
    await this.deps.auditLog.appendOnce(
      onceAuditEntry(
        {
          eventId: event.eventId,
          step: 'RECEIVED',
          personId: event.person.employeeId,
          actor: 'ingest',
          detail: receivedDetail(source, event, name, context),
        },
        source.id,
        context.now,
      ),
    );
    const input = workflowInput(event, context.receivedAt);
    const common = {
      eventId: event.eventId,
      personId: event.person.employeeId,
      executionName: name,
      ...(event.unusableMatchFields && { unusableMatchFields: event.unusableMatchFields }),
    };
    if (this.deps.lifecycle) {
      const outcome = await this.deps.lifecycle.apply.apply(event, name, input, context.now);
      return outcome.action === 'started'
        ? { ...common, executionArn: outcome.executionArn, duplicate: outcome.duplicate, lifecycle: outcome }
        : { ...common, duplicate: false, lifecycle: outcome };
    }
    const start = await this.deps.workflows.start(name, input);
    return { ...common, executionArn: start.executionArn, duplicate: start.alreadyStarted };
  }
}

interface RecordContext {
  receivedAt: string;
  deliverySha256: string;
  rawDeliveryKey: string | undefined;
  /** When the sender signed it; absent for a payload scimitar pulled from the source's API. */
  signedAt?: Date;
  now: Date;
}

/**
 * Where a kept raw delivery lives: `deliveries/<yyyy-mm-dd>/<source>/<sha256>`, named by its
 * content, so a redelivery of the same bytes on the same day finds the object already there.
 */
export function rawDeliveryKey(sourceId: string, sha256: string, receivedAt: Date): string {
  return `deliveries/${archiveDay(receivedAt)}/${keySegment(sourceId)}/${sha256}`;
}

/**
 * What RECEIVED keeps: the fields the pipeline uses (the parsed event without its raw payload),
 * where it came from, that its signature held, and the SHA-256 of the body as received, which ties
 * the entry to the sender's delivery log and to the kept raw delivery, if any. The raw HRIS
 * payload itself (salaries, addresses, whatever the HRIS sends) never enters the audit log.
 */
function receivedDetail(
  source: SourceConfig,
  event: LifecycleEvent,
  executionName: string,
  context: RecordContext,
): Record<string, unknown> {
  const { raw: _raw, ...parsed } = event;
  return {
    source: source.id,
    sourceKind: source.kind,
    executionName,
    effectiveAt: event.effectiveAt,
    ...(context.signedAt
      ? { signature: 'verified', signedAt: context.signedAt.toISOString() }
      : { signature: 'pulled' }),
    deliverySha256: context.deliverySha256,
    event: parsed,
    ...(event.unusableMatchFields && { unusableMatchFields: event.unusableMatchFields }),
    ...(context.rawDeliveryKey && { rawDeliveryKey: context.rawDeliveryKey }),
  };
}

/**
 * The execution's input: the normalised event and when it arrived. The raw HRIS payload is left
 * out, so the execution's input and history carry no more of the person's data than revocation
 * needs. The event schema bounds every field, so this stays far below the
 * 256 KB Step Functions accepts.
 */
function workflowInput(event: LifecycleEvent, receivedAt: string): WorkflowInput {
  const { raw: _raw, ...normalised } = event;
  return { event: normalised, receivedAt };
}
