import { toHex } from '../../core/bytes.js';
import type { PeerInfo } from '../../core/node-info.js';
import { MAX_FRAME_BYTES } from '../../net/frame-codec.js';
import { encodedNodesSize, encodedPointerSize } from '../../net/wire-encode.js';
import { MAX_POINTERS_PER_RESPONSE, type Body, type WirePointer } from '../../net/messages.js';
import { pointersFor } from '../../projections/pointer-store.js';
import type { EngineView } from '../node-context.js';
import { pointerToWire } from '../wire-peers.js';
import { closestWire } from './find-node.js';

/** Room left for the envelope (v, rid, from, keys) around the pointers and nodes. */
const ENVELOPE_RESERVE_BYTES = 512;

/**
 * The pointers held for `key`, most recent seq first, as many as fit in one frame (`more`
 * says some were left out), and always the closest nodes known (SPEC §3.3).
 */
export function handleFindValue(view: EngineView, key: Uint8Array, requester: PeerInfo): Body {
  const nodes = closestWire(view, key, requester);
  let room = MAX_FRAME_BYTES - ENVELOPE_RESERVE_BYTES - encodedNodesSize(nodes);
  const pointers: WirePointer[] = [];
  const stored = pointersFor(view.state.pointers, toHex(key));
  for (const entry of stored) {
    if (pointers.length === MAX_POINTERS_PER_RESPONSE) break;
    const wire = pointerToWire(entry.pointer);
    const size = encodedPointerSize(wire);
    if (size > room) break;
    room -= size;
    pointers.push(wire);
  }
  return { res: { op: 'value', pointers, nodes, more: pointers.length < stored.length } };
}
