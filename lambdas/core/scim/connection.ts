// One SCIM request, end to end: pace, authorize (re-reading the credential once after a 401), send
// through the HTTP transport, record the exchange as evidence, and map the answer (answers.ts).
import { HttpTransport } from '../http/transport.ts';
import { type Expect, interpret, type Sent, unansweredError } from './answers.ts';
import { type CredentialSource, CredentialUnavailableError } from './credentials.ts';
import { ScimCredentialError, ScimError } from './errors.ts';
import {
  type RequestRecord,
  type ResolvedOptions,
  resolveOptions,
  type ScimClientOptions,
  type ScimQuirks,
} from './options.ts';

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

  constructor(options: ScimClientOptions) {
    this.resolved = resolveOptions(options);
    this.quirks = this.resolved.quirks;
    this.credentials = options.credentials;
    this.clock = options.clock ?? Date.now;
    this.pace = options.pace;
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

  /** One request, with a single credential refresh on 401; every failure mapped to a ScimError. */
  async send(method: string, path: string, opts: SendOptions): Promise<Sent> {
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
    return interpret(method, path, answer, {
      expect: opts.expect,
      ...(opts.allowNotFound !== undefined && { allowNotFound: opts.allowNotFound }),
      authorization,
      now: this.clock(),
    });
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
