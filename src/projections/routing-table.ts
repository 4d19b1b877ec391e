import { fromHex, toHex } from '../core/bytes.js';
import { compareDistance, bucketIndex } from '../core/distance.js';
import { invariant } from '../core/errors.js';
import type { NodeIdentity } from '../core/identity.js';
import type { PeerInfo } from '../core/node-info.js';
import { ID_BITS, prefix31, type NodeId } from '../core/node-id.js';
import type { EventOf, EventType, StoredEvent } from '../events/event-types.js';
import { addressGroups } from './network-groups.js';
import { unreachable } from './unreachable.js';
import { sharedInterner, type IdentityInterner, type TablePeer } from './peer-identity.js';

/** SPEC §2: 160 buckets of k = 20 entries. */
export const BUCKET_SIZE = 20;
/** Replacement cache per bucket: small and bounded, newest first (SPEC §2). */
export const REPLACEMENT_CACHE_SIZE = 8;

export interface RoutingEntry {
  readonly peer: TablePeer;
  readonly addedAtMs: number;
  readonly lastSeenAtMs: number;
  /** Consecutive failed RPCs; 3 evict (SPEC §2). */
  readonly failures: number;
}

/**
 * An entry of one table: two million of them at 10,000 simulated nodes, so it holds only
 * what is the table's own (the peer's facts are in the shared TablePeer), and its times as
 * offsets from the process's TIME_BASE: milliseconds since 1970 are no small integer, and each
 * would be a boxed 16-byte number. Offsets are small integers for 24 days past the base;
 * later ones are plain numbers again, still exact.
 */
class Entry implements RoutingEntry {
  private readonly addedOffsetMs: number;
  private readonly seenOffsetMs: number;

  constructor(
    readonly peer: TablePeer,
    addedAtMs: number,
    lastSeenAtMs: number,
    readonly failures: number,
  ) {
    this.addedOffsetMs = offsetOf(addedAtMs);
    this.seenOffsetMs = offsetOf(lastSeenAtMs);
  }

  get addedAtMs(): number {
    return TIME_BASE.ms + this.addedOffsetMs;
  }

  get lastSeenAtMs(): number {
    return TIME_BASE.ms + this.seenOffsetMs;
  }
}

/** The first time an entry was made on this process; entries keep their times from it. */
const TIME_BASE = { ms: NaN };

function offsetOf(atMs: number): number {
  if (Number.isNaN(TIME_BASE.ms)) TIME_BASE.ms = atMs;
  const offset = atMs - TIME_BASE.ms;
  invariant(TIME_BASE.ms + offset === atMs, `time ${atMs} is not a whole number of ms`);
  return offset;
}

export interface Bucket {
  /** Least recently seen first. */
  entries: RoutingEntry[];
  /** Newest first. */
  replacements: TablePeer[];
  lastActivityAtMs: number;
}

/**
 * The routing table as a fold over events. `evolveRouting` updates in place and returns the
 * same object: a table per simulated node at 10,000 nodes leaves no room for copies. Nothing
 * else mutates it; the engine only reads it.
 */
export interface RoutingState {
  readonly selfId: NodeId;
  readonly selfHex: string;
  readonly buckets: Array<Bucket | undefined>;
  /** The entries by ID hex, found in their bucket (see TableIndex). */
  readonly byId: TableIndex;
  /**
   * The table-wide diversity group of every entry (`AddressGroups.tableKey`, IPv4 /24 or
   * IPv6 /48), in no order: the IP-diversity cap counts in this array of numbers instead of
   * reaching every entry, and it costs 8 bytes per entry where a map per table cost ~50.
   */
  readonly tableKeys: number[];
  readonly interner: IdentityInterner;
}

export function emptyRouting(
  selfId: NodeId,
  selfHex: string,
  interner = sharedInterner,
): RoutingState {
  const buckets = new Array<Bucket | undefined>(ID_BITS);
  return {
    selfId,
    selfHex,
    buckets,
    byId: new TableIndex(selfHex, buckets),
    tableKeys: [],
    interner,
  };
}

