/**
 * Clock offset of a remote node against the lookup's node, from RPC pairs (NTP's idea without
 * its extra packets). For a request sent at t1 and answered at t4 on the origin's clock and
 * received at t2 on the remote's, the remote's offset θ satisfies t2 - t4 <= θ <= t2 - t1
 * (the request arrived after it left and before the answer came back; the node answers in the
 * same turn it records the receipt). Each pair bounds θ; the bounds of all pairs intersect.
 * Event times are whole milliseconds, so each bound is widened by 1 ms.
 */

export interface RpcPair {
  /** Origin clock: request sent. */
  readonly sentAtMs: number;
  /** Remote clock: request received. */
  readonly receivedAtMs: number;
  /** Origin clock: answer received; null when it timed out or failed. */
  readonly answeredAtMs: number | null;
}

export interface ClockOffset {
  /** Add to an origin time to get the remote's clock; subtract from a remote time to align. */
  readonly offsetMs: number;
  /** Half the width of the interval θ lies in. */
  readonly uncertaintyMs: number;
  readonly pairs: number;
  /**
   * `bounded`: the pairs' intervals intersect; `min_delay`: they do not (a clock stepped
   * during the lookup), so the pair with the shortest round trip decides, NTP's clock filter;
   * `one_way`: no answered pair, only the upper bound (as if the request took no time).
   */
  readonly method: 'bounded' | 'min_delay' | 'one_way';
}

const RESOLUTION_MS = 1;

export function estimateOffset(pairs: readonly RpcPair[]): ClockOffset | null {
  if (pairs.length === 0) return null;
  const upper = Math.min(...pairs.map((p) => p.receivedAtMs - p.sentAtMs + RESOLUTION_MS));
  const answered = pairs.filter(
    (p): p is RpcPair & { answeredAtMs: number } => p.answeredAtMs !== null,
  );
  if (answered.length === 0)
    return {
      offsetMs: upper - RESOLUTION_MS,
      uncertaintyMs: Infinity,
      pairs: 0,
      method: 'one_way',
    };
  const lower = Math.max(...answered.map((p) => p.receivedAtMs - p.answeredAtMs - RESOLUTION_MS));
  if (lower <= upper)
    return {
      offsetMs: (lower + upper) / 2,
      uncertaintyMs: (upper - lower) / 2,
      pairs: pairs.length,
      method: 'bounded',
    };
  const best = answered.reduce((a, b) =>
    b.answeredAtMs - b.sentAtMs < a.answeredAtMs - a.sentAtMs ? b : a,
  );
  return {
    offsetMs: best.receivedAtMs - (best.sentAtMs + best.answeredAtMs) / 2,
    uncertaintyMs: (best.answeredAtMs - best.sentAtMs) / 2,
    pairs: answered.length,
    method: 'min_delay',
  };
}
