import { readFileSync } from 'node:fs';
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { SecretSource } from '../../../lambdas/core/credentials/secret-source.ts';
import { signBambooHR, signGeneric } from '../../../lambdas/core/ingest/signature.ts';
import type { SourceConfig } from '../../../lambdas/core/model/config.ts';
import type { LifecycleEventInput } from '../../../lambdas/core/model/event.ts';
import { createIngestHandler, type IngestHandler } from '../../../lambdas/handlers/ingest.ts';
import { InMemoryAuditLog, InMemorySecretSource, InMemoryWorkflowStarter } from '../../support/fakes.ts';
import { FixedClock } from '../../support/recorders.ts';

const GENERIC_KEY = 'sk-generic-4f7d9a0c2e';
const BAMBOO_KEY = 'sk-bamboohr-b81e66d1';
const NOW = new Date('2026-11-28T09:00:00Z');

const sources: SourceConfig[] = [
  {
    id: 'generic',
    kind: 'generic',
    toleranceSeconds: 300,
    secretName: 'scimitar/sources/generic',
    existingSecret: false,
  },
  {
    id: 'bamboohr',
    kind: 'bamboohr',
    toleranceSeconds: 300,
    secretName: 'scimitar/sources/bamboohr',
    existingSecret: false,
  },
];
const termination: LifecycleEventInput = {
  eventId: 'evt-42',
  source: 'generic',
  occurredAt: '2026-11-28T08:59:00Z',
  kind: 'termination',
  terminationType: 'voluntary',
  person: { employeeId: 'E42', userName: 'trent@example.com' },
};
const fixture = (name: string) =>
  readFileSync(new URL(`../../fixtures/bamboohr/${name}.json`, import.meta.url), 'utf8');

function request(
  source: string | null,
  body: string | null,
  headers: Record<string, string> = {},
  isBase64Encoded = false,
): APIGatewayProxyEvent {
  return {
    resource: '/events/{source}',
    path: `/events/${source}`,
    httpMethod: 'POST',
    headers,
    multiValueHeaders: {},
    queryStringParameters: null,
    multiValueQueryStringParameters: null,
    pathParameters: source === null ? null : { source },
    stageVariables: null,
    requestContext: {} as APIGatewayProxyEvent['requestContext'],
    body,
    isBase64Encoded,
  };
}

const signedGeneric = (body: string, key = GENERIC_KEY, at = NOW) =>
  request('generic', body, { 'X-Scimitar-Signature': signGeneric(body, key, at) });

let audit: InMemoryAuditLog;
let workflows: InMemoryWorkflowStarter;
let secrets: InMemorySecretSource;
let clock: FixedClock;
let handler: IngestHandler;
let logLines: string[];

beforeEach(() => {
  audit = new InMemoryAuditLog();
  workflows = new InMemoryWorkflowStarter();
  secrets = new InMemorySecretSource({
    'scimitar/sources/generic': GENERIC_KEY,
    'scimitar/sources/bamboohr': BAMBOO_KEY,
  });
  clock = new FixedClock(NOW);
  logLines = [];
  // The real Powertools logger, its output captured: what it writes is what CloudWatch would hold.
  const capture = (chunk: string | Uint8Array) => {
    logLines.push(String(chunk));
    return true;
  };
  vi.spyOn(process.stdout, 'write').mockImplementation(capture);
  vi.spyOn(process.stderr, 'write').mockImplementation(capture);
  const logger = new Logger({ serviceName: 'scimitar-ingest', logLevel: 'DEBUG' });
  handler = createIngestHandler({ sources, secrets, auditLog: audit, workflows, logger, clock });
});

afterEach(() => {
  vi.restoreAllMocks();
});

const json = (result: APIGatewayProxyResult) => JSON.parse(result.body) as Record<string, unknown>;

