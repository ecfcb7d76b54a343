// The generic session hook: for anything without a session API scimitar knows, a POST of the
// person's identifier to a URL the owner runs, signed as scimitar's own generic source is signed
// (X-Scimitar-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(key, `${t}.${body}`)>), so the
// receiver can check it with the same code and refuse replays by the timestamp. 2xx is done.
import { HttpTransport } from '../http/transport.ts';
import { GENERIC_SIGNATURE_HEADER, signGeneric } from '../ingest/signature.ts';
import type { MatchAttribute } from '../model/config.ts';
import { interpret, unansweredError } from '../scim/answers.ts';
import { ScimCredentialError, ScimThrottledError, type SecretProvider } from '../scim/index.ts';
import type { RequestRecord } from '../scim/options.ts';
import { isThrottled, rateLimitSignal } from '../scim/rate-limit.ts';
import type { SessionApi } from './providers.ts';

export const HOOK_EVENT_TYPE = 'scimitar.revoke-sessions';

export interface SessionHookOptions {
  readonly url: string;
  readonly targetId: string;
  readonly attribute: MatchAttribute;
  /** The HMAC key, read from the target's secret. */
  readonly key: SecretProvider;
  /** The target's rate budget. @default - no pacing */
  readonly pace?: () => Promise<void>;
  readonly onRateLimited?: (signal: NonNullable<ReturnType<typeof rateLimitSignal>>) => Promise<void>;
  readonly fetch?: typeof fetch;
  /** @default Date.now */
  readonly clock?: () => number;
  /** @default 10_000 */
  readonly timeoutMs?: number;
}

/** The body the hook receives. */
export interface SessionHookBody {
  readonly type: typeof HOOK_EVENT_TYPE;
  readonly targetId: string;
  readonly match: { readonly attribute: MatchAttribute; readonly value: string };
  readonly sentAt: string;
}

export function sessionHook(options: SessionHookOptions): SessionApi {
  const clock = options.clock ?? Date.now;
  const transport = new HttpTransport({
    timeoutMs: options.timeoutMs ?? 10_000,
    clock,
    ...(options.fetch && { fetch: options.fetch }),
  });
  const path = new URL(options.url).pathname;
  return {
    // Nothing to look up: the receiver knows its users; the match value is the user.
    async find(value) {
      return { id: value, userName: value };
    },
    write: () => ({ method: 'POST', path }),
    async send(user, trace: RequestRecord[]) {
      const body = JSON.stringify({
        type: HOOK_EVENT_TYPE,
        targetId: options.targetId,
        match: { attribute: options.attribute, value: user.id },
        sentAt: new Date(clock()).toISOString(),
      } satisfies SessionHookBody);
      let key: string;
      try {
        key = (await options.key()).trim();
      } catch (err) {
        throw new ScimCredentialError(`could not read the hook's signing key (${(err as Error).name})`, {
          method: 'POST',
          path,
        });
      }
      if (!key)
        throw new ScimCredentialError("the hook's signing key secret is empty", { method: 'POST', path });
      const waitStartedAt = clock();
      await options.pace?.();
      const waitMs = Math.max(0, clock() - waitStartedAt);
      const answer = await transport
        .send({
          method: 'POST',
          url: options.url,
          headers: {
            'content-type': 'application/json',
            accept: 'application/json',
            [GENERIC_SIGNATURE_HEADER]: signGeneric(body, key, new Date(clock())),
          },
          body,
        })
        .catch((err: unknown) => {
          throw unansweredError('POST', path, err);
        });
      trace.push({ method: 'POST', path, status: answer.status, durationMs: answer.durationMs, waitMs });
      const now = clock();
      const signal = rateLimitSignal(answer.status, answer.headers, now);
      if (signal) await options.onRateLimited?.(signal);
      if (signal && isThrottled(answer.status, answer.headers)) {
        // Handed back to the lane's queue: no attempt spent, no Lambda time spent waiting.
        throw new ScimThrottledError(`hook answered ${answer.status} (rate limited)`, {
          method: 'POST',
          path,
          status: answer.status,
          retryAfterMs: Math.max(0, signal.untilMs - now),
          throttledWaitMs: 0,
        });
      }
      // 2xx is done; 5xx retried; 401/403 and other 4xx permanent; the key is never in an error.
      interpret('POST', path, answer, { expect: 'empty', authorization: key, now });
      return { gone: false };
    },
    async verify() {
      return {
        sessionsRevoked: true,
        checkedBy: 'answer',
        detail: 'the hook answered 2xx; what it ended is its own to verify',
      };
    },
  };
}
