import { once } from 'node:events';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  BearerToken,
  ScimClient,
  ScimCredentialError,
  type ScimError,
  ScimMalformedResponseError,
  ScimNotFoundError,
  ScimPermanentError,
  ScimRetryableError,
  ScimThrottledError,
} from '../../../lambdas/core/scim/index.ts';
import { type ScimTarget, startTarget, TOKEN } from '../../support/scim-target.ts';
import { expectNoSecret } from '../../support/secrets.ts';

let target: ScimTarget;
let leaverId: string;

beforeAll(async () => {
  target = await startTarget();
  leaverId = target.app.seed({ users: [{ userName: 'leaver@example.com' }] }).users[0]?.id ?? '';
});
afterAll(() => target.close());
beforeEach(() => {
  target.proxy.reset();
  target.app.acceptTokens([TOKEN]);
  for (const u of target.app.users.values()) u.active = true;
});

/** The error the promise rejects with, checked to be a ScimError that leaks no credential. */
async function failure<T extends ScimError>(
  promise: Promise<unknown>,
  type: new (...args: never[]) => T,
): Promise<T> {
  const err = await promise.then(
    () => {
      throw new Error('expected a failure, got success');
    },
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(type);
  expectNoSecret(err, [TOKEN]);
  return err as T;
}

const find = (client = target.client()) =>
  client.findAccount({ attribute: 'userName', value: 'leaver@example.com' });
const scimError = (status: number, scimType: string | undefined, detail: string) =>
  JSON.stringify({
    schemas: ['urn:ietf:params:scim:api:messages:2.0:Error'],
    status: String(status),
    ...(scimType && { scimType }),
    detail,
  });

describe('SCIM client: retryable failures', () => {
  it('fails throttled on a 429 it may not wait out, and carries Retry-After in seconds', async () => {
    target.proxy.inject({
      kind: 'status',
      status: 429,
      retryAfter: '7',
      body: scimError(429, undefined, 'slow down'),
    });
    const err = await failure(find(target.client({}, { throttleWaitMaxMs: 0 })), ScimThrottledError);
    expect(err).toBeInstanceOf(ScimRetryableError);
    expect(err).toMatchObject({ retryable: true, status: 429, retryAfterMs: 7_000, method: 'GET' });
    expect(err.path).toMatch(/^\/Users\?filter=/);
  });

  it('fails throttled on a 503 whose HTTP-date Retry-After, read against the injected clock, is past its allowance', async () => {
    const now = Date.parse('2026-03-01T12:00:00Z');
    target.proxy.inject({ kind: 'status', status: 503, retryAfter: 'Sun, 01 Mar 2026 12:00:45 GMT' });
    const err = await failure(find(target.client({}, { clock: () => now })), ScimThrottledError);
    expect(err).toMatchObject({ status: 503, retryAfterMs: 45_000 });
  });

  it('fails retryable on 500 without a Retry-After', async () => {
    target.proxy.inject({ kind: 'status', status: 500 });
    const err = await failure(find(), ScimRetryableError);
    expect(err.status).toBe(500);
    expect(err.retryAfterMs).toBeUndefined();
  });

  it('fails retryable when the answer is slower than the timeout', async () => {
    target.proxy.inject({ kind: 'slow', delayMs: 1_500 });
    const started = Date.now();
    const err = await failure(find(target.client({}, { timeoutMs: 200 })), ScimRetryableError);
    expect(Date.now() - started).toBeLessThan(1_000);
    expect(err.message).toMatch(/within 200 ms/);
    expect(err.status).toBeUndefined();
  });

  it('fails retryable when the connection is reset', async () => {
    target.proxy.inject({ kind: 'reset' });
    const err = await failure(find(), ScimRetryableError);
    expect(err.message).toMatch(/^connection failed/);
  });

  it('fails retryable when nothing listens', async () => {
    const closed = createServer().listen(0, '127.0.0.1');
    await once(closed, 'listening');
    const { port } = closed.address() as AddressInfo;
    await new Promise((resolve) => closed.close(resolve));
    const client = new ScimClient({
      baseUrl: `http://127.0.0.1:${port}/scim/v2`,
      credentials: new BearerToken(async () => TOKEN),
    });
    const err = await failure(find(client), ScimRetryableError);
    expect(err.message).toMatch(/ECONNREFUSED/);
  });

  it('fails retryable, as malformed, on an HTML page answered with 200', async () => {
    target.proxy.inject({ kind: 'malformed' });
    const err = await failure(find(), ScimMalformedResponseError);
    expect(err.retryable).toBe(true);
  });

  it('fails as malformed, naming the field, on JSON that is not a ListResponse', async () => {
    target.proxy.inject({ kind: 'malformed', body: JSON.stringify({ Resources: [] }) });
    const err = await failure(find(), ScimMalformedResponseError);
    expect(err.message).toMatch(/totalResults/);
  });

  it('fails as malformed on a user without an id', async () => {
    target.proxy.inject({
      kind: 'malformed',
      body: JSON.stringify({ totalResults: 1, Resources: [{ userName: 'leaver@example.com' }] }),
    });
    const err = await failure(find(), ScimMalformedResponseError);
    expect(err.message).toMatch(/id/);
  });

  it('succeeds on the next call once the fault is gone', async () => {
    target.proxy.inject({ kind: 'status', status: 503 });
    await failure(find(), ScimRetryableError);
    expect(await find()).toMatchObject({ status: 'found' });
  });
});

describe('SCIM client: permanent failures', () => {
  it('fails permanently on 400 and carries scimType and detail', async () => {
    target.proxy.inject({ kind: 'status', status: 400, body: scimError(400, 'invalidFilter', 'bad filter') });
    const err = await failure(find(), ScimPermanentError);
    expect(err).toMatchObject({
      retryable: false,
      status: 400,
      scimType: 'invalidFilter',
      detail: 'bad filter',
    });
  });

  it('fails permanently on 403 and 409', async () => {
    target.proxy.inject({ kind: 'status', status: 403, body: scimError(403, 'sensitive', 'not allowed') });
    expect(await failure(target.client().deactivate(leaverId), ScimPermanentError)).toMatchObject({
      status: 403,
      scimType: 'sensitive',
      method: 'PATCH',
      path: `/Users/${leaverId}`,
    });
    target.proxy.inject({ kind: 'status', status: 409, body: scimError(409, 'uniqueness', 'taken') });
    expect(await failure(target.client().deactivate(leaverId), ScimPermanentError)).toMatchObject({
      status: 409,
    });
  });

  it('fails permanently on 501, which waiting does not fix', async () => {
    target.proxy.inject({ kind: 'status', status: 501 });
    expect(await failure(find(), ScimPermanentError)).toMatchObject({ status: 501, retryable: false });
  });

  it('tolerates a bare 404 without a body', async () => {
    target.proxy.inject({ kind: 'status', status: 404 });
    const err = await failure(find(), ScimNotFoundError);
    expect(err).toMatchObject({ status: 404, retryable: false });
    expect(err.scimType).toBeUndefined();
  });

  it('refuses to follow a redirect', async () => {
    target.proxy.inject({ kind: 'status', status: 307 });
    expect(await failure(find(), ScimPermanentError)).toMatchObject({ status: 307 });
  });
});

describe('SCIM client: 401', () => {
  it('re-reads the credential once and retries when the token was rotated', async () => {
    target.app.acceptTokens(['rotated-token-value-1234']);
    const reads: string[] = [];
    const values = [TOKEN, 'rotated-token-value-1234'];
    const client = target.client(
      {},
      {
        credentials: new BearerToken(async () => {
          const v = values[reads.length] ?? 'exhausted';
          reads.push(v);
          return v;
        }),
      },
    );
    const evidence = await client.revoke({
      match: { attribute: 'userName', value: 'leaver@example.com' },
      action: 'deactivate',
    });
    expect(evidence.outcome).toBe('revoked');
    expect(reads).toHaveLength(2);
    expect(evidence.requests.map((r) => r.status)).toEqual([401, 200, 200, 200]);
    expectNoSecret(evidence, [TOKEN, 'rotated-token-value-1234']);
  });

  it('fails with a credential error when the server answers 401 twice', async () => {
    target.app.acceptTokens(['some-other-token-5678']);
    let reads = 0;
    const client = target.client(
      {},
      {
        credentials: new BearerToken(async () => {
          reads += 1;
          return TOKEN;
        }),
      },
    );
    const err = await failure(find(client), ScimCredentialError);
    expect(err).toMatchObject({ status: 401, retryable: false });
    expect(reads).toBe(2);
    expect(target.proxy.requests).toHaveLength(2);
  });

  it('fails with a credential error, without quoting it, when the provider throws', async () => {
    const client = target.client(
      {},
      {
        credentials: new BearerToken(async () => {
          throw new Error(`secret read failed near ${TOKEN}`);
        }),
      },
    );
    const err = await failure(find(client), ScimCredentialError);
    expect(err.cause).toBeUndefined();
  });

  it('removes the credential from a detail that echoes it', async () => {
    target.proxy.inject({
      kind: 'status',
      status: 400,
      body: scimError(400, 'invalidValue', `token ${TOKEN} is not valid for Bearer ${TOKEN}`),
    });
    const err = await failure(find(), ScimPermanentError);
    expect(err.detail).toBe('token [redacted] is not valid for [redacted]');
  });
});
