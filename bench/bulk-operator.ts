// The two outside parties of the layoff benchmark: the HRIS that posts signed terminations to the
// ingest API, and the operator who reads the alerts: on the first hold, knowing a layoff is under
// way, it approves a burst for every target (the route `scimitar approve-burst --all` calls), and
// it approves each revocation held before that (the route `scimitar approve` calls).
import { GENERIC_SIGNATURE_HEADER, signGeneric } from '../lambdas/core/ingest/signature.ts';
import type { DemoPerson } from '../local/demo-people.ts';
import type { LocalNotifier } from '../local/notifier.ts';

/**
 * fetch, again after a dropped connection (a keep-alive socket the server closed as the request
 * went out): up to five tries, as an HRIS retries a delivery. Ingest keys on the eventId, so a
 * delivery that did arrive is not revoked twice.
 */
async function deliver(url: string, init: RequestInit): Promise<Response> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await fetch(url, init);
    } catch (err) {
      if (attempt >= 5 || !(err instanceof TypeError)) throw err;
      await new Promise((resolve) => setTimeout(resolve, 200 * attempt));
    }
  }
}

/** Posts one termination as the generic source, signed when sent; waits out a 429 from the API. */
export async function sendTermination(
  url: string,
  key: string,
  eventId: string,
  person: DemoPerson,
  terminationType: 'voluntary' | 'involuntary',
): Promise<void> {
  const body = JSON.stringify({
    eventId,
    source: 'generic',
    occurredAt: new Date().toISOString(),
    kind: 'termination',
    terminationType,
    person: {
      employeeId: person.employeeId,
      userName: person.userName,
      emails: person.emails,
      externalId: person.employeeId,
    },
  });
  for (;;) {
    const response = await deliver(`${url}/events/generic`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        [GENERIC_SIGNATURE_HEADER]: signGeneric(body, key, new Date()),
      },
      body,
    });
    if (response.status === 202 || response.status === 200) return;
    if (response.status !== 429)
      throw new Error(`ingest answered ${response.status}: ${await response.text()}`);
    await new Promise((resolve) =>
      setTimeout(resolve, Number(response.headers.get('retry-after') ?? 1) * 1000),
    );
  }
}

/**
 * On the first alert that the blast-radius guard held a revocation, approves a burst of
 * `burst` revocations at every target for the window; then approves every event an alert says
 * was held, once, as soon as it sees the alert. The alerts are the runtime's alert topic
 * (`npm run scimitar -- alarms` lists those the stack keeps).
 */
export class LayoffOperator {
  /** When each event's approval was answered (epoch ms). */
  readonly approvedAt = new Map<string, number>();
  /** When the burst approval was answered (epoch ms). */
  burstAt: number | undefined;
  /** Approvals the runtime refused (409: nothing held any more). */
  refused = 0;
  private read = 0;
  private readonly queue: string[] = [];
  private readonly asked = new Set<string>();

  constructor(
    private readonly url: string,
    private readonly alerts: LocalNotifier,
    private readonly burst: number,
    /** The layoff's expected end: the burst covers each window until then, so a window boundary mid-run holds nothing. */
    private readonly until: () => Date,
  ) {}

  /** Held events seen and not yet approved. */
  pending(): number {
    return this.queue.length + this.alerts.sent.length - this.read;
  }

  firstApprovalMs(since: number): number {
    const first = Math.min(...this.approvedAt.values());
    return Number.isFinite(first) ? first - since : Number.NaN;
  }

  /** Reads the new alerts and approves what they say is held, ten approvals at a time. */
  async tick(): Promise<void> {
    for (const alert of this.alerts.sent.slice(this.read)) {
      const eventId = /^Event (\S+): /m.exec(alert.message)?.[1];
      if (eventId && alert.message.includes('blast-radius guard') && !this.asked.has(eventId)) {
        this.asked.add(eventId);
        this.queue.push(eventId);
      }
    }
    this.read = this.alerts.sent.length;
    if (this.burstAt === undefined && this.queue.length > 0) await this.approveBurst();
    while (this.queue.length > 0) {
      await Promise.all(this.queue.splice(0, 10).map((eventId) => this.approve(eventId)));
    }
  }

  /** The burst for every target, until the layoff's end (also what `tick` does on the first hold). */
  async approveBurst(): Promise<void> {
    const response = await deliver(`${this.url}/_local/bursts`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        targets: 'all',
        count: this.burst,
        approvedBy: 'bench-operator',
        reason: 'bench:bulk: the layoff is known and under way',
        until: this.until().toISOString(),
      }),
    });
    if (response.status !== 200)
      throw new Error(`approve-burst answered ${response.status}: ${await response.text()}`);
    this.burstAt = Date.now();
  }

  private async approve(eventId: string): Promise<void> {
    const response = await deliver(`${this.url}/_local/events/${encodeURIComponent(eventId)}/approve`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ approvedBy: 'bench-operator' }),
    });
    if (response.status === 200) this.approvedAt.set(eventId, Date.now());
    else if (response.status === 409) this.refused++;
    else throw new Error(`approve ${eventId} answered ${response.status}: ${await response.text()}`);
  }
}
