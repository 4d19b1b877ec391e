/**
 * Bounds what others can make this node send on their behalf (`dial_back` forwards, `dial`
 * probes): per requesting host, per target host and in total, in sliding windows. A node
 * that serves reachability checks can therefore never be turned into a traffic source: at
 * most `totalPerWindow` dials per window whatever the request rate (docs/protocol.md).
 */
export interface DialLimits {
  readonly windowMs: number;
  readonly perRequester: number;
  readonly perTarget: number;
  readonly totalPerWindow: number;
}

/** Hosts remembered per window; beyond it the window's maps start over (bounded memory). */
const MAX_TRACKED = 4_096;

export class DialLimiter {
  private windowStartMs = -Infinity;
  private total = 0;
  private readonly byRequester = new Map<string, number>();
  private readonly byTarget = new Map<string, number>();

  constructor(private readonly limits: DialLimits) {}

  /** True, counting it, when `requester` may have this node dial `target` now. */
  allow(requester: string, target: string, nowMs: number): boolean {
    if (nowMs - this.windowStartMs >= this.limits.windowMs) this.reset(nowMs);
    if (this.total >= this.limits.totalPerWindow) return false;
    const fromRequester = this.byRequester.get(requester) ?? 0;
    const toTarget = this.byTarget.get(target) ?? 0;
    if (fromRequester >= this.limits.perRequester || toTarget >= this.limits.perTarget)
      return false;
    if (this.byRequester.size >= MAX_TRACKED || this.byTarget.size >= MAX_TRACKED) return false;
    this.total++;
    this.byRequester.set(requester, fromRequester + 1);
    this.byTarget.set(target, toTarget + 1);
    return true;
  }

  private reset(nowMs: number): void {
    this.windowStartMs = nowMs;
    this.total = 0;
    this.byRequester.clear();
    this.byTarget.clear();
  }
}
