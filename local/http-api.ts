// The local HTTP API: the API Gateway stand-in in front of the ingest function (POST
// /events/{source}) and the runtime's own /_local routes (status, retry, approve, bursts, redrive,
// canary, reconcile, coverage, notifications) that the CLI and the tests use, and, for a request
// signed with SigV4, the AWS APIs of the hosted stack (local/aws-endpoint).
import { createServer, type Server } from 'node:http';
import { compareAuditEntries } from '../lambdas/core/model/audit.ts';
import { ValidationError } from '../lambdas/core/model/errors.ts';
import { ApproveRefusedError } from '../lambdas/core/revocation/approve.ts';
import { type ProxyHandler, proxyEvent, readBody, writeJson, writeResult } from './api-gateway.ts';
import type { LocalAwsEndpoint } from './aws-endpoint/index.ts';
import { attemptsOf, RetryRefusedError, UnknownEventError } from './retry.ts';
import type { LocalRuntime } from './runtime.ts';

/** What the routes call: the runtime's public surface, and the ingest function. */
export type LocalApi = Pick<
  LocalRuntime,
  | 'lanes'
  | 'workflow'
  | 'audit'
  | 'ledger'
  | 'alerts'
  | 'owners'
  | 'retry'
  | 'redrive'
  | 'deadLetters'
  | 'checkTargets'
  | 'reconcile'
  | 'coverage'
  | 'approve'
  | 'approveBurst'
  | 'pendingTermination'
>;

