import type { TimerHandle, Timers } from '../core/clock.js';

/**
 * A budget of request frames read per source host and second (issue 11: admission before
 * work). Past it, the host's streams are simply not read until the next second: QUIC flow
 * control holds its further requests at the sender, so a flood costs neither decryption of
 * stream data into frames, nor decoding, nor an answer. Set above the engine's request quota
 * (twice by default), so that a host a little over its quota still gets error 4 answers from
 * the engine (SPEC §3.1) and only a flood is held back.
 */
export class HostPacer {
  private counts = new Map<string, number>();
  private windowStartMs = -Infinity;
  private waiters: Array<() => void> = [];
  private timer: TimerHandle | null = null;

  constructor(
    private readonly framesPerSecond: number,
    private readonly timers: Timers,
  ) {}

  /** Counts `frames` read from `host`; true while the host stays within its budget. */
  take(host: string, frames: number): boolean {
    this.roll();
    const count = (this.counts.get(host) ?? 0) + frames;
    this.counts.set(host, count);
    return count < this.framesPerSecond;
  }

  /** Whether `host` has used up this second's budget (its streams wait). */
  exhausted(host: string): boolean {
    this.roll();
    return (this.counts.get(host) ?? 0) >= this.framesPerSecond;
  }

  /** Resolves when the next second begins (one timer, whatever the number of waiters). */
  nextWindow(): Promise<void> {
    return new Promise((resolve) => {
      this.waiters.push(resolve);
      if (this.timer === null) {
        const leftMs = Math.max(0, this.windowStartMs + WINDOW_MS - this.timers.now());
        this.timer = this.timers.setTimer(leftMs, () => this.release());
      }
    });
  }

  stop(): void {
    this.timer?.cancel();
    this.release();
  }

  private release(): void {
    this.timer = null;
    const waiters = this.waiters;
    this.waiters = [];
    for (const resolve of waiters) resolve();
  }

  private roll(): void {
    const nowMs = this.timers.now();
    if (nowMs - this.windowStartMs < WINDOW_MS) return;
    this.counts = new Map();
    this.windowStartMs = nowMs;
  }
}

const WINDOW_MS = 1_000;
