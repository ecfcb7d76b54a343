// A fake session hook receiver (docs/sessions.md#generic-hook), and the small loopback server the
// fake identity providers share: it checks scimitar's signature (the generic source's scheme,
// verified with the ingest's own verifier), refuses replays and stale deliveries, and records what
// it was asked to end.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { GENERIC_SIGNATURE_HEADER, verifyGenericSignature } from '../../lambdas/core/ingest/signature.ts';

/** The largest request body a fake reads; more is answered 413. */
const MAX_BODY_BYTES = 64 * 1024;

export interface FakeRequest {
  readonly method: string;
  /** Path and query, as received. */
  readonly url: URL;
  readonly headers: IncomingMessage['headers'];
  readonly body: string;
}

export interface FakeAnswer {
  readonly status: number;
  readonly json?: unknown;
  readonly headers?: Record<string, string>;
}

export interface FakeServer {
  readonly url: string;
  close(): Promise<void>;
}

/** Serves `route` on a loopback port. @default port 0: an ephemeral one */
export async function serveFake(
  route: (req: FakeRequest) => FakeAnswer | Promise<FakeAnswer>,
  port = 0,
): Promise<FakeServer> {
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let refused = false;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES && !refused) {
        refused = true;
        res.writeHead(413).end();
        req.destroy();
      } else chunks.push(chunk);
    });
    req.on('end', () => {
      if (refused) return;
      const request = {
        method: req.method ?? 'GET',
        url: new URL(req.url ?? '/', 'http://127.0.0.1'),
        headers: req.headers,
        body: Buffer.concat(chunks).toString('utf8'),
      };
      Promise.resolve(route(request)).then(
        (answer) => {
          const headers = {
            ...(answer.json !== undefined && { 'content-type': 'application/json' }),
            ...answer.headers,
          };
          res
            .writeHead(answer.status, headers)
            .end(answer.json === undefined ? undefined : JSON.stringify(answer.json));
        },
        () => res.writeHead(500).end(),
      );
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', resolve);
  });
  const bound = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${bound}`,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

/** Answers 429 to the next `count` requests with `headers` (the provider's documented rate-limit answer). */
export class Throttle {
  private left = 0;
  private headers: Record<string, string> = {};
  next(count: number, headers: Record<string, string>): void {
    this.left = count;
    this.headers = headers;
  }
  take(): Record<string, string> | undefined {
    if (this.left <= 0) return undefined;
    this.left -= 1;
    return this.headers;
  }
}

export interface FakeSessionHook extends FakeServer {
  /** Match values whose sessions the hook was asked to end, in order. */
  readonly revoked: string[];
  /** Deliveries refused, with the reason. */
  readonly refused: { status: number; reason: string }[];
  readonly throttle: Throttle;
}

export async function startFakeSessionHook(options: {
  key: string;
  path?: string;
}): Promise<FakeSessionHook> {
  const revoked: string[] = [];
  const refused: { status: number; reason: string }[] = [];
  const seen = new Set<string>();
  const throttle = new Throttle();
  const path = options.path ?? '/revoke-sessions';
  const refuse = (status: number, reason: string): FakeAnswer => {
    refused.push({ status, reason });
    return { status, json: { error: reason } };
  };
  const server = await serveFake((req) => {
    if (req.method !== 'POST' || req.url.pathname !== path) return { status: 404 };
    const limited = throttle.take();
    if (limited) return { status: 429, headers: limited };
    const signature = req.headers[GENERIC_SIGNATURE_HEADER.toLowerCase()];
    try {
      verifyGenericSignature(req.body, { [GENERIC_SIGNATURE_HEADER]: String(signature ?? '') }, options.key, {
        now: new Date(),
      });
    } catch (err) {
      return refuse(401, (err as Error).message);
    }
    // The same signed delivery twice is a replay (a retry signs again, with a new timestamp).
    if (seen.has(String(signature))) return refuse(409, 'replayed delivery');
    seen.add(String(signature));
    let body: { match?: { value?: unknown } };
    try {
      body = JSON.parse(req.body);
    } catch {
      return refuse(400, 'body is not JSON');
    }
    if (typeof body.match?.value !== 'string') return refuse(400, 'body has no match.value');
    revoked.push(body.match.value);
    return { status: 204 };
  });
  return { ...server, url: `${server.url}${path}`, revoked, refused, throttle };
}
