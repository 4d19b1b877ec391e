import type { TimerHandle, Timers } from '../core/clock.js';
import { RejectionCounter, type RejectionTally } from './rejection-counter.js';

/**
 * Refusals reported as `peer_rejected` (SPEC §5: aggregated per source per minute): each is
 * counted, and the counts are recorded per host and reason by a flush one window after the
 * first refusal, so a flood costs one event per host and reason a window and the recorded
 * counts add up to the refusals made. The timer runs only while refusals wait, so an idle node
 * (and a simulation) has nothing scheduled.
 */
export class RejectionReports {
  // Its bound is on distinct (host, reason) keys; the window is the flush timer's.
  private readonly counter = new RejectionCounter();
  private flushTimer: TimerHandle | null = null;

  constructor(
    private readonly timers: Timers,
    private readonly windowMs: number,
    private readonly report: (tally: RejectionTally) => void,
  ) {}

  reject(addr: string, reason: string): void {
    this.counter.add(addr, reason);
    if (this.flushTimer !== null) return;
    this.flushTimer = this.timers.setTimer(this.windowMs, () => {
      this.flushTimer = null;
      this.flush();
    });
  }

  /** Reports what the counter holds (on its timer, and when the node stops). */
  flush(): void {
    this.flushTimer?.cancel();
    this.flushTimer = null;
    for (const tally of this.counter.drain()) this.report(tally);
  }
}