describe('ingest handler: accepted deliveries', () => {
  it('answers 202 with the event and its execution, at the top level for a single event', async () => {
    const result = await handler(signedGeneric(JSON.stringify(termination)));
    expect(result.statusCode).toBe(202);
    expect(result.headers).toMatchObject({ 'content-type': 'application/json' });
    const body = json(result);
    const executionArn = workflows.executions[0]?.executionArn;
    expect(body).toEqual({
      eventIds: ['evt-42'],
      executions: [{ eventId: 'evt-42', executionArn, duplicate: false }],
      eventId: 'evt-42',
      executionArn,
    });
    expect(audit.entries.map((e) => e.step)).toEqual(['RECEIVED']);
  });

  it('answers 202 for a leaver with one unusable match field, naming it, and records it with RECEIVED', async () => {
    const event = { ...termination, person: { ...termination.person, emails: ['trent at example'] } };
    const result = await handler(signedGeneric(JSON.stringify(event)));
    expect(result.statusCode).toBe(202);
    const [execution] = json(result).executions as Array<Record<string, unknown>>;
    expect(execution?.unusableMatchFields).toEqual([
      { attribute: 'email', field: 'person.emails[0]', problem: expect.stringContaining('e-mail address') },
    ]);
    expect(workflows.executions).toHaveLength(1);
    expect(audit.entries[0]?.detail?.unusableMatchFields).toEqual(execution?.unusableMatchFields);
  });

  it('answers 202 with the existing execution for a repeated delivery, starting nothing new', async () => {
    const delivery = signedGeneric(JSON.stringify(termination));
    await handler(delivery);
    clock.advance(20_000);
    const again = await handler(delivery);
    expect(again.statusCode).toBe(202);
    expect(json(again).executions).toEqual([
      { eventId: 'evt-42', executionArn: workflows.executions[0]?.executionArn, duplicate: true },
    ]);
    expect(workflows.executions).toHaveLength(1);
    expect(audit.entries).toHaveLength(1);
  });

  it('verifies a base64-encoded body on its decoded bytes (BambooHR, several leavers)', async () => {
    const body = fixture('several');
    const result = await handler(
      request('bamboohr', Buffer.from(body).toString('base64'), signBambooHR(body, BAMBOO_KEY, NOW), true),
    );
    expect(result.statusCode).toBe(202);
    const accepted = json(result);
    expect(accepted.eventIds).toHaveLength(2);
    expect(accepted.eventId).toBeUndefined();
    expect(accepted.ignored).toHaveLength(2);
  });

  it('finds the signature header in any case', async () => {
    const body = JSON.stringify(termination);
    const lower = request('generic', body, { 'x-scimitar-signature': signGeneric(body, GENERIC_KEY, NOW) });
    expect((await handler(lower)).statusCode).toBe(202);
  });

  it('answers 202 with nothing started when no record is a termination', async () => {
    const body = fixture('not-terminated');
    const result = await handler(request('bamboohr', body, signBambooHR(body, BAMBOO_KEY, NOW)));
    expect(result.statusCode).toBe(202);
    expect(json(result)).toMatchObject({ eventIds: [], executions: [] });
    expect(workflows.startCalls).toBe(0);
  });
});

