// A fault-injecting HTTP proxy in front of a SCIM server on loopback: each test tells it how the next
// requests should fail (status, slowness, reset, garbage) or how the server misbehaves for good
// (ignores startIndex, caps count, ignores the filter). A forwarded answer keeps the upstream's
// headers (Retry-After, RateLimit-*, X-Rate-Limit-*), so a client sees the server's own signals.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export type Fault =
  /** Answer this status without forwarding (429/500/503/401...), optionally with Retry-After. */
  | { kind: 'status'; status: number; retryAfter?: string; body?: string; headers?: Record<string, string> }
  /** Forward, and add these headers to the answer, over the upstream's (rate-limit headers on a success). */
  | { kind: 'headers'; headers: Record<string, string> }
  /** Forward, but hold the answer back this long (longer than the client's timeout). */
  | { kind: 'slow'; delayMs: number }
  /** Destroy the socket without answering. */
  | { kind: 'reset' }
  /** Answer 200 with a body that is not JSON (or a given one). */
  | { kind: 'malformed'; status?: number; body?: string }
  /** Forward, then answer 400 noTarget (a member that is already gone). */
  | { kind: 'noTarget' };

export interface Misbehaviour {
  /** Drop startIndex before forwarding: every page is page one. */
  ignoreStartIndex?: boolean;
  /** Lower count to this before forwarding, without telling the client. */
  capCount?: number;
  /** Drop the filter before forwarding: every search returns everyone. */
  ignoreFilter?: boolean;
  /**
   * Speak RFC 9865 cursor paging (as AWS IAM Identity Center does): `cursor` in, `nextCursor` out,
   * startIndex ignored.
   */
  cursorPaging?: boolean;
}

export interface ProxiedRequest {
  method: string;
  /** Path and query as the client sent them. */
  url: string;
  headers: IncomingMessage['headers'];
  body: string;
  /** What the proxy did: 'forwarded' or the fault's kind. */
  handling: string;
}

interface Queued {
  fault: Fault;
  times: number;
  when: (req: { method: string; url: string }) => boolean;
}

export interface FaultyScim {
  /** Base URL to give the client (same path layout as the upstream). */
  readonly url: string;
  readonly requests: ProxiedRequest[];
  /** The next `times` requests that satisfy `when` get this fault. */
  inject(
    fault: Fault,
    opts?: { times?: number; when?: (req: { method: string; url: string }) => boolean },
  ): void;
  /** Sets lasting misbehaviour (replaces the previous one). */
  misbehave(m: Misbehaviour): void;
  /** Clears faults, misbehaviour and the request log. */
  reset(): void;
  close(): Promise<void>;
}

const methodOf = (req: IncomingMessage) => req.method ?? 'GET';

/**
 * Headers that describe one connection or the body's bytes as the upstream sent them: the proxy
 * writes its own (the body is decoded, maybe rewritten, and sent again), so these are not copied.
 */
const NOT_PASSED = new Set([
  'connection',
  'keep-alive',
  'transfer-encoding',
  'content-length',
  'content-encoding',
]);

/** The upstream answer's headers, as Node's writeHead takes them (Set-Cookie, the one kept apart, as a list). */
function passedHeaders(headers: Headers): Record<string, string | string[]> {
  const passed: Record<string, string | string[]> = {};
  for (const [name, value] of headers) if (!NOT_PASSED.has(name)) passed[name] = value;
  const cookies = headers.getSetCookie();
  if (cookies.length > 0) passed['set-cookie'] = cookies;
  return passed;
}

export function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

