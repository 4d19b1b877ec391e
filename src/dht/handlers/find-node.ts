import type { PeerInfo } from '../../core/node-info.js';
import type { Body, WireNodeInfo } from '../../net/messages.js';
import { closestEntries } from '../../projections/routing-table.js';
import type { DhtNode } from '../dht-node.js';
import { peerToWire } from '../wire-peers.js';

/** Up to k verified peers closest to `target`, never the requester itself. */
export function closestWire(
  node: DhtNode,
  target: Uint8Array,
  requester: PeerInfo,
): WireNodeInfo[] {
  return closestEntries(node.state.routing, target, node.config.k + 1)
    .filter((e) => e.peer.identity.idHex !== requester.identity.idHex)
    .slice(0, node.config.k)
    .map((e) => peerToWire(e.peer));
}

export function handleFindNode(node: DhtNode, target: Uint8Array, requester: PeerInfo): Body {
  return { res: { op: 'nodes', nodes: closestWire(node, target, requester) } };
}
