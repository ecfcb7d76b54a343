// The one HTTP transport under the SCIM client, the OAuth2 token fetch and rotation's mint and
// revoke calls, against hostile servers on loopback: endless bodies, lying lengths, slow drips,
// redirects that would carry the Authorization header elsewhere.
import { once } from 'node:events';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HttpTransport, HttpUnansweredError } from '../../../lambdas/core/http/transport.ts';
import {
  BearerToken,
  OAuth2ClientCredentials,
  ScimClient,
  ScimCredentialError,
  ScimMalformedResponseError,
  ScimPermanentError,
} from '../../../lambdas/core/scim/index.ts';
import { expectNoSecret } from '../../support/secrets.ts';

const TOKEN = 'transport-test-token-8f3k2';
let hostile: Server;
let elsewhere: Server;
let base: string;
let elsewhereUrl: string;
/** Requests that reached the server a redirect points to. */
const reachedElsewhere: { url: string; authorization?: string }[] = [];

function listen(handler: (req: IncomingMessage, res: ServerResponse) => void): Promise<Server> {
  const server = createServer(handler).listen(0, '127.0.0.1');
  return once(server, 'listening').then(() => server);
}
const urlOf = (server: Server) => `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

beforeAll(async () => {
  elsewhere = await listen((req, res) => {
    reachedElsewhere.push({
      url: req.url ?? '',
      ...(req.headers.authorization && { authorization: req.headers.authorization }),
    });
    res.writeHead(200, { 'content-type': 'application/json' }).end('{"totalResults":0,"Resources":[]}');
  });
  elsewhereUrl = urlOf(elsewhere);
  hostile = await listen((req, res) => {
    const path = req.url ?? '';
    if (path.startsWith('/endless')) {
      // Streams a body that never ends, as fast as the client reads it.
      res.writeHead(200, { 'content-type': 'application/json' });
      const chunk = Buffer.alloc(64 * 1024, 0x20);
      const pump = () => {
        while (res.write(chunk)) {
          if (res.destroyed) return;
        }
      };
      res.on('drain', pump);
      res.on('close', () => res.off('drain', pump));
      pump();
    } else if (path.startsWith('/announced')) {
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': String(1024 * 1024) });
      res.write('{');
    } else if (path.startsWith('/drip')) {
      // Headers at once, then a byte every 100 ms: only a timeout over the body stops it.
      res.writeHead(200, { 'content-type': 'application/json' });
      const timer = setInterval(() => res.write(' '), 100);
      res.on('close', () => clearInterval(timer));
    } else if (path.startsWith('/redirect')) {
      res.writeHead(307, { location: `${elsewhereUrl}/stolen${path}` }).end();
    } else {
      res.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}');
    }
  });
  base = urlOf(hostile);
});
afterAll(async () => {
  hostile.closeAllConnections();
  elsewhere.closeAllConnections();
  await Promise.all([new Promise((r) => hostile.close(r)), new Promise((r) => elsewhere.close(r))]);
});

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => {
      throw new Error('expected a failure, got success');
    },
    (e: unknown) => e,
  );
}

describe('HTTP transport', () => {
  it('reads an ordinary answer in full, with its duration on the given clock', async () => {
    let now = 0;
    const transport = new HttpTransport({ clock: () => (now += 5) });
    const answer = await transport.send({ method: 'GET', url: `${base}/ok`, headers: {} });
    expect(answer).toMatchObject({ status: 200, text: '{"ok":true}', durationMs: 5 });
  });

  it('fails, without reading it all, on a body that never ends', async () => {
    const transport = new HttpTransport({ maxBodyBytes: 256 * 1024, timeoutMs: 5_000 });
    const started = Date.now();
    const err = await rejection(transport.send({ method: 'GET', url: `${base}/endless`, headers: {} }));
    expect(err).toBeInstanceOf(HttpUnansweredError);
    expect(err).toMatchObject({ reason: 'too-large', message: 'answer larger than 262144 bytes' });
    expect(Date.now() - started).toBeLessThan(4_000);
  });

  it('fails before reading when the announced length is over the bound', async () => {
    const transport = new HttpTransport({ maxBodyBytes: 1024 });
    const err = await rejection(transport.send({ method: 'GET', url: `${base}/announced`, headers: {} }));
    expect(err).toMatchObject({ reason: 'too-large' });
  });

  it('fails on a body dripped slower than the timeout allows', async () => {
    const transport = new HttpTransport({ timeoutMs: 300 });
    const err = await rejection(transport.send({ method: 'GET', url: `${base}/drip`, headers: {} }));
    expect(err).toMatchObject({ reason: 'timeout', message: 'no complete answer within 300 ms' });
  });

  it('refuses a non-positive bound or timeout, naming the option', () => {
    expect(() => new HttpTransport({ maxBodyBytes: 0 })).toThrow(/maxBodyBytes must be positive/);
    expect(() => new HttpTransport({ timeoutMs: -1 })).toThrow(/timeoutMs must be positive/);
  });
});

describe('SCIM client over the transport', () => {
  const client = (path: string, options: { maxBodyBytes?: number } = {}) =>
    new ScimClient({
      baseUrl: `${base}${path}`,
      credentials: new BearerToken(async () => TOKEN),
      ...options,
    });

  it('fails as malformed (retryable) on an answer larger than its bound', async () => {
    const err = await rejection(client('/endless', { maxBodyBytes: 128 * 1024 }).getAccount('u1'));
    expect(err).toBeInstanceOf(ScimMalformedResponseError);
    expect(err).toMatchObject({ retryable: true, method: 'GET', path: '/Users/u1' });
    expectNoSecret(err, [TOKEN]);
  });

  it('refuses to follow a redirect, so the token never reaches the other host', async () => {
    reachedElsewhere.length = 0;
    const err = await rejection(client('/redirect').getAccount('u1'));
    expect(err).toBeInstanceOf(ScimPermanentError);
    expect(err).toMatchObject({ status: 307 });
    expect(reachedElsewhere).toEqual([]);
    expectNoSecret(err, [TOKEN]);
  });
});

describe('OAuth2 token fetch over the transport', () => {
  const SECRET = 'cs_transport_Zq81Lm5Xw';
  const oauth = (path: string) =>
    new OAuth2ClientCredentials({
      tokenUrl: `${base}${path}`,
      clientId: 'scimitar',
      clientSecret: async () => SECRET,
    });

  it('refuses a token endpoint that redirects, sending the client secret nowhere else', async () => {
    reachedElsewhere.length = 0;
    const err = await rejection(oauth('/redirect/token').authorization());
    expect(err).toBeInstanceOf(ScimCredentialError);
    expect(err).toMatchObject({ status: 307 });
    expect(reachedElsewhere).toEqual([]);
    expectNoSecret(err, [SECRET]);
  });

  it('fails retryable when the token endpoint drips its answer past the timeout', async () => {
    const slow = new OAuth2ClientCredentials({
      tokenUrl: `${base}/drip`,
      clientId: 'scimitar',
      clientSecret: async () => SECRET,
      timeoutMs: 300,
    });
    const err = await rejection(slow.authorization());
    expect(err).toMatchObject({ retryable: true, message: 'token endpoint timed out' });
    expectNoSecret(err, [SECRET]);
  });
});
