import { compareDistance } from '../core/distance.js';
import type { PeerInfo } from '../core/node-info.js';
import type { NodeId } from '../core/node-id.js';

/** `slow`: queried, no answer within the soft timeout; it no longer holds a lookup slot. */
export type CandidateState = 'new' | 'inflight' | 'slow' | 'answered' | 'failed';

export interface Candidate {
  readonly peer: PeerInfo;
  /** Length of the chain of answers through which it was learned (seeds are hop 1). */
  readonly hop: number;
  /** IP-diversity group, or null when exempt. */
  readonly group: string | null;
  state: CandidateState;
}

/**
 * The candidates of one lookup, kept sorted by distance to the target. The "window" is the
 * k closest that have not failed, with at most `perGroup` from one /24 (SPEC §4.3): the lookup
 * queries inside it and ends when everything in it has answered.
 */
export class Shortlist {
  private readonly sorted: Candidate[] = [];
  private readonly byId = new Map<string, Candidate>();
  private readonly scratch: Candidate[] = [];

  constructor(
    private readonly target: NodeId,
    private readonly k: number,
    private readonly perGroup: number,
  ) {}

  /** Adds a peer not seen before in this lookup; returns false for a known one. */
  add(peer: PeerInfo, hop: number, group: string | null): boolean {
    if (this.byId.has(peer.identity.idHex)) return false;
    const candidate: Candidate = { peer, hop, group, state: 'new' };
    this.byId.set(peer.identity.idHex, candidate);
    this.sorted.splice(this.insertionPoint(peer.identity.id), 0, candidate);
    return true;
  }

  get(idHex: string): Candidate | undefined {
    return this.byId.get(idHex);
  }

  private insertionPoint(id: NodeId): number {
    let low = 0;
    let high = this.sorted.length;
    while (low < high) {
      const mid = (low + high) >>> 1;
      if (compareDistance(this.target, this.sorted[mid]!.peer.identity.id, id) < 0) low = mid + 1;
      else high = mid;
    }
    return low;
  }

  window(): Candidate[] {
    return [...this.currentWindow()];
  }

  /**
   * The window in an array this shortlist reuses: read it before the next call. The planner
   * works the window out after every answer, twice; this spares it an array each time.
   */
  currentWindow(): readonly Candidate[] {
    const out = this.scratch;
    out.length = 0;
    for (const candidate of this.sorted) {
      if (candidate.state === 'failed') continue;
      if (candidate.group !== null && groupCount(out, candidate.group) >= this.perGroup) continue;
      out.push(candidate);
      if (out.length === this.k) break;
    }
    return out;
  }

  /** Answered candidates of the window, closest first: the lookup's result. */
  answered(): Candidate[] {
    return this.currentWindow().filter((c) => c.state === 'answered');
  }
}

/**
 * Candidates of `group` among those already in the window: at most k to compare, cheaper
 * than a map per call (the window is worked out after every answer).
 */
function groupCount(window: readonly Candidate[], group: string): number {
  let count = 0;
  for (const candidate of window) if (candidate.group === group) count++;
  return count;
}