export function localHttpApi(
  api: LocalApi,
  ingest: ProxyHandler,
  print: (line: string) => void,
  aws?: LocalAwsEndpoint,
): Server {
  return createServer((req, res) => {
    // An AWS API call (SigV4-signed): the runtime's AWS endpoint (local/aws-endpoint) answers it.
    if (aws?.handles(req)) {
      aws.handle(req, res).catch((err: unknown) => {
        print(`local AWS endpoint: ${(err as Error).message}`);
        if (!res.headersSent)
          writeJson(res, 500, { __type: 'InternalFailure', message: (err as Error).message });
      });
      return;
    }
    handleRequest(req.method ?? 'GET', new URL(req.url ?? '/', 'http://localhost')).catch((err: unknown) => {
      if (res.headersSent) return;
      // Failures the caller can act on are answered as such, with the reason.
      if (err instanceof ValidationError) {
        writeJson(res, 422, { error: 'invalid', message: err.message, problems: err.problems });
      } else if (err instanceof RetryRefusedError || err instanceof ApproveRefusedError) {
        writeJson(res, 409, { error: 'conflict', message: err.message });
      } else if (err instanceof UnknownEventError) {
        writeJson(res, 404, { error: 'unknown_event', message: err.message });
      } else {
        print(`local API: ${(err as Error).message}`);
        writeJson(res, 500, {
          error: 'internal',
          message: `the local runtime failed: ${(err as Error).message}`,
        });
      }
    });

    async function handleRequest(method: string, url: URL): Promise<void> {
      /** The SCIM targets named by `?target=` (none: all); answers 404 and returns null for an unknown one. */
      const namedTargets = (): string[] | null => {
        const only = url.searchParams.getAll('target');
        const unknown = only.filter((id) => !api.lanes.has(id));
        if (unknown.length === 0) return only;
        writeJson(res, 404, {
          error: 'unknown_target',
          message: `no SCIM target ${unknown.map((id) => `"${id}"`).join(', ')}`,
        });
        return null;
      };
      const events = url.pathname.match(/^\/events\/([^/]+)$/);
      if (events && method === 'POST') {
        let body: Buffer;
        try {
          body = await readBody(req);
        } catch {
          writeJson(res, 413, { message: 'Request Entity Too Large' });
          req.resume();
          return;
        }
        const source = decodeURIComponent(events[1] ?? '');
        const event = proxyEvent(req, body, '/events/{source}', { source });
        writeResult(res, await ingest(event));
        return;
      }
      // Okta's one-time event hook verification (the stack adds GET when an okta-event-hook source exists).
      if (events && method === 'GET') {
        const source = decodeURIComponent(events[1] ?? '');
        writeResult(res, await ingest(proxyEvent(req, Buffer.alloc(0), '/events/{source}', { source })));
        return;
      }
      if (method === 'GET' && url.pathname === '/health') {
        writeJson(res, 200, { ok: true });
        return;
      }
      const retryMatch = url.pathname.match(/^\/_local\/events\/([^/]+)\/retry$/);
      if (retryMatch && method === 'POST') {
        writeJson(res, 202, await api.retry(decodeURIComponent(retryMatch[1] ?? '')));
        return;
      }
      const approve = url.pathname.match(/^\/_local\/events\/([^/]+)\/approve$/);
      if (approve && method === 'POST') {
        const { approvedBy } = JSON.parse((await readBody(req)).toString('utf8') || '{}') as {
          approvedBy?: unknown;
        };
        const by = typeof approvedBy === 'string' ? approvedBy : '';
        writeJson(res, 200, await api.approve(decodeURIComponent(approve[1] ?? ''), by));
        return;
      }
      // A known layoff: N more revocations past the guard (`scimitar approve-burst`).
      if (url.pathname === '/_local/bursts' && method === 'POST') {
        const body = (await readBody(req)).toString('utf8') || '{}';
        let input: unknown;
        try {
          input = JSON.parse(body);
        } catch {
          throw new ValidationError('invalid burst approval', ['the body is not JSON']);
        }
        writeJson(res, 200, await api.approveBurst(input));
        return;
      }
      const status = url.pathname.match(/^\/_local\/events\/([^/]+)$/);
      if (status && method === 'GET') {
        const eventId = decodeURIComponent(status[1] ?? '');
        // The latest attempt: the first delivery's execution, or the last retry of it.
        const attempts = attemptsOf(api.workflow, eventId);
        const execution = attempts.at(-1);
        writeJson(res, 200, {
          eventId,
          attempts: attempts.map((a) => ({ name: a.name, status: a.status, error: a.error })),
          execution: execution
            ? {
                name: execution.name,
                executionArn: execution.executionArn,
                status: execution.status,
                error: execution.error,
                output: execution.output,
              }
            : null,
          ...(await lifecycleOf(api, eventId)),
        });
        return;
      }
      const person = url.pathname.match(/^\/_local\/people\/([^/]+)$/);
      if (person && method === 'GET') {
        const personId = decodeURIComponent(person[1] ?? '');
        writeJson(res, 200, {
          personId,
          audit: await api.audit.forPerson(personId),
          ledger: await api.ledger.forPerson(personId),
          pending: (await api.pendingTermination(personId)) ?? null,
        });
        return;
      }
      const redriveMatch = url.pathname.match(/^\/_local\/targets\/([^/]+)\/redrive$/);
      if (redriveMatch && method === 'POST') {
        const targetId = decodeURIComponent(redriveMatch[1] ?? '');
        if (!api.lanes.has(targetId)) {
          writeJson(res, 404, { error: 'unknown_target', message: `no SCIM target "${targetId}"` });
          return;
        }
        writeJson(res, 200, { targetId, redriven: await api.redrive(targetId) });
        return;
      }
      if (url.pathname === '/_local/targets' && method === 'GET') {
        const targets = [];
        for (const [targetId, lane] of api.lanes) {
          targets.push({
            targetId,
            displayName: lane.target.displayName,
            baseUrl: lane.target.baseUrl,
            deadLetters: await api.deadLetters(targetId),
            accounts: lane.app
              ? [...lane.app.users.values()].map((u) => ({
                  userName: u.userName,
                  active: u.active,
                  externalId: u.externalId,
                }))
              : null,
          });
        }
        writeJson(res, 200, { targets });
        return;
      }
      if (url.pathname === '/_local/targets/check' && method === 'POST') {
        const only = namedTargets();
        if (!only) return;
        writeJson(res, 200, { results: await api.checkTargets(only.length > 0 ? only : undefined) });
        return;
      }
      if (url.pathname === '/_local/reconcile' && method === 'POST') {
        const only = namedTargets();
        if (!only) return;
        writeJson(
          res,
          200,
          await api.reconcile({
            ...(only.length ? { targets: only } : {}),
            restart: url.searchParams.has('restart'),
          }),
        );
        return;
      }
      if (url.pathname === '/_local/coverage' && method === 'GET') {
        writeJson(res, 200, await api.coverage());
        return;
      }
      if (url.pathname === '/_local/notifications' && method === 'GET') {
        writeJson(res, 200, { alerts: api.alerts.sent, owners: api.owners.sent });
        return;
      }
      writeJson(res, 404, { error: 'not_found', message: `no route ${method} ${url.pathname}` });
    }
  });
}

/**
 * An event's audit with what the person's later events did to it (RESCHEDULED, RESCINDED,
 * REHIRED are written under the event that caused them), and the person's pending termination.
 */
async function lifecycleOf(api: LocalApi, eventId: string) {
  const own = await api.audit.forEvent(eventId);
  const personId = own.find((e) => e.personId)?.personId;
  if (!personId) return { audit: own, pending: null };
  const related = (await api.audit.forPerson(personId)).filter(
    (e) => e.eventId !== eventId && e.detail?.pendingEventId === eventId,
  );
  const audit = [...own, ...related].sort(compareAuditEntries);
  return { audit, pending: (await api.pendingTermination(personId)) ?? null };
}
