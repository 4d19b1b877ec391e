import { compareDistance, bucketIndex } from '../core/distance.js';
import type { NodeIdentity } from '../core/identity.js';
import { ID_BITS, prefix31, type NodeId } from '../core/node-id.js';
import type { TablePeer } from './peer-identity.js';
import type { Bucket } from './routing-entries.js';

/** What choosing the closest reads of a table: whose it is and its buckets. */
export interface BucketsOf {
  readonly selfId: NodeId;
  readonly buckets: ReadonlyArray<Bucket | undefined>;
  /** No bucket below this index holds a peer. */
  readonly lowestBucket: number;
}

/**
 * The peers of the `count` entries closest to `target`, visiting buckets from nearest to
 * farthest and stopping once `count` are held: every bucket in this order is wholly farther
 * than the ones before it. The target's own bucket holds the closest. A deeper bucket i agrees
 * with us up to its bit, so it is closer than every bucket deeper than it exactly when
 * self⊕target has that bit set: those come first (shallowest first), then the others (deepest
 * first). The shallower buckets follow, each farther than the last. A lookup's find_node
 * typically reads two buckets' peers arrays instead of the table.
 */
export function closestPeers(
  state: BucketsOf,
  target: NodeId,
  count: number,
  /** Left out, as if the table did not hold it (a find_node never lists its requester). */
  except?: NodeIdentity,
): TablePeer[] {
  const selection = new Selection(target, count, except);
  const { selfId: self, buckets, lowestBucket: lowest } = state;
  const start = compareDistance(self, target, self) === 0 ? 0 : bucketIndex(self, target);
  if (selection.offerAll(buckets[start]?.peers)) return selection.result();
  // Most buckets of a table are empty: those below the lowest are not looked at, the others
  // are skipped before looking at any bit.
  for (let i = start - 1; i >= lowest; i--) {
    const peers = buckets[i]?.peers;
    if (peers !== undefined && peers.length > 0 && distanceBit(self, target, i) === 1)
      if (selection.offerAll(peers)) return selection.result();
  }
  for (let i = lowest; i < start; i++) {
    const peers = buckets[i]?.peers;
    if (peers !== undefined && peers.length > 0 && distanceBit(self, target, i) === 0)
      if (selection.offerAll(peers)) return selection.result();
  }
  for (let i = start + 1; i < ID_BITS; i++)
    if (selection.offerAll(buckets[i]?.peers)) return selection.result();
  return selection.result();
}

/** The bit of self⊕target that decides bucket `index` (bit 159 - index from the top). */
function distanceBit(self: NodeId, target: NodeId, index: number): number {
  const bit = ID_BITS - 1 - index;
  return ((self[bit >> 3]! ^ target[bit >> 3]!) >> (7 - (bit & 7))) & 1;
}

/**
 * The distance prefixes of the selection being made: one array for every call (choosing is
 * synchronous and never nested), grown for a larger count. Every served find_node chooses.
 */
let sharedPrefixes = new Int32Array(64);
const MAX_TABLE_ENTRIES = ID_BITS * 20; // SPEC §2: 160 buckets of k = 20

/** The closest `count` peers offered so far, closest first, with their distance prefixes. */
class Selection {
  /** Made at its final capacity (a growing array is reallocated twice on the way to 20). */
  private readonly peers: TablePeer[];
  private readonly prefixes: Int32Array;
  private size = 0;
  private readonly t0: number;
  /** The left-out identity's ID prefix and hex (-1 and '' when none is). */
  private readonly exceptPrefix: number;
  private readonly exceptHex: string;

  constructor(
    private readonly target: NodeId,
    private readonly count: number,
    except: NodeIdentity | undefined,
  ) {
    const presized = Number.isInteger(count) && count > 0 && count <= 1_024;
    this.peers = presized ? new Array<TablePeer>(count) : [];
    // A selection never holds more than the table (any count, Infinity included).
    const capacity = Math.min(Math.max(Math.ceil(count), 0), MAX_TABLE_ENTRIES);
    if (sharedPrefixes.length < capacity) sharedPrefixes = new Int32Array(capacity);
    this.prefixes = sharedPrefixes;
    this.t0 = prefix31(target);
    this.exceptPrefix = except === undefined ? -1 : prefix31(except.id);
    this.exceptHex = except === undefined ? '' : except.idHex;
  }

  get full(): boolean {
    return this.size >= this.count;
  }

  /** The peers chosen, closest first. */
  result(): TablePeer[] {
    this.peers.length = this.size;
    return this.peers;
  }

  /** Offers every peer; returns whether the selection is full afterwards. */
  offerAll(peers: readonly TablePeer[] | undefined): boolean {
    // Indexed: for-of made an iterator result per peer here (11% of the bytes a build allocates).
    if (peers !== undefined) for (let i = 0; i < peers.length; i++) this.offer(peers[i]!);
    return this.full;
  }

  private offer(peer: TablePeer): void {
    const { peers, prefixes, count } = this;
    if (peer.idPrefix === this.exceptPrefix && peer.identity.idHex === this.exceptHex) return;
    const distance = peer.idPrefix ^ this.t0;
    let at = this.size;
    if (at >= count) {
      // Full: most offers are farther than the last held one and stop at this one comparison.
      if (count <= 0 || !this.farther(prefixes[at - 1]!, peers[at - 1]!, distance, peer)) return;
      at--;
    } else {
      this.size++;
    }
    // Insertion by shifting, not splice: at most k peers, and no builtin call per offer.
    while (at > 0 && this.farther(prefixes[at - 1]!, peers[at - 1]!, distance, peer)) {
      peers[at] = peers[at - 1]!;
      prefixes[at] = prefixes[at - 1]!;
      at--;
    }
    peers[at] = peer;
    prefixes[at] = distance;
  }

  /** Whether the held peer is farther from the target than the offered one. */
  private farther(
    heldPrefix: number,
    held: TablePeer,
    prefix: number,
    offered: TablePeer,
  ): boolean {
    if (heldPrefix !== prefix) return heldPrefix > prefix;
    return compareDistance(this.target, held.identity.id, offered.identity.id) > 0;
  }
}
