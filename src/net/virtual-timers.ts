import type { TimerHandle, Timers } from '../core/clock.js';
import { TesdError, invariant } from '../core/errors.js';

/** 2023-11-14T22:13:20Z: a fixed, realistic epoch so virtual timestamps look like real ones. */
export const DEFAULT_VIRTUAL_START_MS = 1_700_000_000_000;
/** Far above any honest simulation step count, low enough to stop a livelock in seconds. */
export const DEFAULT_MAX_STEPS = 10_000_000;
// Cancelled timers stay in the heap until popped (cancel is O(1)); once they outnumber the
// live ones the heap is rebuilt, so RPC timeouts that are almost always cancelled do not
// pile up. The floor keeps small heaps from being rebuilt over and over.
const COMPACT_MIN_CANCELLED = 1_024;

/** One scheduled callback; it is its own handle so a timer costs one object. */
class VirtualTimer implements TimerHandle {
  constructor(
    readonly heap: TimerHeap,
    readonly atMs: number,
    readonly seq: number,
    /** null once cancelled or fired: a fired timer cannot be cancelled into the count. */
    public callback: (() => void) | null,
  ) {}

  cancel(): void {
    if (this.callback === null) return;
    this.callback = null;
    this.heap.noteCancelled();
  }
}

/**
 * A binary min-heap ordered by (atMs, seq): ties run in insertion order, deterministically.
 * The keys sit in typed arrays beside the timers, position for position: sifting compares
 * numbers held side by side instead of reading two timer objects spread over the heap at
 * each level (a 10,000-node simulation keeps tens of thousands of timers pending).
 */
class TimerHeap {
  readonly items: VirtualTimer[] = [];
  private atMs = new Float64Array(1_024);
  private seqs = new Float64Array(1_024);
  cancelled = 0;

  push(timer: VirtualTimer): void {
    const { items } = this;
    let i = items.length;
    items.push(timer);
    if (i >= this.atMs.length) this.grow();
    const { atMs, seqs } = this;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!keyBefore(timer.atMs, timer.seq, atMs[parent]!, seqs[parent]!)) break;
      this.place(i, items[parent]!);
      i = parent;
    }
    this.place(i, timer);
  }

  /** The earliest live timer, dropping cancelled ones found on top; undefined when empty. */
  peekLive(): VirtualTimer | undefined {
    let top = this.items[0];
    while (top !== undefined && top.callback === null) {
      this.popTop();
      this.cancelled--;
      top = this.items[0];
    }
    return top;
  }

  popTop(): void {
    const last = this.items.pop();
    if (last !== undefined && this.items.length > 0) this.siftDown(0, last);
  }

  noteCancelled(): void {
    this.cancelled++;
    if (this.cancelled >= COMPACT_MIN_CANCELLED && this.cancelled * 2 > this.items.length) {
      this.compact();
    }
  }

  private place(i: number, timer: VirtualTimer): void {
    this.items[i] = timer;
    this.atMs[i] = timer.atMs;
    this.seqs[i] = timer.seq;
  }

  private grow(): void {
    const atMs = new Float64Array(this.atMs.length * 2);
    const seqs = new Float64Array(this.seqs.length * 2);
    atMs.set(this.atMs);
    seqs.set(this.seqs);
    this.atMs = atMs;
    this.seqs = seqs;
  }

  private compact(): void {
    const { items } = this;
    let live = 0;
    for (let i = 0; i < items.length; i++) {
      const timer = items[i]!;
      if (timer.callback !== null) this.place(live++, timer);
    }
    items.length = live;
    this.cancelled = 0;
    for (let i = (live >> 1) - 1; i >= 0; i--) this.siftDown(i, items[i]!);
  }

  private siftDown(start: number, timer: VirtualTimer): void {
    const { items, atMs, seqs } = this;
    const n = items.length;
    const half = n >> 1;
    let i = start;
    while (i < half) {
      let child = 2 * i + 1;
      const right = child + 1;
      if (right < n && keyBefore(atMs[right]!, seqs[right]!, atMs[child]!, seqs[child]!))
        child = right;
      if (!keyBefore(atMs[child]!, seqs[child]!, timer.atMs, timer.seq)) break;
      this.place(i, items[child]!);
      i = child;
    }
    this.place(i, timer);
  }
}

