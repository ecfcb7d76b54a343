// A target that rate-limits a leaver longer than the lane has attempts, in the whole local runtime
// (the synthesized workflow, fauxqs lane queues with their redrive policy, the shared worker): the
// leaver is revoked and verified, the execution succeeds, nothing is dead-lettered. Its AWS calls
// (the worker handing the message back to its own lane queue) go through the IAM proof.
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { targetSecretName } from '../../lambdas/core/model/config.ts';
import type { LocalRuntime } from '../../local/runtime.ts';
import { start as startScimApp } from '../../local/scim-app.ts';
import sample from '../../scimitar.config.ts';
import { endedExecution, steps as stepsOf } from '../support/events.ts';
import { eventually } from '../support/eventually.ts';
import { readBody } from '../support/faulty-scim.ts';
import { postSigned, startTestRuntime, terminationOf, testConfig } from '../support/local-runtime.ts';

const MAX_ATTEMPTS = 2;

let runtime: LocalRuntime & { lines: string[] };
beforeAll(async () => {
  runtime = await startTestRuntime({
    config: testConfig({ maxAttempts: MAX_ATTEMPTS, targets: sample.targets.filter((t) => t.id === 'code') }),
    scimTimeoutMs: 1_000,
    // Each delivery waits out the 429s this long before it is handed back.
    scimThrottleWaitMaxMs: 2_000,
  });
});
afterAll(async () => runtime?.stop());

/**
 * The application behind a rate limiter on the port the runtime knows: `Retry-After: 0` while
 * throttling (the client may retry at once, so each delivery ends quickly in a hand-back), then
 * every request forwarded to the application.
 */
async function rateLimited(port: number, upstream: string) {
  let throttling = true;
  let throttled = 0;
  const server = createServer((req, res) => {
    readBody(req)
      .then(async (body) => {
        if (throttling) {
          throttled += 1;
          res.writeHead(429, { 'retry-after': '0' });
          res.end();
          return;
        }
        const headers: Record<string, string> = {};
        for (const name of ['authorization', 'content-type', 'accept']) {
          const value = req.headers[name];
          if (typeof value === 'string') headers[name] = value;
        }
        const path = new URL(upstream).pathname.replace(/\/$/, '');
        const answer = await fetch(
          `${new URL(upstream).origin}${path}${(req.url ?? '/').slice(path.length)}`,
          {
            method: req.method ?? 'GET',
            headers,
            ...(body && { body }),
          },
        );
        const type = answer.headers.get('content-type');
        res.writeHead(answer.status, type ? { 'content-type': type } : {});
        res.end(await answer.text());
      })
      .catch((err: unknown) => {
        res.writeHead(502);
        res.end(String(err));
      });
  });
  server.listen(port, '127.0.0.1');
  await once(server, 'listening');
  return {
    throttled: () => throttled,
    letThrough: () => {
      throttling = false;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

describe('local pipeline: a target that rate-limits', () => {
  it('revokes a leaver throttled on more deliveries than maxAttempts: THROTTLED, no attempt spent, nothing dead-lettered, the execution succeeds', async () => {
    const lane = runtime.lanes.get('code');
    const app = lane?.app;
    const target = runtime.config.targets.find((t) => t.id === 'code');
    if (!lane || !app || !target) throw new Error('no demo app for code');
    const person = runtime.people.find((p) => app.userByName(p.userName)?.active);
    if (!person) throw new Error('no active person in code');
    const port = Number(new URL(app.url).port);
    const secrets = JSON.parse(readFileSync(join(runtime.dataDir, 'secrets.json'), 'utf8')) as Record<
      string,
      string
    >;
    // The same application, moved behind the rate limiter.
    const behind = await startScimApp({ tokens: [secrets[targetSecretName(target)] ?? ''] });
    behind.seed({ users: [{ userName: person.userName, externalId: person.employeeId }] });
    await app.close();
    const limiter = await rateLimited(port, behind.url);
    try {
      const body = terminationOf(person);
      expect((await postSigned(runtime, body)).status).toBe(202);
      const { eventId } = JSON.parse(body) as { eventId: string };
      const handedBack = async () =>
        (await runtime.audit.forEvent(eventId)).filter((e) => e.step === 'THROTTLED').length;
      await eventually(
        'more hand-backs than the lane has attempts',
        async () => (await handedBack()) > MAX_ATTEMPTS,
        {
          // Each delivery takes its whole throttle allowance before it is handed back.
          timeoutMs: 40_000,
          seen: async () => stepsOf(await runtime.audit.forEvent(eventId)),
        },
      );
      limiter.letThrough();

      const execution = await endedExecution(runtime, eventId);
      expect(execution.status).toBe('SUCCEEDED');
      expect(behind.userByName(person.userName)?.active).toBe(false);
      const audit = await runtime.audit.forEvent(eventId);
      const steps = stepsOf(audit);
      expect(steps).toEqual(expect.arrayContaining(['THROTTLED:code', 'VERIFIED:code', 'COMPLETED']));
      expect(steps.filter((s) => /^(RETRY|FAILED|DLQ|DEFERRED):/.test(s))).toEqual([]);
      // Every delivery was the first attempt: the hand-backs spent none.
      expect(audit.filter((e) => e.targetId === 'code').map((e) => e.detail?.attempt)).toEqual(
        audit.filter((e) => e.targetId === 'code').map(() => 1),
      );
      expect(limiter.throttled()).toBeGreaterThan(MAX_ATTEMPTS);
      expect(await runtime.deadLetters('code')).toBe(0);
    } finally {
      await limiter.close();
      await behind.close();
    }
  }, 60_000);
});
