import type { PeerInfo } from '../../core/node-info.js';
import type { Body, WireNodeInfo } from '../../net/messages.js';
import { noteListedSpans } from '../../net/wire-encode.js';
import { closestPeers } from '../../projections/routing-table.js';
import type { EngineView } from '../node-context.js';

/** Up to k verified peers closest to `target`, never the requester itself. */
export function closestWire(
  view: EngineView,
  target: Uint8Array,
  requester: PeerInfo,
): WireNodeInfo[] {
  // The k closest without the requester: the same peers as the k + 1 closest less the
  // requester, cut to k, but a bucket of k others ends the search without reading the next.
  const peers = closestPeers(view.state.routing, target, view.config.k, requester.identity);
  const out = new Array<WireNodeInfo>(peers.length);
  for (let i = 0; i < peers.length; i++) out[i] = peers[i]!.wire;
  // The encoder's shortcut, not state of ours: it copies these peers' bytes from the arena.
  noteListedSpans(out, peers);
  return out;
}

export function handleFindNode(view: EngineView, target: Uint8Array, requester: PeerInfo): Body {
  return { res: { op: 'nodes', nodes: closestWire(view, target, requester) } };
}