function keyBefore(atA: number, seqA: number, atB: number, seqB: number): boolean {
  return atA < atB || (atA === atB && seqA < seqB);
}

/**
 * Virtual time for deterministic simulation (STYLE.md, Tests): time moves only when a timer
 * runs, jumping straight to it, so a simulated hour costs what its callbacks cost.
 */
export class VirtualTimers implements Timers {
  private nowMs: number;
  private seq = 0;
  private readonly heap = new TimerHeap();

  constructor(startMs = DEFAULT_VIRTUAL_START_MS) {
    invariant(Number.isFinite(startMs), `virtual start time must be finite, got ${startMs}`);
    this.nowMs = startMs;
  }

  now(): number {
    return this.nowMs;
  }

  /** Live timers: scheduled, not yet run, not cancelled. */
  get pending(): number {
    return this.heap.items.length - this.heap.cancelled;
  }

  /** Schedules `callback` `delayMs` from now; a negative delay means now (as setTimeout). */
  setTimer(delayMs: number, callback: () => void): TimerHandle {
    invariant(Number.isFinite(delayMs), `timer delay must be finite, got ${delayMs}`);
    const atMs = delayMs > 0 ? this.nowMs + delayMs : this.nowMs;
    const timer = new VirtualTimer(this.heap, atMs, this.seq++, callback);
    this.heap.push(timer);
    return timer;
  }

  /** Advances time to the earliest timer and runs it; false when nothing is pending. */
  runNext(): boolean {
    const timer = this.heap.peekLive();
    if (timer === undefined) return false;
    this.heap.popTop();
    const callback = timer.callback!;
    timer.callback = null;
    this.nowMs = timer.atMs;
    callback();
    return true;
  }

  /** Runs every timer due within `ms` from now, then leaves the clock at now + ms. */
  runFor(ms: number, maxSteps = DEFAULT_MAX_STEPS): number {
    invariant(Number.isFinite(ms) && ms >= 0, `runFor needs a finite ms >= 0, got ${ms}`);
    const endMs = this.nowMs + ms;
    let steps = 0;
    for (;;) {
      const next = this.heap.peekLive();
      if (next === undefined || next.atMs > endMs) break;
      if (steps >= maxSteps) throw this.livelock('runFor', maxSteps);
      this.runNext();
      steps++;
    }
    this.nowMs = endMs;
    return steps;
  }

  /**
   * Runs timers until `predicate` holds (checked before each step): true when it does,
   * false when the timers ran out first.
   */
  runUntil(predicate: () => boolean, maxSteps = DEFAULT_MAX_STEPS): boolean {
    let steps = 0;
    while (!predicate()) {
      if (steps >= maxSteps) throw this.livelock('runUntil', maxSteps);
      if (!this.runNext()) return false;
      steps++;
    }
    return true;
  }

  /** Runs timers until none is pending; returns the number run. */
  runUntilIdle(maxSteps = DEFAULT_MAX_STEPS): number {
    let steps = 0;
    while (this.heap.peekLive() !== undefined) {
      if (steps >= maxSteps) throw this.livelock('runUntilIdle', maxSteps);
      this.runNext();
      steps++;
    }
    return steps;
  }

  private livelock(method: string, maxSteps: number): TesdError {
    return new TesdError(
      'livelock',
      `${method}: ${this.pending} timers still pending after ${maxSteps} steps ` +
        `(virtual time ${this.nowMs} ms): timers keep scheduling timers`,
    );
  }
}
