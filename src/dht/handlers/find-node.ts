import type { PeerInfo } from '../../core/node-info.js';
import type { Body, WireNodeInfo } from '../../net/messages.js';
import { closestEntries } from '../../projections/routing-table.js';
import type { EngineView } from '../node-context.js';
import { peerToWire } from '../wire-peers.js';

/** Up to k verified peers closest to `target`, never the requester itself. */
export function closestWire(
  view: EngineView,
  target: Uint8Array,
  requester: PeerInfo,
): WireNodeInfo[] {
  return closestEntries(view.state.routing, target, view.config.k + 1)
    .filter((e) => e.peer.identity.idHex !== requester.identity.idHex)
    .slice(0, view.config.k)
    .map((e) => peerToWire(e.peer));
}

export function handleFindNode(view: EngineView, target: Uint8Array, requester: PeerInfo): Body {
  return { res: { op: 'nodes', nodes: closestWire(view, target, requester) } };
}
