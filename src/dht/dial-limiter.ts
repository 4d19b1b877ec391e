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
  /** Made by the first dial: most nodes are never asked to dial anyone. */
  private byRequester: Map<string, number> | null = null;
  private byTarget: Map<string, number> | null = null;

  constructor(private readonly limits: DialLimits) {}

  /** True, counting it, when `requester` may have this node dial `target` now. */
  allow(requester: string, target: string, nowMs: number): boolean {
    if (nowMs - this.windowStartMs >= this.limits.windowMs) this.reset(nowMs);
    if (this.total >= this.limits.totalPerWindow) return false;
    const byRequester = (this.byRequester ??= new Map<string, number>());
    const byTarget = (this.byTarget ??= new Map<string, number>());
    const fromRequester = byRequester.get(requester) ?? 0;
    const toTarget = byTarget.get(target) ?? 0;
    if (fromRequester >= this.limits.perRequester || toTarget >= this.limits.perTarget)
      return false;
    if (byRequester.size >= MAX_TRACKED || byTarget.size >= MAX_TRACKED) return false;
    this.total++;
    byRequester.set(requester, fromRequester + 1);
    byTarget.set(target, toTarget + 1);
    return true;
  }

  private reset(nowMs: number): void {
    this.windowStartMs = nowMs;
    this.total = 0;
    this.byRequester?.clear();
    this.byTarget?.clear();
  }
}
