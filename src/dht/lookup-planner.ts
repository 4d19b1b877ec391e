import type { PeerInfo } from '../core/node-info.js';
import type { NodeId } from '../core/node-id.js';
import { Shortlist, type Candidate } from './shortlist.js';

export type LookupEnd = 'converged' | 'deadline' | 'found' | 'exhausted';

export interface PlannerSettings {
  readonly k: number;
  readonly alpha: number;
  /** At most this many candidates of one /24 in the window (SPEC §4.3). */
  readonly perGroup: number;
  /** A value lookup that stops once some node answered with pointers (find without --all). */
  readonly stopAtFirstValue: boolean;
}

/**
 * The decisions of an iterative lookup, without I/O: which peers to query next and when the
 * lookup is over. The lookup machine (lookup-machine.ts) drives it with live answers; `tesd
 * replay --check` drives it with the answers recorded in the log and compares what it decides
 * with what was recorded.
 */
export class LookupPlanner {
  private readonly shortlist: Shortlist;
  private inflightCount = 0;
  private found = false;

  constructor(
    target: NodeId,
    private readonly settings: PlannerSettings,
  ) {
    this.shortlist = new Shortlist(target, settings.k, settings.perGroup);
  }

  get inflight(): number {
    return this.inflightCount;
  }

  /** Adds a candidate; false if this lookup already knows it. */
  consider(peer: PeerInfo, hop: number, group: string | null): boolean {
    return this.shortlist.add(peer, hop, group);
  }

  get(idHex: string): Candidate | undefined {
    return this.shortlist.get(idHex);
  }

  /** The candidate of `peer`'s ID: `get` for a peer at hand, which it reads less of. */
  getPeer(peer: PeerInfo): Candidate | undefined {
    return this.shortlist.getPeer(peer);
  }

  private get stopQuerying(): boolean {
    return this.settings.stopAtFirstValue && this.found;
  }

  /** The candidates to query now, closest first, marked in flight (alpha at most in flight). */
  nextQueries(): Candidate[] {
    if (this.stopQuerying) return [];
    const out: Candidate[] = [];
    for (const candidate of this.shortlist.currentWindow()) {
      if (this.inflightCount >= this.settings.alpha) break;
      if (candidate.state !== 'new') continue;
      candidate.state = 'inflight';
      this.inflightCount++;
      out.push(candidate);
    }
    return out;
  }

  answered(candidate: Candidate, hadPointers: boolean): void {
    this.settle(candidate, 'answered');
    if (hadPointers) this.found = true;
  }

  failed(candidate: Candidate): void {
    this.settle(candidate, 'failed');
  }

  /**
   * No answer within the soft timeout (SPEC §4.3): the query frees its slot, so the lookup
   * goes on; its answer, or its hard timeout, still settles it later.
   */
  slow(candidate: Candidate): void {
    if (candidate.state !== 'inflight') return;
    this.inflightCount--;
    candidate.state = 'slow';
  }

  private settle(candidate: Candidate, state: 'answered' | 'failed'): void {
    if (candidate.state === 'inflight') this.inflightCount--;
    if (candidate.state === 'failed' || state === 'failed') this.shortlist.noteFailed();
    candidate.state = state;
  }

  /** Why the lookup is over, or null while it goes on. Call after nextQueries(). */
  outcome(): LookupEnd | null {
    if (this.inflightCount > 0) return null;
    if (this.stopQuerying) return 'found';
    const window = this.shortlist.currentWindow();
    if (window.length === 0) return 'exhausted';
    if (window.every((c) => c.state === 'answered')) return 'converged';
    return null;
  }

  /** Answered candidates of the window, closest first. */
  result(): Candidate[] {
    return this.shortlist.answered();
  }
}
