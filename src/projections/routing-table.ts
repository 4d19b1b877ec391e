import { fromHex, toHex } from '../core/bytes.js';
import { compareDistance, bucketIndex } from '../core/distance.js';
import { invariant } from '../core/errors.js';
import type { NodeIdentity } from '../core/identity.js';
import type { PeerInfo } from '../core/node-info.js';
import { ID_BITS, type NodeId } from '../core/node-id.js';
import type { EventOf, EventType, StoredEvent } from '../events/event-types.js';
import { addressGroups } from './network-groups.js';
import { unreachable } from './unreachable.js';
import { sharedInterner, type IdentityInterner, type TablePeer } from './peer-identity.js';
import { Bucket, TableIndex, type RoutingEntry } from './routing-entries.js';

export { closestPeers } from './closest-peers.js';
export { Bucket, TableIndex, type RoutingEntry };

/** SPEC §2: 160 buckets of k = 20 entries. */
export const BUCKET_SIZE = 20;
/** Replacement cache per bucket: small and bounded, newest first (SPEC §2). */
export const REPLACEMENT_CACHE_SIZE = 8;

/**
 * The routing table as a fold over events. `evolveRouting` updates in place and returns the
 * same object: a table per simulated node at 10,000 nodes leaves no room for copies. Nothing
 * else mutates it; the engine only reads it.
 */
export interface RoutingState {
  readonly selfId: NodeId;
  readonly selfHex: string;
  readonly buckets: Array<Bucket | undefined>;
  /**
   * The lowest index of a bucket made so far (ID_BITS while none is): buckets are made as
   * peers arrive and kept, and those below it, most of the 160, are skipped without a look.
   */
  lowestBucket: number;
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
    lowestBucket: ID_BITS,
    byId: new TableIndex(selfHex, buckets),
    tableKeys: [],
    interner,
  };
}

function bucketAt(state: RoutingState, index: number): Bucket {
  let bucket = state.buckets[index];
  if (bucket === undefined) {
    bucket = new Bucket();
    state.buckets[index] = bucket;
    if (index < state.lowestBucket) state.lowestBucket = index;
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
      const peer = state.interner.peer(identity, d.addr, d.caps);
      bucket.add(peer, event.at, event.at, 0);
      invariant(bucket.size <= BUCKET_SIZE, `bucket ${d.bucket} exceeds k`);
      bucket.lastActivityAtMs = event.at;
      index(state, peer);
      return state;
    }
    case 'peer_seen': {
      const found = state.byId.find(event.data.id);
      if (found === null) return state;
      const { bucket, at } = found;
      const known = bucket.peers[at]!;
      const peer = state.interner.peer(known.identity, event.data.addr, known.caps);
      bucket.seen(at, peer, event.at);
      bucket.lastActivityAtMs = event.at;
      unindex(state, known);
      index(state, peer);
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
      const found = state.byId.find(event.data.id);
      if (found === null || found.bucket.peers[found.at]!.addr !== event.data.addr) return state;
      found.bucket.failed(found.at, event.data.failures);
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
  const found = state.byId.find(idHex);
  if (found === null) {
    for (const bucket of state.buckets) if (bucket !== undefined) removeReplacement(bucket, idHex);
    return;
  }
  const { bucket, at } = found;
  const peer = bucket.peers[at]!;
  bucket.removeAt(at);
  removeReplacement(bucket, idHex);
  unindex(state, peer);
}

/** Counts a peer its table now holds. */
function index(state: RoutingState, peer: TablePeer): void {
  state.byId.counted(1);
  state.tableKeys.push(peer.tableKey);
}

/** Uncounts a peer its table no longer holds. */
function unindex(state: RoutingState, peer: TablePeer): void {
  state.byId.counted(-1);
  const keys = state.tableKeys;
  const at = keys.indexOf(peer.tableKey);
  invariant(at >= 0, `peer ${peer.identity.idHex} not counted in its table group`);
  keys[at] = keys[keys.length - 1]!;
  keys.pop();
}

/** Entries of the table in the table-wide group `tableKey` (see AddressGroups). */
export function tableGroupCount(state: RoutingState, tableKey: number): number {
  // Indexed, not for-of: the keys are doubles, and an iterator that is not optimized away
  // boxes each one (the largest allocation per observed newcomer in a heap profile).
  const keys = state.tableKeys;
  let count = 0;
  for (let i = 0; i < keys.length; i++) if (keys[i] === tableKey) count++;
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

export { prefix31 } from '../core/node-id.js';

/** A plain, canonical form of the table: snapshots and the rebuild-equals-live checker. */
export function routingToJson(state: RoutingState): RoutingJson {
  const buckets: RoutingJson['buckets'] = [];
  state.buckets.forEach((bucket, index) => {
    if (bucket === undefined || (bucket.size === 0 && bucket.replacements.length === 0)) return;
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
    for (const e of b.entries) {
      const peer = peerFromJson(state, e);
      invariant(
        bucketIndex(selfId, peer.identity.id) === b.index,
        `snapshot puts peer ${e.id} in bucket ${b.index}, not its own`,
      );
      bucket.add(peer, e.added_at_ms, e.last_seen_at_ms, e.failures);
      index(state, peer);
    }
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
