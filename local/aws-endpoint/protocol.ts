// The wire formats of the AWS APIs the local runtime answers in process: JSON 1.0 (CloudWatch,
// Step Functions), REST-JSON (Lambda) and the Query protocol's XML (CloudFormation, STS), each
// with its error shape, so the real SDK clients parse the answers as they parse AWS's.
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';

/** An AWS API's refusal, as the service would answer it (its error code, an HTTP status). */
export class AwsApiError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly status = 400,
  ) {
    super(message);
    this.name = 'AwsApiError';
  }
}

/** The caller as its SigV4 `authorization` header names it. */
export interface SignedBy {
  readonly accessKeyId: string;
  readonly region: string;
  readonly service: string;
}

const CREDENTIAL = /^AWS4-HMAC-SHA256\s+Credential=([^/\s]+)\/\d{8}\/([^/\s]+)\/([^/\s]+)\/aws4_request/;

/** Who signed the request, or undefined when it is no SigV4 request (a webhook, the /_local API). */
export function signedBy(req: Pick<IncomingMessage, 'headers'>): SignedBy | undefined {
  const match = String(req.headers.authorization ?? '').match(CREDENTIAL);
  if (!match) return undefined;
  return { accessKeyId: match[1] ?? '', region: match[2] ?? '', service: match[3] ?? '' };
}

const requestId = () => randomUUID();

function send(res: ServerResponse, status: number, headers: Record<string, string>, body: string): void {
  const bytes = Buffer.from(body, 'utf8');
  res.writeHead(status, {
    ...headers,
    'x-amzn-requestid': requestId(),
    'content-length': String(bytes.length),
  });
  res.end(bytes);
}

/** A JSON 1.0 / 1.1 answer. */
export function writeAwsJson(res: ServerResponse, value: unknown): void {
  send(res, 200, { 'content-type': 'application/x-amz-json-1.0' }, JSON.stringify(value ?? {}));
}

/** A JSON protocol error (also REST-JSON's): the code in `__type` and in `x-amzn-errortype`. */
export function writeAwsJsonError(res: ServerResponse, err: AwsApiError): void {
  send(
    res,
    err.status,
    { 'content-type': 'application/x-amz-json-1.0', 'x-amzn-errortype': err.code },
    JSON.stringify({ __type: err.code, message: err.message, Message: err.message }),
  );
}

const escapeXml = (text: string) =>
  text.replace(
    /[<>&'"]/g,
    (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', "'": '&apos;', '"': '&quot;' })[c] ?? c,
  );

/** A value as Query-protocol XML: objects as elements, arrays as `<member>` lists. */
export function toXml(value: unknown): string {
  if (value === undefined || value === null) return '';
  if (Array.isArray(value)) return value.map((v) => `<member>${toXml(v)}</member>`).join('');
  if (value instanceof Date) return value.toISOString();
  if (typeof value === 'object') {
    return Object.entries(value)
      .filter(([, v]) => v !== undefined)
      .map(([k, v]) => `<${k}>${toXml(v)}</${k}>`)
      .join('');
  }
  return escapeXml(String(value));
}

/** A Query protocol answer: `<{Action}Response><{Action}Result>…`. */
export function writeQueryResult(res: ServerResponse, action: string, xmlns: string, result: unknown): void {
  send(
    res,
    200,
    { 'content-type': 'text/xml' },
    `<?xml version="1.0" encoding="UTF-8"?><${action}Response xmlns="${xmlns}"><${action}Result>${toXml(result)}</${action}Result><ResponseMetadata><RequestId>${requestId()}</RequestId></ResponseMetadata></${action}Response>`,
  );
}

/** A Query protocol error. */
export function writeQueryError(res: ServerResponse, xmlns: string, err: AwsApiError): void {
  send(
    res,
    err.status,
    { 'content-type': 'text/xml' },
    `<?xml version="1.0" encoding="UTF-8"?><ErrorResponse xmlns="${xmlns}"><Error><Type>Sender</Type><Code>${escapeXml(err.code)}</Code><Message>${escapeXml(err.message)}</Message></Error><RequestId>${requestId()}</RequestId></ErrorResponse>`,
  );
}

/** A Query protocol request's parameters (form-encoded body). */
export function queryParameters(body: Buffer): URLSearchParams {
  return new URLSearchParams(body.toString('utf8'));
}

/** The operation a JSON protocol request names (`x-amz-target: Service.Operation`). */
export function jsonOperation(req: Pick<IncomingMessage, 'headers'>): string {
  return (
    String(req.headers['x-amz-target'] ?? '')
      .split('.')
      .at(-1) ?? ''
  );
}

/** A JSON protocol request's input; a body that is no JSON object is refused as AWS does. */
export function jsonInput(body: Buffer): Record<string, unknown> {
  if (body.length === 0) return {};
  try {
    const value = JSON.parse(body.toString('utf8')) as unknown;
    if (value && typeof value === 'object' && !Array.isArray(value)) return value as Record<string, unknown>;
  } catch {
    // answered below
  }
  throw new AwsApiError('SerializationException', 'the request body is not a JSON object');
}

/** Epoch seconds, as the JSON protocols carry timestamps. */
export const epochSeconds = (date: Date | string | number) => new Date(date).getTime() / 1000;
