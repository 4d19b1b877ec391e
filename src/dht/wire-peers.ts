import type { IdentityCache, IdentityProblem, NodeIdentity } from '../core/identity.js';
import type { PeerInfo } from '../core/node-info.js';
import type { Pointer } from '../core/pointer.js';
import type { WireNodeInfo, WirePointer } from '../net/messages.js';
import {
  clearSlotField,
  decodedItemSlot,
  decodedNodeSlot,
  nodeSlotField,
  setSlotField,
  slotFieldOf,
} from '../net/wire-decode.js';
import { withEncoding } from '../net/wire-encode.js';
import { sharedInterner } from '../projections/peer-identity.js';

const wireViews = new WeakMap<NodeIdentity, WireNodeInfo>();

/**
 * NodeInfo as it goes on the wire (SPEC §3.3). One frozen view per shared identity (while its
 * address and caps stay the same), carrying its own bytes (withEncoding): a node's `from` goes
 * out in every message. Keyed by identity, not by table entry.
 */
export function peerToWire(peer: PeerInfo): WireNodeInfo {
  let wire = wireViews.get(peer.identity);
  if (wire === undefined || wire.addr !== peer.addr || wire.caps !== peer.caps) {
    const { identity } = peer;
    wire = withEncoding({
      id: identity.id,
      pk: identity.pk,
      nonce: identity.nonce,
      addr: peer.addr,
      caps: peer.caps,
    });
    wireViews.set(peer.identity, wire);
  }
  return wire;
}

/**
 * A wire NodeInfo as a PeerInfo with a verified, shared identity, or why it is invalid.
 * `addr` overrides the claimed address: for the sender of a message we use what we observed.
 */
export function peerFromWire(
  wire: WireNodeInfo,
  identities: IdentityCache,
  minDifficulty: number,
  addr: string = wire.addr,
): PeerInfo | IdentityProblem {
  const slot = addr === wire.addr ? decodedNodeSlot(wire) : -1;
  return verifiedPeer(wire, slot, identities, minDifficulty, addr);
}

/**
 * Item `index` of an answer's nodes as peerFromWire gives it. A peer verified before is found
 * by the decoder's slot without reading its NodeInfo (see decodedItemSlot).
 */
export function listedPeer(
  nodes: readonly WireNodeInfo[],
  index: number,
  identities: IdentityCache,
  minDifficulty: number,
): PeerInfo | IdentityProblem {
  return verifiedPeer(nodes[index]!, decodedItemSlot(nodes, index), identities, minDifficulty);
}

/** The peer of `wire`, held by the decoder in `slot` (or -1), at `addr` (its own by default). */
function verifiedPeer(
  wire: WireNodeInfo,
  slot: number,
  identities: IdentityCache,
  minDifficulty: number,
  addr?: string,
): PeerInfo | IdentityProblem {
  if (slot >= 0) {
    if (minDifficulty !== verifiedAtDifficulty) {
      clearSlotField(VERIFIED);
      verifiedAtDifficulty = minDifficulty;
    }
    const verified = slotFieldOf(VERIFIED, slot);
    if (verified !== null) return verified;
  }
  const identity = identities.verify(wire.id, wire.pk, wire.nonce, minDifficulty);
  if (typeof identity === 'string') return identity;
  if (slot < 0) return { identity, addr: addr ?? wire.addr, caps: wire.caps };
  // The process's shared peer: every table and recent list that keeps it holds this object.
  const peer = sharedInterner.peer(identity, wire.addr, wire.caps);
  setSlotField(VERIFIED, slot, peer);
  return peer;
}

/**
 * The verified peer of each NodeInfo the decoder holds, by its slot (decodedNodeSlot), at the
 * difficulty it was verified for. A find_node answer lists 20 peers the asker mostly knows:
 * this turns their identity checks (a lookup, compares of the ID and key) and a PeerInfo each
 * into one read of the slot's state. The peer kept is the process's shared TablePeer
 * (sharedInterner). Those objects own their bytes and cannot change, and verifying is pure,
 * so the answer kept is the answer; a slot refilled by another NodeInfo starts empty.
 */
const VERIFIED = nodeSlotField<PeerInfo>();
let verifiedAtDifficulty = -1;

/** A pointer as the wire schema types it (mutable arrays; the values are shared, not copied). */
export function pointerToWire(pointer: Pointer): WirePointer {
  return { ...pointer, holders: [...pointer.holders], fragments: [...pointer.fragments] };
}
