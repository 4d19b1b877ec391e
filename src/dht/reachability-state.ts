import type { PeerInfo } from '../core/node-info.js';
import type { Request } from '../net/messages.js';
import {
  idPrefixOf,
  isTablePeer,
  sharedInterner,
  type TablePeer,
} from '../projections/peer-identity.js';
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
  /**
   * The slots in the order they were last noted, as a list linked both ways, from `oldest`
   * (the next to give way) to `newest`. Finding the least recent by comparing 64 stamps on
   * every RPC cost about a microsecond (most notes are of a peer not among the 64).
   */
  private readonly newer = new Int8Array(MAX_RECENT);
  private readonly older = new Int8Array(MAX_RECENT);
  private oldest = -1;
  private newest = -1;
  /** Consecutive rounds in which third nodes dialled and nothing arrived. */
  silentRounds = 0;
  /**
   * When the last round ended with only probes that proved nothing (RoundVerdict.awaitQuiet),
   * else null: the periodic checks wait until NAT_MAPPING_WINDOW_MS has passed since, and the
   * next round leaves a host unasked.
   */
  inconclusiveAtMs: number | null = null;
  /**
   * A bootstrap or rejoin is under way: no check round starts until it is over (reachability.ts
   * `checkReachability`), so that every seed has judged our first request before a round of ours
   * has third nodes dial us (a seed asked to be one would otherwise contact us first).
   */
  joining = false;

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
    const prefix = idPrefixOf(peer);
    const { recent, recentPrefixes } = this;
    const found = this.slotOf(prefix, peer.identity.idHex);
    const fresh = found < 0 && recent.length < MAX_RECENT;
    // A new slot, the peer's own, or the least recent one's (whose peer is not read: it goes).
    const slot = fresh ? recent.length : found >= 0 ? found : this.oldest;
    if (!fresh) this.unlink(slot);
    if (found < 0 || recent[slot]!.addr !== peer.addr || recent[slot]!.caps !== peer.caps) {
      recent[slot] = shared ?? sharedInterner.peer(peer.identity, peer.addr, peer.caps);
      recentPrefixes[slot] = prefix;
    }
    this.append(slot);
  }

  /** The slot holding the peer with this ID (and prefix31 of it), or -1. */
  private slotOf(prefix: number, idHex: string): number {
    const { recent, recentPrefixes } = this;
    for (let i = 0; i < recent.length; i++)
      if (recentPrefixes[i] === prefix && recent[i]!.identity.idHex === idHex) return i;
    return -1;
  }

  /** Takes `slot` out of the list of notes. */
  private unlink(slot: number): void {
    const before = this.older[slot]!;
    const after = this.newer[slot]!;
    if (before >= 0) this.newer[before] = after;
    else this.oldest = after;
    if (after >= 0) this.older[after] = before;
    else this.newest = before;
  }

  /** Puts `slot` at the newest end of the list of notes. */
  private append(slot: number): void {
    this.older[slot] = this.newest;
    this.newer[slot] = -1;
    if (this.newest >= 0) this.newer[this.newest] = slot;
    else this.oldest = slot;
    this.newest = slot;
  }

  /** Oldest first. */
  recentPeers(): PeerInfo[] {
    const out: PeerInfo[] = [];
    for (let slot = this.oldest; slot >= 0; slot = this.newer[slot]!) out.push(this.recent[slot]!);
    return out;
  }
}
