// Error mapping: what a SCIM server's answer (or its silence) means for the client, as a typed
// ScimError (errors.ts), and the parsing of the resources it answered. No credential reaches an error.
import { type HttpAnswer, HttpUnansweredError, redactSecrets } from '../http/transport.ts';
import {
  parseRetryAfter,
  type ScimError,
  ScimMalformedResponseError,
  ScimNotFoundError,
  ScimPermanentError,
  ScimRetryableError,
} from './errors.ts';
import {
  cursorListResponseSchema,
  describeIssues,
  errorBodySchema,
  listResponseSchema,
  type ScimAccount,
  toAccount,
  userSchema,
} from './responses.ts';

export type Expect = 'json' | 'json-or-empty' | 'empty';

export interface Interpretation {
  readonly expect: Expect;
  /** Return 404 to the caller instead of throwing. */
  readonly allowNotFound?: boolean;
  /** The Authorization header sent: removed from anything the server echoes. */
  readonly authorization: string;
  /** Now, for Retry-After dates. */
  readonly now: number;
}

export interface Sent {
  readonly status: number;
  readonly json?: unknown;
}

/** No answer at all: retryable, as a timeout or connection failure (or an unbounded body) is. */
export function unansweredError(method: string, path: string, err: unknown): ScimError {
  if (!(err instanceof HttpUnansweredError)) throw err;
  const details = { method, path };
  return err.reason === 'too-large'
    ? new ScimMalformedResponseError(`server ${err.message}`, details)
    : new ScimRetryableError(err.message, details);
}

/** A 2xx answer's JSON, or the ScimError its status means. */
export function interpret(method: string, path: string, answer: HttpAnswer, how: Interpretation): Sent {
  const { status, text } = answer;
  if (status >= 200 && status < 300) {
    if (how.expect === 'empty' || (how.expect === 'json-or-empty' && text.trim() === '')) return { status };
    try {
      return { status, json: JSON.parse(text) };
    } catch {
      throw new ScimMalformedResponseError(`server answered ${status} with a body that is not JSON`, {
        method,
        path,
        status,
      });
    }
  }
  if (status === 404 && how.allowNotFound) return { status };
  throw refusal(method, path, answer, how);
}

function refusal(method: string, path: string, answer: HttpAnswer, how: Interpretation): ScimError {
  const { status } = answer;
  const secrets = [how.authorization, how.authorization.replace(/^\S+\s+/, '')];
  const body = parseErrorBody(answer.text);
  const detail = body?.detail === undefined ? undefined : redactSecrets(body.detail, secrets).slice(0, 500);
  const scimType = body?.scimType;
  const details = {
    method,
    path,
    status,
    ...(scimType !== undefined && { scimType }),
    ...(detail !== undefined && { detail }),
  };
  const said = `${status}${scimType ? ` ${scimType}` : ''}${detail ? `: ${detail}` : ''}`;
  // 501 Not Implemented will not change by waiting.
  if (status === 429 || (status >= 500 && status !== 501)) {
    const retryAfterMs = parseRetryAfter(answer.headers.get('retry-after'), how.now);
    return new ScimRetryableError(`server answered ${said}`, {
      ...details,
      ...(retryAfterMs !== undefined && { retryAfterMs }),
    });
  }
  if (status === 404) return new ScimNotFoundError(`not found: ${said}`, details);
  if (status >= 300 && status < 400) {
    return new ScimPermanentError(`server answered a redirect (${status}); not followed`, details);
  }
  return new ScimPermanentError(`server refused the request: ${said}`, details);
}

/** A SCIM error body, when there is one; bare 404s and HTML pages give undefined. */
function parseErrorBody(text: string) {
  if (!text.trim()) return undefined;
  try {
    const parsed = errorBodySchema.safeParse(JSON.parse(text));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}

export function parseUser(json: unknown, method: string, path: string): ScimAccount {
  const parsed = userSchema.safeParse(json);
  if (!parsed.success) {
    throw new ScimMalformedResponseError(`server answered an invalid User: ${describeIssues(parsed.error)}`, {
      method,
      path,
      status: 200,
    });
  }
  return toAccount(parsed.data);
}

/** A ListResponse; with cursor paging totalResults may be absent (RFC 9865). */
export function parseList(json: unknown, method: string, path: string, paging: 'index' | 'cursor' = 'index') {
  const parsed = (paging === 'cursor' ? cursorListResponseSchema : listResponseSchema).safeParse(json);
  if (!parsed.success) {
    throw new ScimMalformedResponseError(
      `server answered an invalid ListResponse: ${describeIssues(parsed.error)}`,
      { method, path, status: 200 },
    );
  }
  return parsed.data;
}
