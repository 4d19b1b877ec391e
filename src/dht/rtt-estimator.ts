/**
 * Round trips this node observed, smoothed as TCP does (RFC 6298: srtt, rttvar), giving the
 * soft timeout of SPEC §4.3: an RPC slower than srtt + 4 rttvar is probably lost or its peer
 * dead, so a lookup stops counting it against alpha and goes on, while the hard timeout
 * (`rpcTimeoutMs`) still decides its failure. libtorrent's DHT does the same with its "short
 * timeout", which widens the branch factor without failing the node.
 */
export class RttEstimator {
  private srttMs: number | null = null;
  private rttvarMs = 0;

  /** One successful round trip. */
  observe(latencyMs: number): void {
    if (this.srttMs === null) {
      this.srttMs = latencyMs;
      this.rttvarMs = latencyMs / 2;
      return;
    }
    this.rttvarMs = 0.75 * this.rttvarMs + 0.25 * Math.abs(this.srttMs - latencyMs);
    this.srttMs = 0.875 * this.srttMs + 0.125 * latencyMs;
  }

  /**
   * The soft timeout in whole ms, within [MIN_SOFT_TIMEOUT_MS, hardMs]; half the hard timeout
   * before any round trip was observed.
   */
  softTimeoutMs(hardMs: number): number {
    if (this.srttMs === null) return Math.round(hardMs / 2);
    const estimate = Math.ceil(this.srttMs + 4 * this.rttvarMs);
    return Math.min(hardMs, Math.max(MIN_SOFT_TIMEOUT_MS, estimate));
  }
}

/**
 * Below this, a peer that is merely busy (a GC pause, a handshake on a loaded machine) would
 * be passed over too often; a dead peer still costs a lookup no more than this.
 */
export const MIN_SOFT_TIMEOUT_MS = 100;
