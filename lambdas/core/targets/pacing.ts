// Keeps a worker within its target's rate budget (requests per second, burst): a token bucket the
// SCIM client waits on before each request (ScimClientOptions.pace, timed apart from the server's
// answer). Applications share their limits among every client (Slack's 600 writes/min per org),
// so scimitar spends only what the config grants it.

export interface PacingOptions {
  /** Sustained requests per second. */
  readonly ratePerSecond: number;
  /** Requests that may go at once after a quiet spell. */
  readonly burst: number;
  /** @default Date.now */
  readonly now?: () => number;
  /** @default setTimeout-based sleep */
  readonly sleep?: (ms: number) => Promise<void>;
}

export class RequestPacer {
  private tokens: number;
  private updatedAt: number;
  private queue: Promise<void> = Promise.resolve();
  private readonly now: () => number;
  private readonly sleep: (ms: number) => Promise<void>;

  constructor(private readonly options: PacingOptions) {
    if (!(options.ratePerSecond > 0))
      throw new Error(`RequestPacer: ratePerSecond must be > 0, got ${options.ratePerSecond}`);
    if (!(options.burst >= 1)) throw new Error(`RequestPacer: burst must be >= 1, got ${options.burst}`);
    this.now = options.now ?? Date.now;
    this.sleep = options.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms)));
    this.tokens = options.burst;
    this.updatedAt = this.now();
  }

  /** Resolves when the caller may send one request; callers are served in order. */
  take(): Promise<void> {
    const turn = this.queue.then(() => this.waitForToken());
    this.queue = turn.catch(() => {});
    return turn;
  }

  private async waitForToken(): Promise<void> {
    for (;;) {
      const now = this.now();
      this.tokens = Math.min(
        this.options.burst,
        this.tokens + ((now - this.updatedAt) / 1000) * this.options.ratePerSecond,
      );
      this.updatedAt = now;
      if (this.tokens >= 1) {
        this.tokens -= 1;
        return;
      }
      await this.sleep(Math.ceil(((1 - this.tokens) / this.options.ratePerSecond) * 1000));
    }
  }
}
