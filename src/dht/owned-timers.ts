import type { TimerHandle, Timers } from '../core/clock.js';

/**
 * The timers a node arms for itself (maintenance's periodic ones, reachability's one-shots),
 * kept so that stopping the node, or crashing it in a simulation, cancels every one of them.
 */
export class OwnedTimers {
  private readonly periodic: TimerHandle[] = [];
  private readonly oneShots = new Set<TimerHandle>();

  constructor(private readonly timers: Timers) {}

  /** `task` once, `delayMs` from now. */
  afterMs(delayMs: number, task: () => void): void {
    const handle = this.timers.setTimer(delayMs, () => {
      this.oneShots.delete(handle);
      task();
    });
    this.oneShots.add(handle);
  }

  /** `task` every `intervalMs`, each run armed when the previous one fired. */
  every(intervalMs: number, task: () => void): void {
    const slot = this.periodic.length;
    const schedule = (): void => {
      this.periodic[slot] = this.timers.setTimer(intervalMs, () => {
        task();
        schedule();
      });
    };
    this.periodic.push({ cancel: () => undefined });
    schedule();
  }

  cancelAll(): void {
    for (const handle of this.periodic) handle.cancel();
    this.periodic.length = 0;
    for (const handle of this.oneShots) handle.cancel();
    this.oneShots.clear();
  }
}
