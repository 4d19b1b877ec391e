import { bucketIndex } from '../core/distance.js';
import { toHex } from '../core/bytes.js';
import { servesDht, type PeerInfo } from '../core/node-info.js';
import type { Bucket } from '../projections/routing-table.js';
import { idPrefixOf } from '../projections/peer-identity.js';
import { diversityAllows } from './diversity.js';
import {
  draft,
  NO_DECISION,
  type Decision,
  type DecisionContext,
  type EngineView,
  type EventDraft,
} from './node-context.js';

/**
 * The routing table's decisions (SPEC §2), as values: each reads the folded state and returns
 * the events to record and the pings to send. The driver records, then sends.
 */

function peerData(peer: PeerInfo, bucket: number) {
  const { identity } = peer;
  return {
    id: identity.idHex,
    addr: peer.addr,
    caps: peer.caps,
    bucket,
    pk: toHex(identity.pk),
    nonce: identity.nonce,
  };
}

/** Why a verified peer did not enter the table, for the driver's aggregated peer_rejected. */
export interface ObserveDecision extends Decision {
  readonly rejected?: 'ip_diversity';
}

/**
 * A verified direct exchange with `peer`: refresh it if known (peer_seen at most once per
 * interval whatever its address does, at once when it had failures), add it if its bucket has room, otherwise
 * cache it and ping the bucket's head, which is evicted only if it fails.
 */
export function decideObserved(
  view: EngineView,
  peer: PeerInfo,
  context: DecisionContext,
): ObserveDecision {
  const { config, state, identity } = view;
  if (!servesDht(peer.caps)) return NO_DECISION;
  // Every RPC at both ends comes here: the bucket from the ID's bytes and the entry's facts
  // read in place, no entry object made for the common answer (known, seen recently).
  const index = bucketIndex(identity.id, peer.identity.id);
  if (index < 0) return NO_DECISION; // our own ID
  const idHex = peer.identity.idHex;
  const { routing } = state;
  const bucket = routing.buckets[index];
  const at = bucket === undefined ? -1 : bucket.indexOfPeer(peer, idHex, idPrefixOf(peer));
  if (bucket !== undefined && at >= 0) {
    // At most once a minute whatever its address does (SPEC §5): a peer rotating its source
    // port cannot write the log at will; a new address rides on the next peer_seen. A peer
    // with failures is recorded at once, as that clears them (only our own RPCs cause them).
    const stale = context.nowMs - bucket.lastSeenAt(at) >= config.peerSeenIntervalMs;
    if (!stale && bucket.failuresAt(at) === 0) return NO_DECISION;
    return only(draft('peer_seen', { id: idHex, addr: peer.addr }, { peer: idHex }));
  }
  const peers = bucket?.peers ?? [];
  const full = peers.length >= config.k;
  if (full && bucket?.replacements[0]?.identity.idHex === idHex)
    return { events: [], pings: headToPing(bucket, config.peerSeenIntervalMs, context) };
  if (!diversityAllows(routing, peers, peer.addr, config))
    return { ...NO_DECISION, rejected: 'ip_diversity' };
  if (!full) return only(draft('peer_added', peerData(peer, index), { peer: idHex }));
  return {
    events: [draft('peer_cached', peerData(peer, index), { peer: idHex })],
    pings: headToPing(bucket, config.peerSeenIntervalMs, context),
  };
}

/** A full bucket's head is pinged unless it was seen within the interval. */
function headToPing(
  bucket: Bucket | undefined,
  peerSeenIntervalMs: number,
  context: DecisionContext,
): PeerInfo[] {
  if (bucket === undefined || bucket.size === 0) return [];
  if (context.nowMs - bucket.lastSeenAt(0) < peerSeenIntervalMs) return [];
  return [bucket.peers[0]!];
}

/**
 * One failed RPC to a peer in the table. Counted per (id, address), so a forged address in
 * someone's reply cannot strike an honest peer; not counted while our own network is down
 * (no successful exchange for `offlineAfterMs`). The third strike evicts it and promotes the
 * freshest replacement that the IP-diversity caps allow.
 */
export function decideStrike(
  view: EngineView,
  peer: PeerInfo,
  error: string,
  context: DecisionContext,
): Decision {
  const { config, state, identity } = view;
  const idHex = peer.identity.idHex;
  const entry = state.routing.byId.get(idHex);
  if (entry === undefined || entry.peer.addr !== peer.addr) return NO_DECISION;
  if (context.nowMs - context.lastSuccessAtMs > config.offlineAfterMs) return NO_DECISION;
  const failures = entry.failures + 1;
  const events: EventDraft[] = [
    draft('peer_failed', { id: idHex, addr: peer.addr, failures, error }, { peer: idHex }),
  ];
  if (failures < config.maxFailures) return { events, pings: [] };
  events.push(draft('peer_evicted', { id: idHex, reason: 'unresponsive' }, { peer: idHex }));
  const index = bucketIndex(identity.id, peer.identity.id);
  const promoted = replacementFor(view, index, idHex);
  if (promoted !== undefined)
    events.push(draft('peer_added', peerData(promoted, index), { peer: promoted.identity.idHex }));
  return { events, pings: [] };
}

/** The freshest replacement that fits the diversity caps once `evictedHex` has left. */
function replacementFor(view: EngineView, index: number, evictedHex: string): PeerInfo | undefined {
  const { routing } = view.state;
  const bucket = routing.buckets[index];
  const remaining = (bucket?.peers ?? []).filter((p) => p.identity.idHex !== evictedHex);
  for (const candidate of bucket?.replacements ?? []) {
    if (diversityAllows(routing, remaining, candidate.addr, view.config, evictedHex))
      return candidate;
  }
  return undefined;
}

function only(event: EventDraft): Decision {
  return { events: [event], pings: [] };
}
