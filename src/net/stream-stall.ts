import type { TimerHandle, Timers } from '../core/clock.js';

/**
 * Streams stalled mid-frame (SPEC §3.2: dropped after a timeout) are found by one sweep per
 * transport instead of one timer per stream. A sweep drops at most `maxDropsPerSweep` streams
 * and comes back soon for the rest, so hundreds of streams stalled together (one peer opening
 * them at once) are dropped in small batches that never stop the event loop for long.
 */
export interface StallWatch {
  /** When the frame now in progress began (its first byte); null while between frames. */
  midFrameSinceMs: number | null;
  /** Drops the stream; called once, by a sweep. */
  readonly onStall: () => void;
}

export interface StallSweeperOptions {
  readonly stallTimeoutMs: number;
  readonly timers: Timers;
  /** Streams dropped per sweep at most; the rest wait for the next one. */
  readonly maxDropsPerSweep?: number;
  /** Between two sweeps while streams stay mid-frame (the timeout's resolution). */
  readonly sweepIntervalMs?: number;
}

/**
 * Dropping a stream costs the QUIC library ~0.5-2 ms of CPU on this machine (its locks, events
 * and errors; docs/transport.md), so a batch of 4 stays a few milliseconds of work.
 */
const DEFAULT_MAX_DROPS_PER_SWEEP = 4;
/** A stall is noticed this late at most; the timeout is 10 s by default (SPEC §3.2). */
const DEFAULT_SWEEP_INTERVAL_MS = 500;
/** A sweep that left overdue streams comes back this soon, letting other work run between. */
const CATCH_UP_MS = 5;

export class StallSweeper {
  private readonly watched = new Set<StallWatch>();
  private timer: TimerHandle | null = null;
  private readonly maxDrops: number;
  private readonly intervalMs: number;

  constructor(private readonly options: StallSweeperOptions) {
    this.maxDrops = options.maxDropsPerSweep ?? DEFAULT_MAX_DROPS_PER_SWEEP;
    this.intervalMs = Math.min(
      options.sweepIntervalMs ?? DEFAULT_SWEEP_INTERVAL_MS,
      options.stallTimeoutMs,
    );
  }

  /** Streams watched now (tests, metrics). */
  get size(): number {
    return this.watched.size;
  }

  /** The stream is mid-frame (or between frames): the sweep looks at it, or forgets it. */
  update(watch: StallWatch, midFrame: boolean): void {
    if (!midFrame) {
      watch.midFrameSinceMs = null;
      this.watched.delete(watch);
      return;
    }
    if (watch.midFrameSinceMs !== null) return;
    watch.midFrameSinceMs = this.options.timers.now();
    this.watched.add(watch);
    this.arm(this.intervalMs);
  }

  /** The stream ended: no sweep concerns it any more. */
  forget(watch: StallWatch): void {
    watch.midFrameSinceMs = null;
    this.watched.delete(watch);
  }

  stop(): void {
    this.timer?.cancel();
    this.timer = null;
    this.watched.clear();
  }

  private arm(delayMs: number): void {
    if (this.timer !== null) return;
    this.timer = this.options.timers.setTimer(delayMs, () => this.sweep());
  }

  private sweep(): void {
    this.timer = null;
    const deadline = this.options.timers.now() - this.options.stallTimeoutMs;
    const overdue: StallWatch[] = [];
    for (const watch of this.watched) {
      if (watch.midFrameSinceMs !== null && watch.midFrameSinceMs <= deadline) {
        overdue.push(watch);
        if (overdue.length > this.maxDrops) break;
      }
    }
    const dropping = overdue.slice(0, this.maxDrops);
    for (const watch of dropping) {
      this.forget(watch);
      watch.onStall();
    }
    if (overdue.length > dropping.length) this.arm(CATCH_UP_MS);
    else if (this.watched.size > 0) this.arm(this.intervalMs);
  }
}