/**
 * The table's entries by ID hex without a map per table: an ID's bucket follows from its
 * first hex digit that differs from ours, and a bucket holds at most k entries to compare.
 * A map cost ~36 bytes per entry, 70 MB over 10,000 simulated tables. Iterates bucket by
 * bucket, each least recently seen first.
 */
export class TableIndex {
  private count = 0;

  constructor(
    private readonly selfHex: string,
    private readonly buckets: ReadonlyArray<Bucket | undefined>,
  ) {}

  get size(): number {
    return this.count;
  }

  get(idHex: string): RoutingEntry | undefined {
    const index = bucketOfHex(this.selfHex, idHex);
    const entries = index < 0 ? undefined : this.buckets[index]?.entries;
    if (entries === undefined) return undefined;
    for (const entry of entries) if (entry.peer.identity.idHex === idHex) return entry;
    return undefined;
  }

  has(idHex: string): boolean {
    return this.get(idHex) !== undefined;
  }

  *values(): IterableIterator<RoutingEntry> {
    for (const bucket of this.buckets) if (bucket !== undefined) yield* bucket.entries;
  }

  *keys(): IterableIterator<string> {
    for (const entry of this.values()) yield entry.peer.identity.idHex;
  }

  /** For the fold only: an entry entered or left its bucket. */
  counted(delta: 1 | -1): void {
    this.count += delta;
  }
}

/** bucketIndex of an ID given as hex (lower case, as toHex writes it); -1 for ours or not an ID. */
function bucketOfHex(selfHex: string, idHex: string): number {
  if (idHex.length !== selfHex.length) return -1;
  for (let i = 0; i < idHex.length; i++) {
    const ours = selfHex.charCodeAt(i);
    const theirs = idHex.charCodeAt(i);
    if (ours === theirs) continue;
    const x = hexValue(ours) ^ hexValue(theirs);
    if (x > 15) return -1;
    return ID_BITS - 1 - (i * 4 + Math.clz32(x) - 28);
  }
  return -1;
}

/** The value of a lower-case hex digit's char code; 16 or more for anything else. */
function hexValue(code: number): number {
  if (code >= 48 && code <= 57) return code - 48;
  if (code >= 97 && code <= 102) return code - 87;
  return 32;
}

function bucketAt(state: RoutingState, index: number): Bucket {
  let bucket = state.buckets[index];
  if (bucket === undefined) {
    bucket = { entries: [], replacements: [], lastActivityAtMs: 0 };
    state.buckets[index] = bucket;
  }
  return bucket;
}

function identityOf(
  state: RoutingState,
  data: { id: string; pk: string; nonce: number },
): NodeIdentity {
  return state.interner.intern(data.id, data.pk, data.nonce);
}

/** The events the routing table folds: restart reads exactly these (with the pointer store's). */
export const ROUTING_EVENT_TYPES = [
  'peer_added',
  'peer_seen',
  'peer_cached',
  'peer_failed',
  'peer_evicted',
  'lookup_started',
] as const satisfies readonly EventType[];

type RoutingEvent = EventOf<(typeof ROUTING_EVENT_TYPES)[number]>;
const routingTypes = new Set<string>(ROUTING_EVENT_TYPES);

export function evolveRouting(state: RoutingState, event: StoredEvent): RoutingState {
  return routingTypes.has(event.type) ? foldRouting(state, event as RoutingEvent) : state;
}

