// The ingest function's handler: an API Gateway (REST, proxy) request in, the ingest core called,
// its outcome mapped to HTTP. Bad input always gets a 4xx with a JSON reason; only our own faults
// get a 500, with a generic message (the error goes to the log, never to the sender).
import type { Logger } from '@aws-lambda-powertools/logger';
import { type Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import type { ArchiveStore } from '../core/archive/ports.ts';
import type { SecretSource } from '../core/credentials/secret-source.ts';
import {
  IngestError,
  MalformedPayloadError,
  PayloadTooLargeError,
  SignatureError,
  SourceMismatchError,
  UnknownSourceError,
  VerificationNotOfferedError,
} from '../core/ingest/errors.ts';
import { type IngestOutcome, Ingestor, type IngestorDeps } from '../core/ingest/ingest.ts';
import type { PayloadLimits } from '../core/ingest/payload.ts';
import type { WorkflowStarter } from '../core/ingest/ports.ts';
import type { SourceConfig } from '../core/model/config.ts';
import { ValidationError } from '../core/model/errors.ts';
import { INGEST_METRICS, METRIC_DIMENSIONS, type RefusalCause } from '../core/model/metrics.ts';
import { type AuditLog, type Clock, SystemClock } from '../core/model/ports.ts';

export interface IngestHandlerDeps {
  sources: readonly SourceConfig[];
  secrets: SecretSource;
  auditLog: AuditLog;
  workflows: WorkflowStarter;
  logger: Pick<Logger, 'info' | 'warn' | 'error'>;
  /** @default the system clock */
  clock?: Clock;
  /** @default 256 KiB body, 20 levels of nesting */
  limits?: Partial<PayloadLimits>;
  /** Where raw deliveries are kept. @default - not kept */
  rawDeliveries?: ArchiveStore;
  /** The termination lifecycle (schedule, reschedule, rescind). @default - executions start at once */
  lifecycle?: IngestorDeps['lifecycle'];
  /**
   * Where DeliveryAccepted and DeliveryRefused (per cause) go; the stack's alarms read them.
   * @default - no metrics (the local runtime)
   */
  metrics?: Metrics;
}

export type IngestHandler = (event: APIGatewayProxyEvent) => Promise<APIGatewayProxyResult>;

/** The body of every refusal. */
export interface IngestErrorBody {
  error: string;
  message: string;
  problems?: string[];
}

const HEADERS = { 'content-type': 'application/json', 'cache-control': 'no-store' };

function respond(statusCode: number, body: object): APIGatewayProxyResult {
  return { statusCode, headers: HEADERS, body: JSON.stringify(body) };
}

function refusal(statusCode: number, body: IngestErrorBody): APIGatewayProxyResult {
  return respond(statusCode, body);
}

/** The HTTP status, error code and metric cause of each refusal, by type. */
function refusalFor(
  err: IngestError | ValidationError,
  source: string,
): [number, IngestErrorBody, RefusalCause] {
  if (err instanceof UnknownSourceError)
    return [404, { error: 'unknown_source', message: err.message }, 'unknown-source'];
  if (err instanceof PayloadTooLargeError)
    return [413, { error: 'payload_too_large', message: err.message }, 'payload'];
  if (err instanceof SignatureError)
    return [401, { error: 'invalid_signature', message: err.message }, 'signature'];
  if (err instanceof SourceMismatchError)
    return [422, { error: 'source_mismatch', message: err.message }, 'schema'];
  if (err instanceof ValidationError) {
    return [
      422,
      { error: 'invalid_event', message: `the ${source} payload is not valid`, problems: [...err.problems] },
      'schema',
    ];
  }
  if (err instanceof VerificationNotOfferedError)
    return [405, { error: 'method_not_allowed', message: err.message }, 'payload'];
  if (err instanceof MalformedPayloadError)
    return [400, { error: 'malformed_payload', message: err.message }, 'payload'];
  return [400, { error: 'bad_request', message: err.message }, 'payload'];
}

function acceptedBody(outcome: IngestOutcome): Record<string, unknown> {
  const executions = outcome.started.map(
    ({ eventId, executionArn, duplicate, unusableMatchFields, lifecycle }) => ({
      eventId,
      ...(executionArn && { executionArn }),
      duplicate,
      // What happened to the person's pending termination: scheduled (for when), rescheduled, rescinded, ...
      ...(lifecycle && { lifecycle }),
      // Accepted, but targets matched by these fields are not matchable: the sender should fix them.
      ...(unusableMatchFields && { unusableMatchFields }),
    }),
  );
  return {
    eventIds: executions.map((e) => e.eventId),
    executions,
    ...(executions.length === 1 && {
      eventId: executions[0]?.eventId,
      executionArn: executions[0]?.executionArn,
    }),
    ...(outcome.ignored.length > 0 && { ignored: outcome.ignored }),
  };
}

function requestBody(event: APIGatewayProxyEvent): Buffer {
  if (event.body === null || event.body === undefined) return Buffer.alloc(0);
  return event.isBase64Encoded ? Buffer.from(event.body, 'base64') : Buffer.from(event.body, 'utf8');
}

export function createIngestHandler(deps: IngestHandlerDeps): IngestHandler {
  const { logger, metrics } = deps;
  // One EMF record per delivery, flushed at once: dimensions exactly {service, cause} for a
  // refusal and {service} for an acceptance, which is what the alarms name.
  const count = (name: string, cause?: RefusalCause) => {
    if (!metrics) return;
    const single = metrics.singleMetric();
    if (cause) single.addDimension(METRIC_DIMENSIONS.cause, cause);
    single.addMetric(name, MetricUnit.Count, 1);
  };
  const clock = deps.clock ?? new SystemClock();
  // Built once per container: the key re-read throttle lives as long as the container does.
  const ingestor = new Ingestor({
    sources: deps.sources,
    secrets: deps.secrets,
    auditLog: deps.auditLog,
    workflows: deps.workflows,
    ...(deps.limits && { limits: deps.limits }),
    ...(deps.rawDeliveries && { rawDeliveries: deps.rawDeliveries }),
    ...(deps.lifecycle && { lifecycle: deps.lifecycle }),
  });

  return async (event) => {
    const source = event.pathParameters?.source ?? '';
    try {
      if (event.httpMethod === 'GET') {
        const answer = await ingestor.answerVerification({
          sourceId: source,
          headers: event.headers,
          now: clock.now(),
        });
        logger.info('event hook verified', { source });
        return respond(200, answer);
      }
      const outcome = await ingestor.ingest({
        sourceId: source,
        body: requestBody(event),
        headers: event.headers,
        now: clock.now(),
      });
      const accepted = acceptedBody(outcome);
      const log = outcome.rejected.length > 0 ? logger.warn.bind(logger) : logger.info.bind(logger);
      log(outcome.rejected.length > 0 ? 'delivery partly rejected' : 'delivery accepted', {
        source,
        eventIds: accepted.eventIds,
        duplicates: outcome.started.filter((s) => s.duplicate).map((s) => s.eventId),
        ignored: outcome.ignored,
        rejected: outcome.rejected,
      });
      if (outcome.rejected.length > 0) {
        // The valid leavers are already started; answering 422 keeps the rest visible at the
        // sender, whose retry is safe (started events dedupe by execution name).
        const problems = outcome.rejected.flatMap((r) => r.problems.map((p) => `${r.reference}: ${p}`));
        const body: IngestErrorBody = {
          error: 'invalid_event',
          message: `${outcome.rejected.length} record(s) of the ${source} delivery were rejected; ${outcome.started.length} event(s) were accepted`,
          problems,
        };
        count(INGEST_METRICS.refused, 'schema');
        if (outcome.started.length > 0) count(INGEST_METRICS.accepted);
        return respond(422, { ...body, ...accepted });
      }
      count(INGEST_METRICS.accepted);
      return respond(202, accepted);
    } catch (err) {
      if (err instanceof IngestError || err instanceof ValidationError) {
        const [status, body, cause] = refusalFor(err, source);
        count(INGEST_METRICS.refused, cause);
        // `message` is reserved by the logger: the refusal's text goes under `detail`.
        logger.warn('delivery refused', {
          source: source.slice(0, 64),
          status,
          error: body.error,
          detail: body.message,
          ...(body.problems && { problems: body.problems }),
          ...(err instanceof SignatureError && { reason: err.reason }),
        });
        return refusal(status, body);
      }
      logger.error('delivery failed', { source: source.slice(0, 64), error: err as Error });
      return refusal(500, {
        error: 'internal_error',
        message: 'scimitar could not record this delivery; it is safe to send it again',
      });
    }
  };
}
