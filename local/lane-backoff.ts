// A lane's retry backoff on the runtime's clock. The worker delays a message it will retry through
// the message's visibility (Retry-After, or its backoff); the queue (fauxqs) counts that delay in
// real time. When the runtime's clock is moved forward past the delay, this releases the message
// at once (visibility 0), so a test need not wait out a backoff. Without advances the queue's own
// timer releases it, exactly as before (and as SQS does, across a restart too).
import type { MessageVisibility } from '../lambdas/core/revocation/ports.ts';
import type { LocalClock } from './clock.ts';

/** Below this much real time left, the queue's own release is as soon as ours: leave it to the queue. */
const EARLY_MARGIN_MS = 100;

export class ClockedVisibility implements MessageVisibility {
  constructor(
    private readonly queue: MessageVisibility,
    private readonly clock: LocalClock,
    /** Called when an early release fails (the message is back anyway when its delay ends). */
    private readonly onError: (err: unknown) => void = () => {},
  ) {}

  async delay(receiptHandle: string, seconds: number): Promise<void> {
    await this.queue.delay(receiptHandle, seconds);
    if (seconds <= 0) return;
    const releasedByQueueAt = Date.now() + seconds * 1000;
    void this.clock.sleep(seconds * 1000).then(async () => {
      // Woken by real time: the queue releases it (or already did; its receipt handle may be stale).
      if (releasedByQueueAt - Date.now() < EARLY_MARGIN_MS) return;
      await this.queue.delay(receiptHandle, 0).catch(this.onError);
    });
  }
}