/** Exhaustive over ROUTING_EVENT_TYPES: a type listed but not folded fails the type check. */
function foldRouting(state: RoutingState, event: RoutingEvent): RoutingState {
  switch (event.type) {
    case 'peer_added': {
      const d = event.data;
      invariant(d.id !== state.selfHex, 'the routing table never holds its own ID');
      const identity = identityOf(state, d);
      // The index finds an entry by its ID's bucket, so it must be in that one.
      invariant(
        d.bucket === bucketIndex(state.selfId, identity.id),
        `peer ${d.id} not in bucket ${d.bucket}`,
      );
      const bucket = bucketAt(state, d.bucket);
      removeReplacement(bucket, d.id);
      const entry = new Entry(state.interner.peer(identity, d.addr, d.caps), event.at, event.at, 0);
      // A new array of the exact size (a push would grow it to 41 slots for 20 entries).
      bucket.entries = bucket.entries.concat(entry);
      invariant(bucket.entries.length <= BUCKET_SIZE, `bucket ${d.bucket} exceeds k`);
      bucket.lastActivityAtMs = event.at;
      index(state, entry);
      return state;
    }
    case 'peer_seen': {
      const entry = state.byId.get(event.data.id);
      if (entry === undefined) return state;
      const bucket = bucketAt(state, bucketIndex(state.selfId, entry.peer.identity.id));
      const { identity, caps } = entry.peer;
      const peer = state.interner.peer(identity, event.data.addr, caps);
      const moved = new Entry(peer, entry.addedAtMs, event.at, 0);
      removeEntry(bucket, entry);
      bucket.entries.push(moved);
      bucket.lastActivityAtMs = event.at;
      unindex(state, entry);
      index(state, moved);
      return state;
    }
    case 'peer_cached': {
      const d = event.data;
      const bucket = bucketAt(state, d.bucket);
      removeReplacement(bucket, d.id);
      const peer = state.interner.peer(identityOf(state, d), d.addr, d.caps);
      // Exact-size arrays, as for entries.
      bucket.replacements = [peer].concat(bucket.replacements.slice(0, REPLACEMENT_CACHE_SIZE - 1));
      return state;
    }
    case 'peer_failed': {
      const entry = state.byId.get(event.data.id);
      if (entry === undefined || entry.peer.addr !== event.data.addr) return state;
      const failed = new Entry(
        entry.peer,
        entry.addedAtMs,
        entry.lastSeenAtMs,
        event.data.failures,
      );
      const bucket = bucketAt(state, bucketIndex(state.selfId, entry.peer.identity.id));
      bucket.entries[entryIndex(bucket, entry)] = failed;
      return state;
    }
    case 'peer_evicted':
      removePeer(state, event.data.id);
      return state;
    case 'lookup_started':
      if (event.data.kind === 'refresh' || event.data.kind === 'bootstrap') {
        markActivity(state, event.data.target, event.at);
      }
      return state;
    default:
      return unreachable(event);
  }
}

function removePeer(state: RoutingState, idHex: string): void {
  const entry = state.byId.get(idHex);
  if (entry === undefined) {
    for (const bucket of state.buckets) if (bucket !== undefined) removeReplacement(bucket, idHex);
    return;
  }
  const bucket = bucketAt(state, bucketIndex(state.selfId, entry.peer.identity.id));
  removeEntry(bucket, entry);
  removeReplacement(bucket, idHex);
  unindex(state, entry);
}

/** Counts an entry its bucket now holds. */
function index(state: RoutingState, entry: RoutingEntry): void {
  state.byId.counted(1);
  state.tableKeys.push(entry.peer.tableKey);
}

/** Uncounts an entry its bucket no longer holds. */
function unindex(state: RoutingState, entry: RoutingEntry): void {
  state.byId.counted(-1);
  const keys = state.tableKeys;
  const at = keys.indexOf(entry.peer.tableKey);
  invariant(at >= 0, `peer ${entry.peer.identity.idHex} not counted in its table group`);
  keys[at] = keys[keys.length - 1]!;
  keys.pop();
}

/** Entries of the table in the table-wide group `tableKey` (see AddressGroups). */
export function tableGroupCount(state: RoutingState, tableKey: number): number {
  let count = 0;
  for (const key of state.tableKeys) if (key === tableKey) count++;
  return count;
}

