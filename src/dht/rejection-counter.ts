/**
 * Aggregates rejections per source per window (SPEC §5 `peer_rejected`), so a flood of bad
 * input costs at most one event per source per minute.
 */
export class RejectionCounter {
  private readonly windows = new Map<string, { startedAtMs: number; pending: number }>();

  constructor(private readonly windowMs: number) {}

  /**
   * Counts one rejection from `source`. Returns how many to record now (this one plus those
   * held back since the last record), or 0 while the window is still open.
   */
  count(source: string, nowMs: number): number {
    const window = this.windows.get(source);
    if (window === undefined || nowMs - window.startedAtMs >= this.windowMs) {
      const count = (window?.pending ?? 0) + 1;
      this.windows.set(source, { startedAtMs: nowMs, pending: 0 });
      if (this.windows.size > 10_000) this.forgetOldest();
      return count;
    }
    window.pending++;
    return 0;
  }

  private forgetOldest(): void {
    const oldest = this.windows.keys().next();
    if (oldest.done !== true) this.windows.delete(oldest.value);
  }
}