export async function startFaultyScim(upstreamBaseUrl: string): Promise<FaultyScim> {
  const upstream = new URL(upstreamBaseUrl);
  const queue: Queued[] = [];
  let misbehaviour: Misbehaviour = {};
  const requests: ProxiedRequest[] = [];
  const timers = new Set<NodeJS.Timeout>();

  const takeFault = (method: string, url: string): Fault | undefined => {
    const index = queue.findIndex((q) => q.when({ method, url }));
    if (index < 0) return undefined;
    const queued = queue[index] as Queued;
    queued.times -= 1;
    if (queued.times <= 0) queue.splice(index, 1);
    return queued.fault;
  };

  const rewrite = (url: string): string => {
    const target = new URL(url, upstream);
    if (misbehaviour.cursorPaging) {
      const cursor = target.searchParams.get('cursor');
      target.searchParams.delete('cursor');
      target.searchParams.set('startIndex', cursor ? Buffer.from(cursor, 'base64url').toString('utf8') : '1');
    }
    if (misbehaviour.ignoreStartIndex) target.searchParams.delete('startIndex');
    if (misbehaviour.ignoreFilter) target.searchParams.delete('filter');
    const count = target.searchParams.get('count');
    if (misbehaviour.capCount !== undefined && count !== null) {
      target.searchParams.set('count', String(Math.min(Number(count), misbehaviour.capCount)));
    }
    return target.href;
  };

  const forward = async (req: IncomingMessage, body: string) => {
    const headers: Record<string, string> = {};
    for (const name of ['authorization', 'content-type', 'accept', 'user-agent']) {
      const value = req.headers[name];
      if (typeof value === 'string') headers[name] = value;
    }
    const answer = await fetch(rewrite(req.url ?? '/'), {
      method: req.method ?? 'GET',
      headers,
      ...(body && { body }),
    });
    let text = await answer.text();
    if (misbehaviour.cursorPaging && answer.status === 200 && methodOf(req) === 'GET') {
      const list = JSON.parse(text) as { Resources?: unknown[]; startIndex?: number; totalResults?: number };
      if (Array.isArray(list.Resources) && typeof list.startIndex === 'number') {
        const next = list.startIndex + list.Resources.length;
        const { startIndex: _dropped, ...rest } = list;
        const more = list.Resources.length > 0 && next <= (list.totalResults ?? 0);
        text = JSON.stringify({
          ...rest,
          ...(more && { nextCursor: Buffer.from(String(next)).toString('base64url') }),
        });
      }
    }
    return { status: answer.status, headers: passedHeaders(answer.headers), text };
  };

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const method = req.method ?? 'GET';
    const url = req.url ?? '/';
    const body = await readBody(req);
    const fault = takeFault(method, url);
    requests.push({ method, url, headers: req.headers, body, handling: fault?.kind ?? 'forwarded' });

    const send = (status: number, text: string, extra: Record<string, string | string[]> = {}) => {
      res.writeHead(status, { ...(text && { 'content-type': 'application/scim+json' }), ...extra });
      res.end(text);
    };

    switch (fault?.kind) {
      case 'status':
        send(fault.status, fault.body ?? '', {
          ...(fault.retryAfter && { 'retry-after': fault.retryAfter }),
          ...fault.headers,
        });
        return;
      case 'reset':
        req.socket.destroy();
        return;
      case 'malformed':
        send(fault.status ?? 200, fault.body ?? '<html><body>Service temporarily unavailable</body></html>');
        return;
      case 'noTarget': {
        await forward(req, body);
        send(
          400,
          JSON.stringify({
            schemas: ['urn:ietf:params:scim:api:messages:2.0:Error'],
            status: '400',
            scimType: 'noTarget',
            detail: 'no member matches the path filter',
          }),
        );
        return;
      }
      case 'slow': {
        const answer = await forward(req, body);
        const timer = setTimeout(() => {
          timers.delete(timer);
          if (!res.destroyed) send(answer.status, answer.text, answer.headers);
        }, fault.delayMs);
        timers.add(timer);
        return;
      }
      case 'headers':
      case undefined: {
        const answer = await forward(req, body);
        // Lower-cased, so a fault's header replaces the upstream's of the same name rather than doubling it.
        const extra = Object.entries(fault?.kind === 'headers' ? fault.headers : {}).map(
          ([name, value]) => [name.toLowerCase(), value] as const,
        );
        res.writeHead(answer.status, { ...answer.headers, ...Object.fromEntries(extra) });
        res.end(answer.text);
        return;
      }
    }
  };

  const server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      if (!res.headersSent) res.writeHead(502);
      res.end(String(err));
    });
  });
  server.listen(0, '127.0.0.1');
  await new Promise<void>((resolve, reject) => {
    server.once('listening', resolve);
    server.once('error', reject);
  });
  const { address, port } = server.address() as AddressInfo;

  return {
    url: `http://${address}:${port}${upstream.pathname.replace(/\/$/, '')}`,
    requests,
    inject(fault, opts = {}) {
      queue.push({ fault, times: opts.times ?? 1, when: opts.when ?? (() => true) });
    },
    misbehave(m) {
      misbehaviour = { ...m };
    },
    reset() {
      queue.length = 0;
      misbehaviour = {};
      requests.length = 0;
    },
    close: () =>
      new Promise<void>((resolve, reject) => {
        for (const t of timers) clearTimeout(t);
        server.closeAllConnections();
        server.close((err) => (err ? reject(err) : resolve()));
      }),
  };
}