/** Entries per table-wide group, by the group's text (for views and tests). */
export function tableGroupCounts(state: RoutingState): Map<string, number> {
  const counts = new Map<string, number>();
  for (const entry of state.byId.values()) {
    const group = addressGroups(entry.peer.addr).table;
    counts.set(group, (counts.get(group) ?? 0) + 1);
  }
  return counts;
}

function entryIndex(bucket: Bucket, entry: RoutingEntry): number {
  const at = bucket.entries.indexOf(entry);
  invariant(at >= 0, `peer ${entry.peer.identity.idHex} indexed but not in its bucket`);
  return at;
}

function removeEntry(bucket: Bucket, entry: RoutingEntry): void {
  bucket.entries.splice(entryIndex(bucket, entry), 1);
}

function removeReplacement(bucket: Bucket, idHex: string): void {
  const at = bucket.replacements.findIndex((p) => p.identity.idHex === idHex);
  if (at >= 0) bucket.replacements.splice(at, 1);
}

function markActivity(state: RoutingState, targetHex: string, atMs: number): void {
  const target = fromHex(targetHex);
  if (target === null || targetHex === state.selfHex) return;
  bucketAt(state, bucketIndex(state.selfId, target)).lastActivityAtMs = atMs;
}

/** The bucket a peer falls into; -1 for our own ID. */
export function bucketOf(state: RoutingState, id: NodeId): number {
  return compareDistance(state.selfId, id, state.selfId) === 0 ? -1 : bucketIndex(state.selfId, id);
}

/**
 * The `count` entries closest to `target`, visiting buckets from nearest to farthest and
 * stopping once `count` are held: every bucket in this order is wholly farther than the ones
 * before it. The target's own bucket holds the closest. A deeper bucket i agrees with us up
 * to its bit, so it is closer than every bucket deeper than it exactly when self⊕target has
 * that bit set: those come first (shallowest first), then the others (deepest first). The
 * shallower buckets follow, each farther than the last. A lookup's find_node typically reads
 * two buckets instead of the table.
 */
export function closestEntries(state: RoutingState, target: NodeId, count: number): RoutingEntry[] {
  const selection = new Selection(target, count);
  const { selfId: self, buckets } = state;
  const start = compareDistance(self, target, self) === 0 ? 0 : bucketIndex(self, target);
  if (selection.offerAll(buckets[start]?.entries)) return selection.entries;
  // Most buckets of a table are empty: skip them before looking at any bit.
  for (let i = start - 1; i >= 0; i--) {
    const entries = buckets[i]?.entries;
    if (entries !== undefined && entries.length > 0 && distanceBit(self, target, i) === 1)
      if (selection.offerAll(entries)) return selection.entries;
  }
  for (let i = 0; i < start; i++) {
    const entries = buckets[i]?.entries;
    if (entries !== undefined && entries.length > 0 && distanceBit(self, target, i) === 0)
      if (selection.offerAll(entries)) return selection.entries;
  }
  for (let i = start + 1; i < ID_BITS; i++)
    if (selection.offerAll(buckets[i]?.entries)) return selection.entries;
  return selection.entries;
}

/** The bit of self⊕target that decides bucket `index` (bit 159 - index from the top). */
function distanceBit(self: NodeId, target: NodeId, index: number): number {
  const bit = ID_BITS - 1 - index;
  return ((self[bit >> 3]! ^ target[bit >> 3]!) >> (7 - (bit & 7))) & 1;
}

/** The closest `count` entries offered so far, closest first, with their distance prefixes. */
class Selection {
  readonly entries: RoutingEntry[] = [];
  private readonly prefixes: number[] = [];
  private readonly t0: number;

  constructor(
    private readonly target: NodeId,
    private readonly count: number,
  ) {
    this.t0 = prefix31(target);
  }

  get full(): boolean {
    return this.entries.length >= this.count;
  }

