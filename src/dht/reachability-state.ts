import { parseAddress, sourceHost } from '../core/address.js';
import type { PeerInfo } from '../core/node-info.js';
import type { ReachabilityMode } from './config.js';
import { ObservedAddresses } from './observed-address.js';

/**
 * What a node knows about its own reachability (issue 15; the checks are in reachability.ts):
 * its status, the votes on its address, the hosts it sent requests to (their probes prove
 * nothing) and recently verified peers (third parties for others' checks).
 */

export type ReachabilityStatus = 'unknown' | 'reachable' | 'unreachable';

/** Hosts remembered as contacted; the oldest is forgotten first. */
const MAX_CONTACTED = 4_096;
/** Verified peers remembered as possible third parties (clients are not in the table). */
const MAX_RECENT = 64;

/** One check: its tokens and what came of them. */
export interface Round {
  readonly tokens: string[];
  forwarded: number;
  counted: string[];
  inconclusive: number;
}

export class Reachability {
  status: ReachabilityStatus = 'unknown';
  sinceMs: number;
  reason = 'not checked yet';
  readonly observed: ObservedAddresses;
  /** Pending check tokens (hex) → their round. */
  readonly pending = new Map<string, Round>();
  private readonly contacted = new Map<string, number>();
  private readonly recent = new Map<string, PeerInfo>();
  checking = false;
  /** Consecutive rounds in which third nodes dialled and nothing arrived. */
  silentRounds = 0;

  constructor(
    readonly mode: ReachabilityMode,
    minVoters: number,
    nowMs: number,
  ) {
    this.observed = new ObservedAddresses(minVoters);
    this.sinceMs = nowMs;
  }

  /** We sent a request to `addr`: its host may now pass our NAT, so its probes prove nothing. */
  noteContacted(addr: string, nowMs: number): void {
    const parsed = parseAddress(addr);
    if (parsed === null) return;
    const host = sourceHost(parsed.host);
    this.contacted.delete(host);
    this.contacted.set(host, nowMs);
    if (this.contacted.size > MAX_CONTACTED)
      this.contacted.delete(this.contacted.keys().next().value!);
  }

  hasContacted(addr: string): boolean {
    const parsed = parseAddress(addr);
    return parsed !== null && this.contacted.has(sourceHost(parsed.host));
  }

  /** A verified peer we exchanged with: a candidate third party for others' checks. */
  noteVerified(peer: PeerInfo): void {
    const id = peer.identity.idHex;
    this.recent.delete(id);
    this.recent.set(id, peer);
    if (this.recent.size > MAX_RECENT) this.recent.delete(this.recent.keys().next().value!);
  }

  recentPeers(): PeerInfo[] {
    return [...this.recent.values()];
  }
}
