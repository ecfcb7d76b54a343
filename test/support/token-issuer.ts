// The credential side of a SCIM application, on loopback, in front of local/scim-app.ts: it mints
// and revokes bearer tokens (rotation strategy 'api') and runs an OAuth2 client-credentials token
// endpoint (strategy 'oauth2'). Whatever it issues or revokes, it tells the SCIM app through
// `acceptTokens`, so the app accepts exactly the live tokens.
import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { ScimApp } from '../../local/scim-app.ts';

export interface IssuerRequest {
  method: string;
  path: string;
  /** The request's bearer or basic credential was valid. */
  authorized: boolean;
  idempotencyKey?: string;
}

export type MintFault =
  /** Answer this status. */
  | { kind: 'status'; status: number }
  /** Answer 200 with a token the SCIM app does not accept. */
  | { kind: 'unaccepted' }
  /** Answer 200 without the token field. */
  | { kind: 'no-field' };

export interface TokenIssuer {
  /** POST: mints a token, authenticated with a live one. Answers `{ data: { token } }`. */
  readonly mintUrl: string;
  /** POST: revokes the bearer token it is called with. */
  readonly revokeUrl: string;
  /** OAuth2 token endpoint (client credentials, HTTP Basic). */
  readonly tokenUrl: string;
  readonly requests: IssuerRequest[];
  /** Bearer tokens the application accepts now (access tokens excluded). */
  liveTokens(): string[];
  /** Every token ever minted, live or not. */
  readonly minted: string[];
  failMint(fault: MintFault): void;
  failRevoke(status: number): void;
  /** Changes the OAuth2 client secret (as an administrator would in the provider's console). */
  setClientSecret(secret: string): void;
  /** Back to the start: only the initial token live, the initial client secret, no faults, no requests. */
  reset(): void;
  close(): Promise<void>;
}

const readBody = (req: IncomingMessage) =>
  new Promise<string>((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });

const send = (res: ServerResponse, status: number, body: unknown) => {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
};

export async function startTokenIssuer(options: {
  app: ScimApp;
  /** The bearer token the application holds at the start. */
  initialToken: string;
  oauth?: { clientId: string; clientSecret: string };
}): Promise<TokenIssuer> {
  const bearer = new Set([options.initialToken]);
  const access = new Set<string>();
  const byIdempotencyKey = new Map<string, string>();
  const minted: string[] = [];
  const requests: IssuerRequest[] = [];
  let clientSecret = options.oauth?.clientSecret;
  let mintFault: MintFault | undefined;
  let revokeFault: number | undefined;
  const sync = () => options.app.acceptTokens([...bearer, ...access]);
  sync();

  const server = createServer(async (req, res) => {
    const path = new URL(req.url ?? '/', 'http://issuer').pathname;
    const auth = req.headers.authorization ?? '';
    const presented = auth.startsWith('Bearer ') ? auth.slice(7) : undefined;
    const idempotencyKey = req.headers['idempotency-key'] as string | undefined;
    const body = await readBody(req);
    const record = (authorized: boolean) =>
      requests.push({
        method: req.method ?? 'GET',
        path,
        authorized,
        ...(idempotencyKey ? { idempotencyKey } : {}),
      });

    if (req.method === 'POST' && path === '/mint') {
      const authorized = presented !== undefined && bearer.has(presented);
      record(authorized);
      if (!authorized) return send(res, 401, { error: 'unauthorized' });
      const fault = mintFault;
      mintFault = undefined;
      if (fault?.kind === 'status') return send(res, fault.status, { error: 'mint failed' });
      if (fault?.kind === 'no-field') return send(res, 200, { data: {} });
      const repeated = idempotencyKey ? byIdempotencyKey.get(idempotencyKey) : undefined;
      const token = repeated ?? `tok_minted_${randomBytes(12).toString('hex')}`;
      if (!repeated) {
        minted.push(token);
        if (idempotencyKey) byIdempotencyKey.set(idempotencyKey, token);
        if (fault?.kind !== 'unaccepted') bearer.add(token);
        sync();
      }
      return send(res, 200, { data: { token, expiresInDays: 90 } });
    }

    if (req.method === 'POST' && path === '/revoke') {
      const authorized = presented !== undefined && bearer.has(presented);
      record(authorized);
      if (!authorized) return send(res, 401, { error: 'unauthorized' });
      if (revokeFault !== undefined) {
        const status = revokeFault;
        revokeFault = undefined;
        return send(res, status, { error: 'revoke failed' });
      }
      let named: unknown;
      try {
        named = (JSON.parse(body) as { token?: unknown }).token;
      } catch {
        return send(res, 400, { error: 'not JSON' });
      }
      if (named !== presented) return send(res, 400, { error: 'a token revokes only itself' });
      bearer.delete(presented);
      sync();
      return send(res, 200, { revoked: true });
    }

    if (req.method === 'POST' && path === '/oauth/token' && options.oauth) {
      const basic = auth.startsWith('Basic ') ? Buffer.from(auth.slice(6), 'base64').toString('utf8') : '';
      const [id, secret] = basic.split(':').map(decodeURIComponent);
      const form = new URLSearchParams(body);
      const authorized = id === options.oauth.clientId && secret === clientSecret;
      record(authorized);
      if (!authorized) return send(res, 401, { error: 'invalid_client', error_description: `bad ${secret}` });
      if (form.get('grant_type') !== 'client_credentials')
        return send(res, 400, { error: 'unsupported_grant_type' });
      const token = `at_${randomBytes(12).toString('hex')}`;
      access.add(token);
      sync();
      return send(res, 200, { access_token: token, token_type: 'Bearer', expires_in: 300 });
    }

    record(false);
    send(res, 404, { error: 'not found' });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    mintUrl: `${base}/mint`,
    revokeUrl: `${base}/revoke`,
    tokenUrl: `${base}/oauth/token`,
    requests,
    minted,
    liveTokens: () => [...bearer],
    failMint: (fault) => {
      mintFault = fault;
    },
    failRevoke: (status) => {
      revokeFault = status;
    },
    setClientSecret: (secret) => {
      clientSecret = secret;
      access.clear();
      sync();
    },
    reset: () => {
      bearer.clear();
      bearer.add(options.initialToken);
      access.clear();
      byIdempotencyKey.clear();
      clientSecret = options.oauth?.clientSecret;
      mintFault = undefined;
      revokeFault = undefined;
      requests.length = 0;
      sync();
    },
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((err) => (err ? reject(err) : resolve()));
      }),
  };
}
