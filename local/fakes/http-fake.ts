// What the fake HRIS API servers share: a node:http server on an ephemeral loopback port, HTTP Basic
// parsing, a bounded JSON body, scripted failures (throttle, error) for the next requests, and a
// count of what was asked. Each vendor's fake (bamboohr-api.ts, hibob-api.ts, workday.ts) adds
// only its documented endpoint, auth check and answers.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** An answer the fake gives instead of the real one, for the next request(s). */
export interface ScriptedAnswer {
  readonly status: number;
  readonly headers?: Readonly<Record<string, string>>;
  readonly body?: string;
}

export interface FakeServer {
  /** `http://127.0.0.1:<port>` */
  readonly origin: string;
  /** Requests answered so far (scripted ones included). */
  readonly requests: { method: string; path: string; authorized: boolean }[];
  /** The next requests get these answers, in order. */
  script(...answers: ScriptedAnswer[]): void;
  close(): Promise<void>;
}

export type FakeRoute = (
  req: IncomingMessage,
  url: URL,
  body: string,
) => ScriptedAnswer & { authorized?: boolean };

const MAX_BODY = 64 * 1024;

export async function startFakeServer(route: FakeRoute): Promise<FakeServer> {
  const scripted: ScriptedAnswer[] = [];
  const requests: FakeServer['requests'] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= MAX_BODY) chunks.push(chunk);
    });
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'http://127.0.0.1');
      if (size > MAX_BODY) return send(res, { status: 413, body: '{"error":"request body too large"}' });
      const next = scripted.shift();
      const answer = next ?? route(req, url, Buffer.concat(chunks).toString('utf8'));
      requests.push({
        method: req.method ?? '',
        path: url.pathname,
        authorized: 'authorized' in answer ? Boolean(answer.authorized) : true,
      });
      send(res, answer);
    });
  });
  await new Promise<void>((listening) => server.listen(0, '127.0.0.1', listening));
  const { port } = server.address() as AddressInfo;
  return {
    origin: `http://127.0.0.1:${port}`,
    requests,
    script: (...answers) => scripted.push(...answers),
    close: () =>
      new Promise<void>((closed) => {
        server.closeAllConnections();
        server.close(() => closed());
      }),
  };
}

function send(res: ServerResponse, answer: ScriptedAnswer): void {
  res.writeHead(answer.status, { 'content-type': 'application/json', ...answer.headers });
  res.end(answer.body ?? '');
}

/** The user and password of an HTTP Basic Authorization header; undefined when there is none. */
export function basicCredentials(req: IncomingMessage): { user: string; password: string } | undefined {
  const header = req.headers.authorization ?? '';
  const match = /^Basic ([A-Za-z0-9+/=]+)$/.exec(header);
  if (!match) return undefined;
  const decoded = Buffer.from(match[1] as string, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  return colon < 0 ? undefined : { user: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
}

export const json = (status: number, value: unknown, headers?: Record<string, string>): ScriptedAnswer => ({
  status,
  body: JSON.stringify(value),
  ...(headers && { headers }),
});
