import { parseAddress, sourceHost } from '../core/address.js';
import type { PeerInfo } from '../core/node-info.js';
import type { Request } from '../net/messages.js';
import type { ReachabilityMode } from './config.js';
import { ObservedAddresses } from './observed-address.js';
import { NAT_MAPPING_WINDOW_MS } from './reachability-evidence.js';

/**
 * What a node knows about its own reachability (issue 15; the checks are in reachability.ts):
 * its status, the votes on its address, its last traffic with each host (within a NAT's mapping
 * lifetime, that host's requests prove nothing: reachability-evidence.ts) and recently verified
 * peers (third parties for others' checks).
 */

export type ReachabilityStatus = 'unknown' | 'reachable' | 'unreachable';

/**
 * Hosts remembered as contacted within NAT_MAPPING_WINDOW_MS (about 1.5 MB): past the bound the
 * least recently contacted is forgotten early, so memory stays bounded however many hosts our
 * lookups meet; a node would have to reach 16,384 hosts in 6 minutes for it to matter.
 */
const MAX_CONTACTED = 16_384;
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

  /**
   * Set while checks run (reachability.ts): told of every verified request we receive, to count
   * the unsolicited ones as proof.
   */
  onRequest: ((addr: string, op: Request['op'], nowMs: number) => void) | null = null;

  /** Traffic with `addr` at `nowMs` (we sent it a request): for a while its host's packets may pass our NAT. */
  noteContacted(addr: string, nowMs: number): void {
    const parsed = parseAddress(addr);
    if (parsed === null) return;
    const host = sourceHost(parsed.host);
    this.contacted.delete(host);
    this.contacted.set(host, nowMs);
    this.forgetContacts(nowMs);
  }

  /** Our last traffic with `addr`'s host, unless it is more than NAT_MAPPING_WINDOW_MS old. */
  lastContactAt(addr: string, nowMs: number): number | undefined {
    this.forgetContacts(nowMs);
    const parsed = parseAddress(addr);
    return parsed === null ? undefined : this.contacted.get(sourceHost(parsed.host));
  }

  /**
   * A verified request from `peer` (its observed address) arrived at `nowMs`. Once judged, it
   * counts as traffic with its host: a NAT mapping we opened stays alive while its host keeps
   * sending to us, so its next requests prove nothing either until the host has been silent
   * for a mapping's lifetime.
   */
  requestArrived(peer: PeerInfo, op: Request['op'], nowMs: number): void {
    this.noteVerified(peer);
    if (this.onRequest === null) return;
    this.onRequest(peer.addr, op, nowMs);
    this.noteContacted(peer.addr, nowMs);
  }

  /**
   * The map is in contact order (delete, then set): expired hosts are at its head. Whether a
   * remembered contact still counts is judgeInbound's decision; this only bounds memory.
   */
  private forgetContacts(nowMs: number): void {
    for (const [host, atMs] of this.contacted) {
      if (nowMs - atMs <= NAT_MAPPING_WINDOW_MS && this.contacted.size <= MAX_CONTACTED) break;
      this.contacted.delete(host);
    }
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
