import type { PeerInfo } from '../../core/node-info.js';
import type { Body, WireNodeInfo } from '../../net/messages.js';
import { closestEntries } from '../../projections/routing-table.js';
import type { EngineView } from '../node-context.js';

/** Up to k verified peers closest to `target`, never the requester itself. */
export function closestWire(
  view: EngineView,
  target: Uint8Array,
  requester: PeerInfo,
): WireNodeInfo[] {
  // The k closest without the requester: the same peers as the k + 1 closest less the
  // requester, cut to k, but a bucket of k others ends the search without reading the next.
  const entries = closestEntries(view.state.routing, target, view.config.k, requester.identity);
  const out = new Array<WireNodeInfo>(entries.length);
  for (let i = 0; i < entries.length; i++) out[i] = entries[i]!.peer.wire;
  return out;
}

export function handleFindNode(view: EngineView, target: Uint8Array, requester: PeerInfo): Body {
  return { res: { op: 'nodes', nodes: closestWire(view, target, requester) } };
}
