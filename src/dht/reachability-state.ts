import type { PeerInfo } from '../core/node-info.js';
import { prefix31 } from '../core/node-id.js';
import type { Request } from '../net/messages.js';
import { isTablePeer, sharedInterner, type TablePeer } from '../projections/peer-identity.js';
import type { ReachabilityMode } from './config.js';
import { ObservedAddresses } from './observed-address.js';
import { admissionHost } from './rate-limiter.js';
import { NAT_MAPPING_WINDOW_MS } from './reachability-evidence.js';
import type { Round } from './reachability-round.js';
import type { ReachabilityStatus } from './reachability-status.js';

/**
 * What a node knows about its own reachability (issue 15; the checks are in reachability.ts):
 * its status, the votes on its address, its last traffic with each host (within a NAT's mapping
 * lifetime, that host's requests prove nothing: reachability-evidence.ts) and recently verified
 * peers (third parties for others' checks).
 */

export type { ReachabilityStatus };

/**
 * Hosts remembered as contacted within NAT_MAPPING_WINDOW_MS (about 1.5 MB): past the bound the
 * least recently contacted is forgotten early, so memory stays bounded however many hosts our
 * lookups meet; a node would have to reach 16,384 hosts in 6 minutes for it to matter.
 */
const MAX_CONTACTED = 16_384;
/** Verified peers remembered as possible third parties (clients are not in the table). */
const MAX_RECENT = 64;

export class Reachability {
  status: ReachabilityStatus = 'unknown';
  sinceMs: number;
  reason = 'not checked yet';
  readonly observed: ObservedAddresses;
  /** The check round under way (reachability-round.ts), if any: one at a time. */
  round: Round | null = null;
  /** Created by the first contact noted: a node that runs no checks never needs it. */
  private contacted: Map<string, number> | null = null;
  /**
   * In no order; the peer objects are the process's shared ones (sharedInterner.peer). A slot
   * is overwritten in place, never shifted: every RPC notes a peer, at both ends.
   */
  private readonly recent: TablePeer[] = [];
  /** The ID prefix of each of `recent`, packed: the search reads these, not the peers. */
  private readonly recentPrefixes = new Int32Array(MAX_RECENT);
  /** When each of `recent` was last noted, as a count of notes: the least recent goes first. */
  private readonly recentStamps = new Float64Array(MAX_RECENT);
  private notes = 0;
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

  /**
   * Traffic with `addr` at `nowMs` (we sent it a request): for a while its host's packets may
   * pass our NAT. Remembered only while checks run (`onRequest` is set before the node sends
   * anything): nothing else reads it, and a node that runs no checks (every simulated one)
   * would otherwise keep a map of every host it reached in the last six minutes.
   */
  noteContacted(addr: string, nowMs: number): void {
    if (this.onRequest === null) return;
    const host = admissionHost(addr);
    if (host === null) return;
    const contacted = (this.contacted ??= new Map<string, number>());
    contacted.delete(host);
    contacted.set(host, nowMs);
    this.forgetContacts(nowMs);
  }

  /** Our last traffic with `addr`'s host, unless it is more than NAT_MAPPING_WINDOW_MS old. */
  lastContactAt(addr: string, nowMs: number): number | undefined {
    this.forgetContacts(nowMs);
    const host = admissionHost(addr);
    return host === null ? undefined : this.contacted?.get(host);
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
    const contacted = this.contacted;
    if (contacted === null) return;
    for (const [host, atMs] of contacted) {
      if (nowMs - atMs <= NAT_MAPPING_WINDOW_MS && contacted.size <= MAX_CONTACTED) break;
      contacted.delete(host);
    }
  }

  /**
   * A verified peer we exchanged with: a candidate third party for others' checks. Every RPC
   * comes here at both ends, so the search reads the packed ID prefixes, not the peers.
   */
  noteVerified(peer: PeerInfo): void {
    // Answers hand us the shared peers already (peerFromWire): no lookup to share them again.
    const shared = isTablePeer(peer) ? peer : null;
    const prefix = shared?.idPrefix ?? prefix31(peer.identity.id);
    const { recent, recentPrefixes, recentStamps } = this;
    let slot = recent.length;
    let leastRecent = 0;
    for (let i = 0; i < recent.length; i++) {
      if (recentPrefixes[i] === prefix && recent[i]!.identity.idHex === peer.identity.idHex) {
        slot = i;
        break;
      }
      if (recentStamps[i]! < recentStamps[leastRecent]!) leastRecent = i;
    }
    if (slot === recent.length && slot >= MAX_RECENT) slot = leastRecent;
    const known = recent[slot];
    const same =
      known !== undefined &&
      known.identity.idHex === peer.identity.idHex &&
      known.addr === peer.addr &&
      known.caps === peer.caps;
    if (!same) {
      recent[slot] = shared ?? sharedInterner.peer(peer.identity, peer.addr, peer.caps);
      recentPrefixes[slot] = prefix;
    }
    recentStamps[slot] = ++this.notes;
  }

  /** Oldest first. */
  recentPeers(): PeerInfo[] {
    const order = this.recent.map((_, i) => i);
    order.sort((a, b) => this.recentStamps[a]! - this.recentStamps[b]!);
    return order.map((i) => this.recent[i]!);
  }
}