describe('ingest handler: refusals', () => {
  it('refuses a tampered body with 401 and no execution', async () => {
    const body = JSON.stringify(termination);
    const tampered = request('generic', body.replace('E42', 'E43'), {
      'X-Scimitar-Signature': signGeneric(body, GENERIC_KEY, NOW),
    });
    const result = await handler(tampered);
    expect(result.statusCode).toBe(401);
    expect(json(result)).toEqual({ error: 'invalid_signature', message: expect.stringContaining('match') });
    expect(workflows.startCalls).toBe(0);
    expect(audit.entries).toEqual([]);
  });

  it('logs each refusal with its code, reason and text, and nothing from the body', async () => {
    const body = JSON.stringify(termination);
    await handler(signedGeneric(body, 'wrong-key'));
    const lines = logLines.map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(lines).toEqual([
      expect.objectContaining({
        level: 'WARN',
        message: 'delivery refused',
        source: 'generic',
        status: 401,
        error: 'invalid_signature',
        reason: 'mismatch',
        detail: expect.stringContaining('matches'),
      }),
    ]);
    expect(logLines.join('\n')).not.toContain('trent@example.com');
  });

  it('refuses a missing, stale or future signature with 401', async () => {
    const body = JSON.stringify(termination);
    expect((await handler(request('generic', body))).statusCode).toBe(401);
    const stale = signedGeneric(body, GENERIC_KEY, new Date(NOW.getTime() - 301_000));
    expect(json(await handler(stale)).message).toContain('replays');
    const future = signedGeneric(body, GENERIC_KEY, new Date(NOW.getTime() + 301_000));
    expect((await handler(future)).statusCode).toBe(401);
  });

  it('refuses an unknown or absent source with 404', async () => {
    const result = await handler(request('workday', '{}'));
    expect(result.statusCode).toBe(404);
    expect(json(result)).toEqual({ error: 'unknown_source', message: 'no source "workday" is configured' });
    expect((await handler(request(null, '{}'))).statusCode).toBe(404);
  });

  it('refuses an oversized body with 413', async () => {
    const body = JSON.stringify({ ...termination, raw: 'x'.repeat(300 * 1024) });
    const result = await handler(signedGeneric(body));
    expect(result.statusCode).toBe(413);
    expect(json(result).error).toBe('payload_too_large');
  });

  it('refuses a signed body that is not JSON, empty, too deep or carries __proto__ with 400', async () => {
    for (const body of [
      'not json at all',
      '',
      `${'['.repeat(5000)}${']'.repeat(5000)}`,
      JSON.stringify({ ...termination, raw: JSON.parse('{"__proto__":{"admin":true}}') }),
    ]) {
      const result = await handler(signedGeneric(body));
      expect(result.statusCode, body.slice(0, 20)).toBe(400);
      expect(json(result).error).toBe('malformed_payload');
    }
    expect(({} as Record<string, unknown>).admin).toBeUndefined();
  });

  it('refuses a request with no body at all with 400', async () => {
    const result = await handler(
      request('generic', null, { 'X-Scimitar-Signature': signGeneric('', GENERIC_KEY, NOW) }),
    );
    expect(result.statusCode).toBe(400);
  });

  it('refuses a BambooHR Form Post body with 400, saying to switch the webhook to JSON', async () => {
    const body =
      'employees[123][changedFields][0]=Employment+Status&employees[123][Employment+Status]=Terminated';
    const result = await handler(request('bamboohr', body, signBambooHR(body, BAMBOO_KEY, NOW)));
    expect(result.statusCode).toBe(400);
    expect(json(result).message).toContain('format to JSON (not Form Post)');
  });

  it('refuses an invalid event with 422 and the problems list', async () => {
    const body = JSON.stringify({ ...termination, occurredAt: 'last tuesday', extra: 1 });
    const result = await handler(signedGeneric(body));
    expect(result.statusCode).toBe(422);
    const refused = json(result);
    expect(refused.error).toBe('invalid_event');
    expect(refused.problems).toEqual(
      expect.arrayContaining([
        expect.stringContaining('field "occurredAt"'),
        expect.stringContaining('extra'),
      ]),
    );
  });

  it('refuses with 422 naming the field a character SQS would refuse, sent raw or as a JSON escape', async () => {
    for (const displayName of ['Ada \uFFFF', 'Ada \uFFFE', 'Ada \uD800']) {
      const event = { ...termination, person: { ...termination.person, displayName } };
      // JSON.stringify writes an unpaired surrogate as the escape \ud800: both forms must be refused.
      const result = await handler(signedGeneric(JSON.stringify(event)));
      expect(result.statusCode, displayName).toBe(422);
      expect((json(result).problems as string[]).join('\n')).toContain('field "person.displayName"');
    }
    expect(workflows.executions).toHaveLength(0);
    expect(audit.entries).toHaveLength(0);
  });

  it('refuses JSON that is an array or a number with 422', async () => {
    for (const body of ['[]', '42', '"termination"', 'null']) {
      expect((await handler(signedGeneric(body))).statusCode).toBe(422);
    }
  });

  it('refuses an event naming another source with 422', async () => {
    const result = await handler(signedGeneric(JSON.stringify({ ...termination, source: 'bamboohr' })));
    expect(result.statusCode).toBe(422);
    expect(json(result).error).toBe('source_mismatch');
  });

  it('answers 422 for the rejected records of a delivery, after starting its valid leavers', async () => {
    const body = fixture('missing-fields');
    const result = await handler(request('bamboohr', body, signBambooHR(body, BAMBOO_KEY, NOW)));
    expect(result.statusCode).toBe(422);
    const refused = json(result);
    expect(refused.error).toBe('invalid_event');
    expect(refused.problems).toEqual([
      expect.stringMatching(/^employees\[1\] \(id 301\): .*Employment Status/),
      expect.stringMatching(/^employees\[2\]: field "id"/),
    ]);
    expect(refused.eventIds).toHaveLength(1);
    expect(workflows.executions).toHaveLength(1);
  });
});

