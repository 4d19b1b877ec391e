import { compareDistance } from '../core/distance.js';
import type { PeerInfo } from '../core/node-info.js';
import { prefix31OfHex, type NodeId } from '../core/node-id.js';
import { idHexOf, idPrefixOf } from '../projections/peer-identity.js';

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
  /**
   * By the ID's first 31 bits: a number is hashed without reading the ID's text, which at
   * 10,000 simulated nodes is a cold cache line for each of the 20 peers an answer lists.
   * A candidate whose prefix another already holds (1 in 2^31 per pair) is kept by its text.
   */
  private readonly byPrefix = new Map<number, Candidate>();
  private sharingPrefix: Map<string, Candidate> | null = null;
  private readonly kept: Candidate[] = [];
  private windowCurrent = false;

  constructor(
    private readonly target: NodeId,
    private readonly k: number,
    private readonly perGroup: number,
  ) {}

  /** Adds a peer not seen before in this lookup; returns false for a known one. */
  add(peer: PeerInfo, hop: number, group: string | null): boolean {
    const idHex = idHexOf(peer);
    const prefix = idPrefixOf(peer);
    if (this.find(idHex, prefix) !== undefined) return false;
    const candidate: Candidate = { peer, hop, group, state: 'new' };
    if (this.byPrefix.has(prefix)) (this.sharingPrefix ??= new Map()).set(idHex, candidate);
    else this.byPrefix.set(prefix, candidate);
    this.sorted.splice(this.insertionPoint(peer.identity.id), 0, candidate);
    this.windowCurrent = false;
    return true;
  }

  get(idHex: string): Candidate | undefined {
    return this.find(idHex, prefix31OfHex(idHex));
  }

  /** The candidate of `peer`'s ID (as `get`, without reading its ID text for the key). */
  getPeer(peer: PeerInfo): Candidate | undefined {
    return this.find(idHexOf(peer), idPrefixOf(peer));
  }

  private find(idHex: string, prefix: number): Candidate | undefined {
    const held = this.byPrefix.get(prefix);
    if (held !== undefined && idHexOf(held.peer) === idHex) return held;
    return this.sharingPrefix?.get(idHex);
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

  /** The window as it is now, in a new array (for callers that change states themselves). */
  window(): Candidate[] {
    return this.fillWindow([]);
  }

  /**
   * The window in an array this shortlist keeps until it changes: only a new candidate or a
   * failure changes who is in it (querying and answering do not). The planner reads it after
   * every answer, twice; most late answers bring no one new. States must change through the
   * planner, which reports failures (`noteFailed`).
   */
  currentWindow(): readonly Candidate[] {
    if (!this.windowCurrent) {
      this.fillWindow(this.kept);
      this.windowCurrent = true;
    }
    return this.kept;
  }

  /** A candidate failed, or stopped having failed: the kept window is out of date. */
  noteFailed(): void {
    this.windowCurrent = false;
  }

  private fillWindow(out: Candidate[]): Candidate[] {
    out.length = 0;
    const perGroup = new Map<string, number>();
    for (const candidate of this.sorted) {
      if (candidate.state === 'failed') continue;
      if (candidate.group !== null) {
        const count = perGroup.get(candidate.group) ?? 0;
        if (count >= this.perGroup) continue;
        perGroup.set(candidate.group, count + 1);
      }
      out.push(candidate);
      if (out.length === this.k) break;
    }
    return out;
  }

  /** Answered candidates of the window, closest first: the lookup's result. */
  answered(): Candidate[] {
    return this.window().filter((c) => c.state === 'answered');
  }
}
