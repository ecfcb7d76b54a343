// A small HTTP adapter in front of the ingest handler: turns a request into the API Gateway REST
// proxy event Lambda would receive (raw body, headers, path parameters) and writes the answer back.
// Bodies beyond API Gateway's limit are refused here, as API Gateway would, without buffering them.
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';

/** API Gateway REST's hard payload limit. */
export const API_GATEWAY_MAX_BODY_BYTES = 10 * 1024 * 1024;

export type ProxyHandler = (event: APIGatewayProxyEvent) => Promise<APIGatewayProxyResult>;

export class BodyTooLargeError extends Error {
  constructor() {
    super('request body exceeds the API Gateway limit');
    this.name = 'BodyTooLargeError';
  }
}

export async function readBody(req: IncomingMessage, limit = API_GATEWAY_MAX_BODY_BYTES): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > limit) throw new BodyTooLargeError();
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

export function proxyEvent(
  req: IncomingMessage,
  body: Buffer,
  resource: string,
  pathParameters: Record<string, string>,
): APIGatewayProxyEvent {
  const url = new URL(req.url ?? '/', 'http://localhost');
  const headers: Record<string, string> = {};
  const multiValueHeaders: Record<string, string[]> = {};
  for (let i = 0; i < req.rawHeaders.length; i += 2) {
    const name = req.rawHeaders[i] ?? '';
    const value = req.rawHeaders[i + 1] ?? '';
    headers[name] = value;
    multiValueHeaders[name] = [...(multiValueHeaders[name] ?? []), value];
  }
  const query = Object.fromEntries(url.searchParams);
  const requestId = randomUUID();
  return {
    resource,
    path: url.pathname,
    httpMethod: req.method ?? 'GET',
    headers,
    multiValueHeaders,
    queryStringParameters: Object.keys(query).length ? query : null,
    multiValueQueryStringParameters: null,
    pathParameters,
    stageVariables: null,
    // As API Gateway does for text bodies; binary media types are not configured.
    body: body.length ? body.toString('utf8') : null,
    isBase64Encoded: false,
    requestContext: {
      accountId: '000000000000',
      apiId: 'local',
      authorizer: null,
      protocol: 'HTTP/1.1',
      httpMethod: req.method ?? 'GET',
      identity: {
        sourceIp: req.socket.remoteAddress ?? '127.0.0.1',
        userAgent: req.headers['user-agent'] ?? null,
      } as APIGatewayProxyEvent['requestContext']['identity'],
      path: url.pathname,
      stage: 'local',
      requestId,
      requestTimeEpoch: Date.now(),
      resourceId: 'local',
      resourcePath: resource,
    },
  };
}

export function writeResult(res: ServerResponse, result: APIGatewayProxyResult): void {
  const body = result.isBase64Encoded
    ? Buffer.from(result.body, 'base64')
    : Buffer.from(result.body ?? '', 'utf8');
  res.writeHead(result.statusCode, {
    ...(result.headers as Record<string, string> | undefined),
    'content-length': String(body.length),
  });
  res.end(body);
}

export function writeJson(res: ServerResponse, statusCode: number, value: unknown): void {
  writeResult(res, {
    statusCode,
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(value),
  });
}