describe('ingest handler: our own faults', () => {
  it('answers 500 with a generic message when an execution cannot be started, and logs the error', async () => {
    workflows.failNext(new Error('ThrottlingException: Rate exceeded'));
    const result = await handler(signedGeneric(JSON.stringify(termination)));
    expect(result.statusCode).toBe(500);
    expect(json(result)).toEqual({
      error: 'internal_error',
      message: 'scimitar could not record this delivery; it is safe to send it again',
    });
    expect(result.body).not.toContain('Throttling');
    expect(result.body).not.toMatch(/\bat .*\.ts:\d+/);
    const logged = logLines.map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(logged.find((l) => l.level === 'ERROR')?.message).toBe('delivery failed');
    expect(logLines.join('\n')).toContain('ThrottlingException');
  });

  it('answers 500 when the signing key cannot be read', async () => {
    class BrokenSecrets extends SecretSource {
      async read(): Promise<string> {
        throw new Error('AccessDeniedException: not authorized to GetSecretValue');
      }
    }
    const broken = createIngestHandler({
      sources,
      secrets: new BrokenSecrets(),
      auditLog: audit,
      workflows,
      logger: new Logger({ serviceName: 'scimitar-ingest' }),
      clock,
    });
    const result = await broken(signedGeneric(JSON.stringify(termination)));
    expect(result.statusCode).toBe(500);
    expect(result.body).not.toContain('AccessDenied');
  });
});

describe('ingest handler: secrets stay secret', () => {
  it('never puts a signing key in a response or a log line, whatever is sent', async () => {
    const body = JSON.stringify(termination);
    const bambooBody = fixture('terminated');
    const results = [
      await handler(signedGeneric(body)),
      await handler(signedGeneric(body, 'wrong-key')),
      // A sender who pastes the key itself into the signature header.
      await handler(request('generic', body, { 'X-Scimitar-Signature': `t=1,v1=${GENERIC_KEY}` })),
      await handler(request('generic', body, { 'X-Scimitar-Signature': GENERIC_KEY })),
      await handler(
        request('bamboohr', bambooBody, { 'X-BambooHR-Signature': BAMBOO_KEY, 'X-BambooHR-Timestamp': '1' }),
      ),
      await handler(request('bamboohr', bambooBody, signBambooHR(bambooBody, BAMBOO_KEY, NOW))),
      await handler(signedGeneric('not json')),
      await handler(signedGeneric(JSON.stringify({ ...termination, kind: 'fired' }))),
    ];
    expect(results.map((r) => r.statusCode)).toEqual([202, 401, 401, 401, 401, 202, 400, 422]);
    expect(logLines.length).toBeGreaterThanOrEqual(results.length);
    for (const text of [...results.map((r) => r.body), ...logLines]) {
      expect(text).not.toContain(GENERIC_KEY);
      expect(text).not.toContain(BAMBOO_KEY);
    }
  });
});

