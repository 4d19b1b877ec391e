/**
 * Requests per source address in one-second windows: a flood of valid requests is answered
 * with error 4 and costs one aggregated peer_rejected a minute instead of one rpc_received per
 * request. Only the sources of the current second are remembered, so a node that hears from
 * thousands of peers keeps no per-peer state for it.
 */
export class RateLimiter {
  private counts = new Map<string, number>();
  private windowStartMs = -Infinity;

  constructor(private readonly perSecond: number) {}

  allow(source: string, nowMs: number): boolean {
    if (nowMs - this.windowStartMs >= 1_000) {
      this.counts = new Map();
      this.windowStartMs = nowMs;
    }
    const count = this.counts.get(source) ?? 0;
    if (count >= this.perSecond) return false;
    this.counts.set(source, count + 1);
    return true;
  }
}
