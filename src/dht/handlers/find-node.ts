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
  const { k } = view.config;
  const out: WireNodeInfo[] = [];
  for (const entry of closestEntries(view.state.routing, target, k + 1)) {
    if (entry.peer.identity.idHex === requester.identity.idHex || out.length === k) continue;
    out.push(entry.peer.wire);
  }
  return out;
}

export function handleFindNode(view: EngineView, target: Uint8Array, requester: PeerInfo): Body {
  return { res: { op: 'nodes', nodes: closestWire(view, target, requester) } };
}