describe('ingest handler: metrics per outcome', () => {
  // The metric lines a real Powertools Metrics prints (EMF), read back from the captured output.
  function emitted(name: string): { value: unknown; dimensions: Record<string, unknown> }[] {
    return logLines
      .flatMap((chunk) => chunk.split('\n'))
      .filter((line) => line.includes('"_aws"'))
      .map((line) => JSON.parse(line) as Record<string, unknown>)
      .filter((record) => name in record)
      .map((record) => {
        const aws = record._aws as { CloudWatchMetrics: { Namespace: string; Dimensions: string[][] }[] };
        const keys = aws.CloudWatchMetrics.flatMap((m) => m.Dimensions.flat());
        expect(aws.CloudWatchMetrics.map((m) => m.Namespace)).toEqual(['Scimitar']);
        return { value: record[name], dimensions: Object.fromEntries(keys.map((k) => [k, record[k]])) };
      });
  }

  function withMetrics(): IngestHandler {
    return createIngestHandler({
      sources,
      secrets,
      auditLog: audit,
      workflows,
      logger: new Logger({ serviceName: 'scimitar-ingest' }),
      clock,
      metrics: new Metrics({ namespace: 'Scimitar', serviceName: 'scimitar-ingest' }),
    });
  }

  it('counts each refusal under its cause: signature, schema, unknown-source, payload', async () => {
    const ingest = withMetrics();
    const body = JSON.stringify(termination);
    const answers = [
      await ingest(signedGeneric(body, 'placeholder-key-from-deploy')),
      await ingest(signedGeneric(JSON.stringify({ ...termination, kind: 'fired' }))),
      await ingest(signedGeneric(JSON.stringify({ ...termination, source: 'bamboohr' }))),
      await ingest(request('wp-admin', body)),
      await ingest(signedGeneric('not json')),
      await ingest(signedGeneric(JSON.stringify({ ...termination, raw: 'x'.repeat(300 * 1024) }))),
    ];
    expect(answers.map((a) => a.statusCode)).toEqual([401, 422, 422, 404, 400, 413]);
    expect(emitted('DeliveryRefused')).toEqual(
      ['signature', 'schema', 'schema', 'unknown-source', 'payload', 'payload'].map((cause) => ({
        value: 1,
        dimensions: { service: 'scimitar-ingest', cause },
      })),
    );
    expect(emitted('DeliveryAccepted')).toEqual([]);
  });

  it('counts an accepted delivery, a duplicate and one with nothing to start alike: the HRIS is connected', async () => {
    const ingest = withMetrics();
    const delivery = signedGeneric(JSON.stringify(termination));
    await ingest(delivery);
    await ingest(delivery);
    const quiet = fixture('not-terminated');
    await ingest(request('bamboohr', quiet, signBambooHR(quiet, BAMBOO_KEY, NOW)));
    expect(emitted('DeliveryAccepted')).toEqual(
      Array.from({ length: 3 }, () => ({ value: 1, dimensions: { service: 'scimitar-ingest' } })),
    );
    expect(emitted('DeliveryRefused')).toEqual([]);
  });

  it('counts a partly rejected delivery both as refused (schema) and as accepted', async () => {
    const ingest = withMetrics();
    const body = fixture('missing-fields');
    const result = await ingest(request('bamboohr', body, signBambooHR(body, BAMBOO_KEY, NOW)));
    expect(result.statusCode).toBe(422);
    expect(workflows.startCalls).toBeGreaterThan(0);
    expect(emitted('DeliveryRefused')).toEqual([
      { value: 1, dimensions: { service: 'scimitar-ingest', cause: 'schema' } },
    ]);
    expect(emitted('DeliveryAccepted')).toHaveLength(1);
  });

  it('refuses to turn what a sender chose into a dimension: an unknown source is counted by cause only', async () => {
    const ingest = withMetrics();
    await ingest(request(`evil-${'x'.repeat(300)}`, '{}'));
    const [record] = emitted('DeliveryRefused');
    expect(record?.dimensions).toEqual({ service: 'scimitar-ingest', cause: 'unknown-source' });
    expect(logLines.filter((l) => l.includes('"_aws"')).join('')).not.toContain('evil-');
  });

  it('publishes nothing for our own faults: the 5XX alarm covers them', async () => {
    const ingest = withMetrics();
    workflows.failNext(new Error('ThrottlingException: Rate exceeded'));
    const result = await ingest(signedGeneric(JSON.stringify(termination)));
    expect(result.statusCode).toBe(500);
    expect(emitted('DeliveryRefused')).toEqual([]);
    expect(emitted('DeliveryAccepted')).toEqual([]);
  });
});
