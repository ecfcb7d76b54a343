import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  BearerToken,
  OAuth2ClientCredentials,
  ScimClient,
  ScimCredentialError,
  ScimMalformedResponseError,
  ScimRetryableError,
} from '../../../lambdas/core/scim/index.ts';
import { type ScimApp, start } from '../../../local/scim-app.ts';
import { expectNoSecret } from '../../support/secrets.ts';

const CLIENT_ID = 'scimitar-client';
const CLIENT_SECRET = 'cs_9Yb3QeWk2LxP7mN0';

/** A token endpoint on loopback: issues at-1, at-2... and makes the SCIM app accept the latest only. */
interface TokenEndpoint {
  url: string;
  issued: string[];
  bodies: URLSearchParams[];
  authHeaders: (string | undefined)[];
  answer: { status: number; body?: string } | undefined;
  expiresIn: number;
  close(): Promise<void>;
}

let app: ScimApp;
let endpoint: TokenEndpoint;

async function startTokenEndpoint(scim: ScimApp): Promise<TokenEndpoint> {
  const state: Omit<TokenEndpoint, 'url' | 'close'> = {
    issued: [],
    bodies: [],
    authHeaders: [],
    answer: undefined,
    expiresIn: 3600,
  };
  const server: Server = createServer((req, res) => {
    let raw = '';
    req.on('data', (c) => {
      raw += c;
    });
    req.on('end', () => {
      const form = new URLSearchParams(raw);
      state.bodies.push(form);
      state.authHeaders.push(req.headers.authorization);
      if (state.answer) {
        res.writeHead(state.answer.status, { 'content-type': 'application/json' });
        res.end(state.answer.body ?? '');
        return;
      }
      const basic = `Basic ${Buffer.from(`${CLIENT_ID}:${CLIENT_SECRET}`).toString('base64')}`;
      const viaBody = form.get('client_id') === CLIENT_ID && form.get('client_secret') === CLIENT_SECRET;
      if (
        form.get('grant_type') !== 'client_credentials' ||
        (req.headers.authorization !== basic && !viaBody)
      ) {
        res.writeHead(401, { 'content-type': 'application/json' });
        res.end(
          JSON.stringify({ error: 'invalid_client', error_description: `bad secret ${CLIENT_SECRET}` }),
        );
        return;
      }
      const token = `at-${state.issued.length + 1}-opaque`;
      state.issued.push(token);
      scim.acceptTokens([token]);
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ access_token: token, token_type: 'Bearer', expires_in: state.expiresIn }));
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  return Object.assign(state, {
    url: `http://127.0.0.1:${port}/oauth2/token`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  });
}

beforeAll(async () => {
  app = await start({ tokens: ['placeholder-token'] });
  app.seed({ users: [{ userName: 'leaver@example.com' }] });
  endpoint = await startTokenEndpoint(app);
});
afterAll(async () => {
  await endpoint.close();
  await app.close();
});
beforeEach(() => {
  endpoint.issued.length = 0;
  endpoint.bodies.length = 0;
  endpoint.authHeaders.length = 0;
  endpoint.answer = undefined;
  endpoint.expiresIn = 3600;
});

const find = (client: ScimClient) =>
  client.findAccount({ attribute: 'userName', value: 'leaver@example.com' });

function oauthClient(over: Partial<ConstructorParameters<typeof OAuth2ClientCredentials>[0]> = {}) {
  let now = 1_000_000;
  const credentials = new OAuth2ClientCredentials({
    tokenUrl: endpoint.url,
    clientId: CLIENT_ID,
    clientSecret: async () => CLIENT_SECRET,
    scope: 'scim.write',
    clock: () => now,
    ...over,
  });
  const client = new ScimClient({ baseUrl: app.url, credentials });
  return { client, credentials, advance: (ms: number) => (now += ms) };
}

describe('SCIM credentials: bearer token', () => {
  it('reads the token once and again only on refresh', async () => {
    let reads = 0;
    const token = new BearerToken(async () => {
      reads += 1;
      return ' tok-abc \n';
    });
    expect(await token.authorization()).toBe('Bearer tok-abc');
    await token.authorization();
    expect(reads).toBe(1);
    await token.authorization({ refresh: true });
    expect(reads).toBe(2);
  });

  it('tries the provider again after a failed read', async () => {
    let reads = 0;
    const token = new BearerToken(async () => {
      reads += 1;
      if (reads === 1) throw new Error('throttled');
      return 'tok-ok';
    });
    await expect(token.authorization()).rejects.toThrow('throttled');
    expect(await token.authorization()).toBe('Bearer tok-ok');
  });

  it('refuses an empty token', async () => {
    await expect(new BearerToken(async () => '  ').authorization()).rejects.toThrow(/empty token/);
  });
});

describe('SCIM credentials: OAuth2 client credentials', () => {
  it('fetches a token with HTTP Basic client authentication and the scope', async () => {
    const { client } = oauthClient();
    expect(await find(client)).toMatchObject({ status: 'found' });
    expect(endpoint.bodies[0]?.get('grant_type')).toBe('client_credentials');
    expect(endpoint.bodies[0]?.get('scope')).toBe('scim.write');
    expect(endpoint.bodies[0]?.has('client_secret')).toBe(false);
    expect(endpoint.authHeaders[0]).toMatch(/^Basic /);
  });

  it('can send the client credentials in the body instead', async () => {
    const { client } = oauthClient({ clientAuth: 'body' });
    expect(await find(client)).toMatchObject({ status: 'found' });
    expect(endpoint.authHeaders[0]).toBeUndefined();
    expect(endpoint.bodies[0]?.get('client_id')).toBe(CLIENT_ID);
  });

  it('reuses the token until shortly before it expires', async () => {
    endpoint.expiresIn = 300;
    const { client, advance } = oauthClient({ refreshBeforeExpiryMs: 60_000 });
    await find(client);
    advance(239_000);
    await find(client);
    expect(endpoint.issued).toHaveLength(1);
    advance(2_000);
    await find(client);
    expect(endpoint.issued).toHaveLength(2);
  });

  it('fetches a new token when the SCIM server answers 401', async () => {
    const { client } = oauthClient();
    await find(client);
    app.acceptTokens(['revoked-everything-else']);
    // The server revoked at-1; the client refreshes (at-2 is accepted as it is issued) and retries.
    expect(await find(client)).toMatchObject({ status: 'found' });
    expect(endpoint.issued).toHaveLength(2);
  });

  it('fails with a credential error, quoting neither secret nor description, when the client is refused', async () => {
    const { client } = oauthClient({ clientSecret: async () => 'cs_wrong_secret_value' });
    const err = await find(client).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ScimCredentialError);
    expect((err as Error).message).toMatch(/401 invalid_client/);
    expect((err as ScimCredentialError).path).toBe('/oauth2/token');
    expectNoSecret(err, [CLIENT_SECRET, 'cs_wrong_secret_value']);
  });

  it('fails retryable when the token endpoint is down, malformed when it answers nonsense', async () => {
    endpoint.answer = { status: 503 };
    expect(await find(oauthClient().client).catch((e: unknown) => e)).toBeInstanceOf(ScimRetryableError);
    endpoint.answer = { status: 200, body: JSON.stringify({ token_type: 'mac', access_token: 'x' }) };
    const err = await find(oauthClient().client).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ScimMalformedResponseError);
    expect((err as Error).message).toMatch(/token_type/);
    expectNoSecret(err, [CLIENT_SECRET]);
  });

  it('refuses a token URL that is not a URL', () => {
    expect(
      () => new OAuth2ClientCredentials({ tokenUrl: 'token', clientId: 'a', clientSecret: async () => 'b' }),
    ).toThrow(/tokenUrl is not a URL/);
  });
});
