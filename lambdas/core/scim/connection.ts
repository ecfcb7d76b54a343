// One SCIM request, end to end: pace, authorize (re-reading the credential once after a 401), send
// through the HTTP transport, record the exchange as evidence, wait out and resend a throttled
// request (rate-limit.ts) while the wait fits, and map the answer (answers.ts).
import { HttpTransport } from '../http/transport.ts';
import { type Expect, interpret, type Sent, unansweredError } from './answers.ts';
import { type CredentialSource, CredentialUnavailableError } from './credentials.ts';
import { ScimCredentialError, ScimError, ScimThrottledError } from './errors.ts';
import {
  type RequestRecord,
  type ResolvedOptions,
  resolveOptions,
  type ScimClientOptions,
  type ScimQuirks,
} from './options.ts';
import { DEFAULT_THROTTLE_WAIT_MS, isThrottled, rateLimitSignal } from './rate-limit.ts';

export interface SendOptions {
  readonly body?: unknown;
  readonly expect: Expect;
  /** Return 404 to the caller instead of throwing. */
  readonly allowNotFound?: boolean;
  readonly trace?: RequestRecord[] | undefined;
}

export const USERS = '/Users';
export const GROUPS = '/Groups';

export class ScimConnection {
  readonly quirks: ScimQuirks;
  private readonly resolved: ResolvedOptions;
  private readonly transport: HttpTransport;
  private readonly credentials: CredentialSource;
  private readonly clock: () => number;
  private readonly pace: (() => Promise<void>) | undefined;
  private readonly onRateLimited: ScimClientOptions['onRateLimited'];
  private readonly sleep: (ms: number) => Promise<void>;

  constructor(options: ScimClientOptions) {
    this.resolved = resolveOptions(options);
    this.quirks = this.resolved.quirks;
    this.credentials = options.credentials;
    this.clock = options.clock ?? Date.now;
    this.pace = options.pace;
    this.onRateLimited = options.onRateLimited;
    this.sleep = options.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms)));
    this.transport = new HttpTransport({
      timeoutMs: this.resolved.timeoutMs,
      clock: this.clock,
      ...(options.fetch && { fetch: options.fetch }),
      ...(options.maxBodyBytes !== undefined && { maxBodyBytes: options.maxBodyBytes }),
    });
  }

  userPath(id: string): string {
    if (!id) throw new Error('ScimClient: account id is empty');
    return `${USERS}/${encodeURIComponent(id)}`;
  }

  /**
   * One request, with a single credential refresh on 401, sent again while the server throttles it
   * and the wait fits `throttleWaitMaxMs`; every failure mapped to a ScimError.
   */
  async send(method: string, path: string, opts: SendOptions): Promise<Sent> {
    // Without a shared trace, the allowance is this request's own.
    const trace = opts.trace ?? [];
    for (;;) {
      const { answer, authorization } = await this.authorized(method, path, { ...opts, trace });
      const now = this.clock();
      const signal = rateLimitSignal(answer.status, answer.headers, now);
      if (signal) await this.onRateLimited?.(signal);
      if (!signal || !isThrottled(answer.status, answer.headers)) {
        return interpret(method, path, answer, {
          expect: opts.expect,
          ...(opts.allowNotFound !== undefined && { allowNotFound: opts.allowNotFound }),
          authorization,
          now,
        });
      }
      const asked = Math.max(0, signal.untilMs - now);
      const waited = throttledSoFar(trace);
      // The throttled exchange is the trace's last record: mark it, so audit shows the wait asked.
      trace.push({ ...(trace.pop() as RequestRecord), throttledMs: asked });
      // Each throttled answer counts at least 1 s: `Retry-After: 0` forever still ends.
      if (waited + Math.max(asked, DEFAULT_THROTTLE_WAIT_MS) > this.resolved.throttleWaitMaxMs) {
        throw new ScimThrottledError(
          `server answered ${answer.status} (rate limited) and asks to wait ${asked} ms; this operation already waited ${waited} ms of the ${this.resolved.throttleWaitMaxMs} ms it may`,
          { method, path, status: answer.status, retryAfterMs: asked, throttledWaitMs: waited },
        );
      }
      // Safe for a write too: a rate limiter (429) or an unavailable server (503) refuses the request
      // before the application acts on it, so sending it again applies it once, not twice; and the
      // revoking writes are idempotent anyway (a second deactivate changes nothing, a second DELETE
      // is answered 404, read as already gone). `pace` (a shared budget paused by onRateLimited)
      // holds the next send too; the sleep covers a client without one.
      await this.sleep(Math.max(0, signal.untilMs - this.clock()));
    }
  }

  /** One exchange, re-reading the credential once after a 401. */
  private async authorized(method: string, path: string, opts: SendOptions) {
    let authorization = await this.readCredential(method, path, false);
    let answer = await this.exchange(method, path, authorization, opts);
    if (answer.status === 401) {
      authorization = await this.readCredential(method, path, true);
      answer = await this.exchange(method, path, authorization, opts);
      if (answer.status === 401) {
        throw new ScimCredentialError('server answered 401 twice; the credential was re-read in between', {
          method,
          path,
          status: 401,
        });
      }
    }
    return { answer, authorization };
  }

  private async readCredential(method: string, path: string, refresh: boolean): Promise<string> {
    try {
      return await this.credentials.authorization(refresh ? { refresh } : undefined);
    } catch (err) {
      if (err instanceof ScimError) throw err;
      if (err instanceof CredentialUnavailableError) {
        throw new ScimCredentialError(`could not read the credential: ${err.message}`, { method, path });
      }
      // The provider's own error may quote what it read; keep only its kind.
      const kind = err instanceof Error ? err.name : typeof err;
      throw new ScimCredentialError(`could not read the credential (${kind})`, { method, path });
    }
  }

  /** Waits for the rate budget, then sends; the wait is recorded apart from the server's time. */
  private async exchange(method: string, path: string, authorization: string, opts: SendOptions) {
    const headers: Record<string, string> = {
      authorization,
      accept: 'application/scim+json, application/json',
      'user-agent': this.resolved.userAgent,
    };
    if (opts.body !== undefined) headers['content-type'] = 'application/scim+json';
    const waitStartedAt = this.clock();
    await this.pace?.();
    const waitMs = Math.max(0, this.clock() - waitStartedAt);
    let answer: Awaited<ReturnType<HttpTransport['send']>>;
    try {
      answer = await this.transport.send({
        method,
        url: `${this.resolved.baseUrl}${path}`,
        headers,
        ...(opts.body !== undefined && { body: JSON.stringify(opts.body) }),
      });
    } catch (err) {
      throw unansweredError(method, path, err);
    }
    opts.trace?.push({ method, path, status: answer.status, durationMs: answer.durationMs, waitMs });
    return answer;
  }
}

/** What the throttled answers recorded in this trace asked to wait, together. */
function throttledSoFar(trace: readonly RequestRecord[]): number {
  return trace.reduce(
    (sum, r) => sum + (r.throttledMs === undefined ? 0 : Math.max(r.throttledMs, DEFAULT_THROTTLE_WAIT_MS)),
    0,
  );
}
