// The ingest handler's answers to Okta's one-time verification GET, as HTTP: 200 with the
// challenge, 400 for a challenge it will not echo, 401 for a wrong secret, 405 for other kinds.
import { Logger } from '@aws-lambda-powertools/logger';
import type { APIGatewayProxyEvent } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../../lambdas/core/model/config.ts';
import { createIngestHandler } from '../../../lambdas/handlers/ingest.ts';
import { InMemoryAuditLog, InMemorySecretSource, InMemoryWorkflowStarter } from '../../support/fakes.ts';

const SECRET = 'okta-hook-secret-2c9e';
const config = parseConfig({
  stackName: 'scimitar',
  sources: [
    { id: 'okta', kind: 'okta-event-hook' },
    { id: 'generic', kind: 'generic' },
  ],
  targets: [
    {
      id: 'wiki',
      kind: 'scim',
      displayName: 'Wiki',
      owner: 'it@example.com',
      baseUrl: 'https://wiki.example.com/scim/v2',
      auth: { type: 'bearer' },
    },
  ],
});
const handler = createIngestHandler({
  sources: config.sources,
  secrets: new InMemorySecretSource({ 'scimitar/sources/okta': SECRET, 'scimitar/sources/generic': 'k' }),
  auditLog: new InMemoryAuditLog(),
  workflows: new InMemoryWorkflowStarter(),
  logger: new Logger({ logLevel: 'SILENT' }),
});

const get = (source: string, headers: Record<string, string>) =>
  handler({
    httpMethod: 'GET',
    path: `/events/${source}`,
    pathParameters: { source },
    headers,
    body: null,
    isBase64Encoded: false,
  } as unknown as APIGatewayProxyEvent);

describe('ingest handler: Okta event hook verification (GET)', () => {
  it('answers 200 {"verification": <challenge>}, with or without the auth header', async () => {
    for (const headers of [{}, { Authorization: SECRET }] as Record<string, string>[]) {
      const answer = await get('okta', { ...headers, 'X-Okta-Verification-Challenge': 'abc-123_XYZ' });
      expect(answer.statusCode).toBe(200);
      expect(JSON.parse(answer.body)).toEqual({ verification: 'abc-123_XYZ' });
    }
  });

  it('refuses a challenge it will not echo (400), a wrong secret (401), other kinds (405) and unknown sources (404)', async () => {
    expect((await get('okta', { 'X-Okta-Verification-Challenge': '"><img src=x>' })).statusCode).toBe(400);
    expect((await get('okta', {})).statusCode).toBe(400);
    const wrong = await get('okta', { Authorization: 'guess', 'X-Okta-Verification-Challenge': 'abc' });
    expect(wrong.statusCode).toBe(401);
    expect(wrong.body).not.toContain(SECRET);
    expect((await get('generic', { 'X-Okta-Verification-Challenge': 'abc' })).statusCode).toBe(405);
    expect((await get('nope', { 'X-Okta-Verification-Challenge': 'abc' })).statusCode).toBe(404);
  });
});
