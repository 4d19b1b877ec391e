import { bucketIndex } from '../core/distance.js';
import { toHex } from '../core/bytes.js';
import { servesDht, type PeerInfo } from '../core/node-info.js';
import type { DhtNode } from './dht-node.js';
import { diversityAllows } from './diversity.js';
import { sendRpc } from './rpc-client.js';

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

/**
 * A verified direct exchange with `peer` (SPEC §2): refresh it if known, add it if its bucket
 * has room, otherwise cache it and ping the bucket's head, which is evicted only if it fails.
 */
export function observePeer(node: DhtNode, peer: PeerInfo): void {
  const now = node.timers.now();
  node.lastSuccessAtMs = now;
  if (!servesDht(peer.caps) || peer.identity.idHex === node.idHex) return;
  const { routing } = node.state;
  const known = routing.byId.get(peer.identity.idHex);
  if (known !== undefined) {
    const stale = now - known.lastSeenAtMs >= node.config.peerSeenIntervalMs;
    if (stale || known.failures > 0 || known.peer.addr !== peer.addr) {
      node.record(
        'peer_seen',
        { id: peer.identity.idHex, addr: peer.addr },
        { peer: peer.identity.idHex },
      );
    }
    return;
  }
  const index = bucketIndex(node.identity.id, peer.identity.id);
  const bucket = routing.buckets[index];
  const entries = bucket?.entries ?? [];
  const full = entries.length >= node.config.k;
  if (full && bucket?.replacements[0]?.identity.idHex === peer.identity.idHex) {
    pingHead(node, index);
    return;
  }
  if (!diversityAllows(routing, entries, peer.addr, node.config)) {
    rejectPeer(node, peer.addr, 'ip_diversity');
    return;
  }
  if (!full) {
    node.record('peer_added', peerData(peer, index), { peer: peer.identity.idHex });
    return;
  }
  node.record('peer_cached', peerData(peer, index), { peer: peer.identity.idHex });
  pingHead(node, index);
}

function pingHead(node: DhtNode, index: number): void {
  const head = node.state.routing.buckets[index]?.entries[0];
  if (head === undefined) return;
  const idHex = head.peer.identity.idHex;
  const recentlySeen = node.timers.now() - head.lastSeenAtMs < node.config.peerSeenIntervalMs;
  if (recentlySeen || node.pingingHeads.has(idHex)) return;
  node.pingingHeads.add(idHex);
  sendRpc(node, head.peer, { op: 'ping' }, null, () => node.pingingHeads.delete(idHex));
}

/**
 * One failed RPC to a peer in the table. Counted per (id, address), so a forged address in
 * someone's reply cannot strike an honest peer; not counted while our own network is down.
 */
export function strikePeer(node: DhtNode, peer: PeerInfo, error: string): void {
  const entry = node.state.routing.byId.get(peer.identity.idHex);
  if (entry === undefined || entry.peer.addr !== peer.addr) return;
  if (node.timers.now() - node.lastSuccessAtMs > node.config.offlineAfterMs) return;
  const failures = entry.failures + 1;
  const idHex = peer.identity.idHex;
  if (
    node.record('peer_failed', { id: idHex, addr: peer.addr, failures, error }, { peer: idHex }) ===
    null
  )
    return;
  if (failures < node.config.maxFailures) return;
  const index = bucketIndex(node.identity.id, peer.identity.id);
  if (node.record('peer_evicted', { id: idHex, reason: 'unresponsive' }, { peer: idHex }) === null)
    return;
  promoteReplacement(node, index);
}

function promoteReplacement(node: DhtNode, index: number): void {
  const bucket = node.state.routing.buckets[index];
  for (const candidate of bucket?.replacements ?? []) {
    if (!diversityAllows(node.state.routing, bucket?.entries ?? [], candidate.addr, node.config))
      continue;
    node.record('peer_added', peerData(candidate, index), { peer: candidate.identity.idHex });
    return;
  }
}

/** Records a rejection, aggregated per source per minute (SPEC §5 peer_rejected). */
export function rejectPeer(node: DhtNode, addr: string, reason: string): void {
  const count = node.rejections.count(`${addr} ${reason}`, node.timers.now());
  if (count > 0) node.record('peer_rejected', { addr, reason, count });
}
