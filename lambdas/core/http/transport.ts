// The one way scimitar speaks HTTP to a target and its endpoints (SCIM, OAuth2 token, mint and
// revoke): a timeout over the whole exchange, redirects never followed, the body read up to a bound,
// and failures that carry their kind only, never the request (an undici cause can hold headers).

export interface HttpTransportOptions {
  /** Per request, response body included. @default 10_000 */
  readonly timeoutMs?: number;
  /** Larger answers are refused while they are read. @default 16 MiB */
  readonly maxBodyBytes?: number;
  /** @default globalThis.fetch */
  readonly fetch?: typeof fetch;
  /** Milliseconds since the epoch, for the exchange's duration. @default Date.now */
  readonly clock?: () => number;
}

export interface HttpRequest {
  readonly method: string;
  readonly url: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly body?: string | URLSearchParams;
}

/** A response whose body has been read in full. */
export interface HttpAnswer {
  readonly status: number;
  readonly headers: Headers;
  readonly text: string;
  /** Request sent to answer read in full, on the transport's clock. */
  readonly durationMs: number;
}

export type UnansweredReason = 'timeout' | 'connection' | 'too-large';

/**
 * No complete answer: timed out, the connection failed, or the body passed the bound. Carries the
 * reason and the socket's error code (ECONNRESET...), never the request or the underlying error.
 */
export class HttpUnansweredError extends Error {
  readonly reason: UnansweredReason;
  /** The socket's error code, when the connection failed and undici named it. */
  readonly code?: string;

  constructor(reason: UnansweredReason, message: string, code?: string) {
    super(message);
    this.name = 'HttpUnansweredError';
    this.reason = reason;
    if (code !== undefined) this.code = code;
  }
}

export const DEFAULT_TIMEOUT_MS = 10_000;
export const DEFAULT_MAX_BODY_BYTES = 16 * 1024 * 1024;

export class HttpTransport {
  readonly timeoutMs: number;
  readonly maxBodyBytes: number;
  private readonly fetchFn: typeof fetch;
  private readonly clock: () => number;

  constructor(options: HttpTransportOptions = {}) {
    this.timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    if (!(this.timeoutMs > 0))
      throw new Error(`HttpTransport: timeoutMs must be positive, got ${this.timeoutMs}`);
    this.maxBodyBytes = options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
    if (!(this.maxBodyBytes > 0)) {
      throw new Error(`HttpTransport: maxBodyBytes must be positive, got ${this.maxBodyBytes}`);
    }
    this.fetchFn = options.fetch ?? globalThis.fetch;
    this.clock = options.clock ?? Date.now;
  }

  /** Sends the request and reads the whole body under one timeout. @throws HttpUnansweredError */
  async send(request: HttpRequest): Promise<HttpAnswer> {
    const startedAt = this.clock();
    try {
      const response = await this.fetchFn(request.url, {
        method: request.method,
        headers: request.headers,
        ...(request.body !== undefined && { body: request.body }),
        // A redirect could carry the Authorization header elsewhere; our endpoints do not redirect.
        redirect: 'manual',
        signal: AbortSignal.timeout(this.timeoutMs),
      });
      const text = await this.readBody(response);
      const durationMs = Math.max(0, this.clock() - startedAt);
      return { status: response.status, headers: response.headers, text, durationMs };
    } catch (err) {
      throw this.unanswered(err);
    }
  }

  /** The body as text, refused once it passes maxBodyBytes (announced or as read). */
  private async readBody(response: Response): Promise<string> {
    const announced = Number(response.headers.get('content-length'));
    if (announced > this.maxBodyBytes) {
      await response.body?.cancel().catch(() => undefined);
      throw this.tooLarge();
    }
    if (!response.body) return '';
    const chunks: Uint8Array[] = [];
    let size = 0;
    const reader = response.body.getReader();
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      size += value.byteLength;
      if (size > this.maxBodyBytes) {
        await reader.cancel().catch(() => undefined);
        throw this.tooLarge();
      }
      chunks.push(value);
    }
    // TextDecoder as Response.text() decodes: UTF-8, a leading BOM dropped.
    return new TextDecoder().decode(chunks.length === 1 ? chunks[0] : Buffer.concat(chunks));
  }

  private tooLarge(): HttpUnansweredError {
    return new HttpUnansweredError('too-large', `answer larger than ${this.maxBodyBytes} bytes`);
  }

  private unanswered(err: unknown): HttpUnansweredError {
    if (err instanceof HttpUnansweredError) return err;
    const name = err instanceof Error ? err.name : '';
    if (name === 'TimeoutError' || name === 'AbortError') {
      return new HttpUnansweredError('timeout', `no complete answer within ${this.timeoutMs} ms`);
    }
    // undici wraps the socket error (ECONNRESET, ECONNREFUSED...) as the cause of "fetch failed".
    const code = (err as { cause?: { code?: unknown } } | undefined)?.cause?.code;
    return typeof code === 'string'
      ? new HttpUnansweredError('connection', `connection failed (${code})`, code)
      : new HttpUnansweredError('connection', 'connection failed (network error)');
  }
}

/** Removes every occurrence of the given secrets from text a server sent back (some echo the token). */
export function redactSecrets(text: string, secrets: readonly string[]): string {
  let out = text;
  for (const secret of secrets) {
    if (secret.length >= 4) out = out.split(secret).join('[redacted]');
  }
  return out;
}