  /** Offers every entry; returns whether the selection is full afterwards. */
  offerAll(entries: readonly RoutingEntry[] | undefined): boolean {
    if (entries !== undefined) for (const entry of entries) this.offer(entry);
    return this.full;
  }

  private offer(entry: RoutingEntry): void {
    const { entries, prefixes, count } = this;
    const distance = entry.peer.idPrefix ^ this.t0;
    let at = entries.length;
    if (at >= count) {
      // Full: most offers are farther than the last held one and stop at this one comparison.
      if (count <= 0 || !this.farther(prefixes[at - 1]!, entries[at - 1]!, distance, entry)) return;
      at--;
    }
    // Insertion by shifting, not splice: at most k entries, and no builtin call per offer.
    while (at > 0 && this.farther(prefixes[at - 1]!, entries[at - 1]!, distance, entry)) {
      entries[at] = entries[at - 1]!;
      prefixes[at] = prefixes[at - 1]!;
      at--;
    }
    entries[at] = entry;
    prefixes[at] = distance;
  }

  /** Whether the held entry is farther from the target than the offered one. */
  private farther(
    heldPrefix: number,
    held: RoutingEntry,
    prefix: number,
    offered: RoutingEntry,
  ): boolean {
    if (heldPrefix !== prefix) return heldPrefix > prefix;
    return compareDistance(this.target, held.peer.identity.id, offered.peer.identity.id) > 0;
  }
}

export { prefix31 };

/** A plain, canonical form of the table: snapshots and the rebuild-equals-live checker. */
export function routingToJson(state: RoutingState): RoutingJson {
  const buckets: RoutingJson['buckets'] = [];
  state.buckets.forEach((bucket, index) => {
    if (bucket === undefined || (bucket.entries.length === 0 && bucket.replacements.length === 0))
      return;
    buckets.push({
      index,
      last_activity_at_ms: bucket.lastActivityAtMs,
      entries: bucket.entries.map((e) => ({
        ...peerJson(e.peer),
        added_at_ms: e.addedAtMs,
        last_seen_at_ms: e.lastSeenAtMs,
        failures: e.failures,
      })),
      replacements: bucket.replacements.map(peerJson),
    });
  });
  return { self: state.selfHex, buckets };
}

export function routingFromJson(
  json: RoutingJson,
  selfId: NodeId,
  interner = sharedInterner,
): RoutingState {
  const state = emptyRouting(selfId, toHex(selfId), interner);
  for (const b of json.buckets) {
    const bucket = bucketAt(state, b.index);
    bucket.lastActivityAtMs = b.last_activity_at_ms;
    bucket.replacements = b.replacements.map((p) => peerFromJson(state, p));
    bucket.entries = b.entries.map((e) => {
      const peer = peerFromJson(state, e);
      invariant(
        bucketIndex(selfId, peer.identity.id) === b.index,
        `snapshot puts peer ${e.id} in bucket ${b.index}, not its own`,
      );
      return new Entry(peer, e.added_at_ms, e.last_seen_at_ms, e.failures);
    });
    for (const entry of bucket.entries) index(state, entry);
  }
  return state;
}

interface PeerJson {
  id: string;
  pk: string;
  nonce: number;
  addr: string;
  caps: number;
}

export interface RoutingJson {
  self: string;
  buckets: Array<{
    index: number;
    last_activity_at_ms: number;
    entries: Array<PeerJson & { added_at_ms: number; last_seen_at_ms: number; failures: number }>;
    replacements: PeerJson[];
  }>;
}

function peerJson(peer: PeerInfo): PeerJson {
  const { identity } = peer;
  return {
    id: identity.idHex,
    pk: toHex(identity.pk),
    nonce: identity.nonce,
    addr: peer.addr,
    caps: peer.caps,
  };
}

function peerFromJson(state: RoutingState, p: PeerJson): TablePeer {
  return state.interner.peer(identityOf(state, p), p.addr, p.caps);
}
