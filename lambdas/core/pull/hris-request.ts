// One authenticated read from an HRIS API (BambooHR, HiBob, Workday RaaS): over the shared
// transport (timeout, no redirects, bounded body), a throttled answer waited out within a small
// budget, and failures that say what to do and never carry the credential.
import { HttpTransport, HttpUnansweredError, redactSecrets } from '../http/transport.ts';
import { ScimitarError } from '../model/errors.ts';

/** A pull could not read what it needs; the message names the source and the fix, never a secret. */
export class PullError extends ScimitarError {
  /** The HTTP status, when the HRIS answered. */
  readonly status?: number;

  constructor(message: string, options?: ErrorOptions & { status?: number }) {
    super(message, options);
    this.name = 'PullError';
    if (options?.status !== undefined) this.status = options.status;
  }
}

export interface HrisRequest {
  /** The source id and vendor, for messages: `workday "wd"`. */
  readonly who: string;
  readonly method: 'GET' | 'POST';
  readonly url: string;
  /** The Authorization header's value. */
  readonly authorization: string;
  readonly body?: string;
  /** What the credential is, for a 401/403 message: "the API key in secret x". */
  readonly credential: string;
  /** Strings never to appear in an error (the credential's parts). */
  readonly secrets: readonly string[];
}

export interface HrisReaderOptions {
  /** @default - a transport with a 30 s timeout and a 64 MiB body bound (a whole roster in one answer) */
  readonly transport?: HttpTransport;
  /** Attempts when the HRIS throttles (429, or BambooHR's 503 with Retry-After). @default 3 */
  readonly attempts?: number;
  /** Longest wait for one Retry-After; a longer one fails now and the next schedule retries. @default 30_000 */
  readonly maxWaitMs?: number;
  /** @default setTimeout */
  readonly sleep?: (ms: number) => Promise<void>;
}

const BODY_SHOWN = 200;

export class HrisReader {
  private readonly transport: HttpTransport;
  private readonly attempts: number;
  private readonly maxWaitMs: number;
  private readonly sleep: (ms: number) => Promise<void>;

  constructor(options: HrisReaderOptions = {}) {
    this.transport =
      options.transport ?? new HttpTransport({ timeoutMs: 30_000, maxBodyBytes: 64 * 1024 * 1024 });
    this.attempts = options.attempts ?? 3;
    this.maxWaitMs = options.maxWaitMs ?? 30_000;
    this.sleep = options.sleep ?? ((ms) => new Promise((done) => setTimeout(done, ms)));
  }

  /** The answer's JSON. @throws PullError */
  async json(request: HrisRequest): Promise<unknown> {
    const text = await this.read(request);
    try {
      return JSON.parse(text);
    } catch {
      throw new PullError(
        `${request.who}: the answer is not JSON; check the URL and that the report's format is json`,
      );
    }
  }

  private async read(request: HrisRequest): Promise<string> {
    for (let attempt = 1; ; attempt++) {
      let answer: Awaited<ReturnType<HttpTransport['send']>>;
      try {
        answer = await this.transport.send({
          method: request.method,
          url: request.url,
          headers: {
            authorization: request.authorization,
            accept: 'application/json',
            ...(request.body !== undefined && { 'content-type': 'application/json' }),
          },
          ...(request.body !== undefined && { body: request.body }),
        });
      } catch (err) {
        if (err instanceof HttpUnansweredError) {
          throw new PullError(`${request.who}: no answer from ${hostOf(request.url)} (${err.message})`);
        }
        throw err;
      }
      if (answer.status >= 200 && answer.status < 300) return answer.text;
      const wait = throttleWaitMs(answer.status, answer.headers.get('retry-after'));
      if (wait !== undefined && attempt < this.attempts && wait <= this.maxWaitMs) {
        await this.sleep(wait);
        continue;
      }
      throw new PullError(describeFailure(request, answer.status, answer.text, wait), {
        status: answer.status,
      });
    }
  }
}

/** How long a throttled answer asks us to wait; undefined when the answer is no throttle. */
function throttleWaitMs(status: number, retryAfter: string | null): number | undefined {
  // BambooHR throttles with 503 and Retry-After (429 from September 2026); others with 429.
  if (status !== 429 && !(status === 503 && retryAfter !== null)) return undefined;
  const seconds = Number(retryAfter);
  if (retryAfter !== null && Number.isFinite(seconds) && seconds >= 0) return seconds * 1000;
  const date = retryAfter === null ? Number.NaN : Date.parse(retryAfter);
  return Number.isNaN(date) ? 1000 : Math.max(0, date - Date.now());
}

function describeFailure(request: HrisRequest, status: number, body: string, wait?: number): string {
  const shown = redactSecrets(body, request.secrets).replace(/\s+/g, ' ').trim().slice(0, BODY_SHOWN);
  const said = shown ? `: ${shown}` : '';
  if (status === 401)
    return `${request.who}: 401 Unauthorized: ${request.credential} was refused; renew it (docs/roster-pull.md)${said}`;
  if (status === 403)
    return `${request.who}: 403 Forbidden: ${request.credential} may not read this; grant it the fields or report (docs/roster-pull.md)${said}`;
  if (status === 404)
    return `${request.who}: 404 Not Found at ${pathOf(request.url)}; check the configured URL, domain or report${said}`;
  if (wait !== undefined)
    return `${request.who}: throttled (${status}) past the retries; the next scheduled pull tries again`;
  return `${request.who}: answered ${status}${said}`;
}

const hostOf = (url: string) => new URL(url).host;
const pathOf = (url: string) => new URL(url).pathname;

/** `Basic base64(user:password)`. */
export function basicAuthorization(user: string, password: string): string {
  return `Basic ${Buffer.from(`${user}:${password}`, 'utf8').toString('base64')}`;
}
