import type { IdentityCache, IdentityProblem, NodeIdentity } from '../core/identity.js';
import type { PeerInfo } from '../core/node-info.js';
import type { Pointer } from '../core/pointer.js';
import type { WireNodeInfo, WirePointer } from '../net/messages.js';
import { DECODED_NODE_SLOTS, decodedNodeSlot } from '../net/wire-decode.js';

const wireViews = new WeakMap<NodeIdentity, WireNodeInfo>();

/**
 * NodeInfo as it goes on the wire (SPEC §3.3). One frozen view per shared identity (while its
 * address and caps stay the same): the peers of a table go out in answer after answer, and
 * the encoder caches the bytes of frozen views. Keyed by identity, not by table entry, so
 * 10,000 simulated tables share one view per peer.
 */
export function peerToWire(peer: PeerInfo): WireNodeInfo {
  let wire = wireViews.get(peer.identity);
  if (wire === undefined || wire.addr !== peer.addr || wire.caps !== peer.caps) {
    const { identity } = peer;
    wire = Object.freeze({
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
  if (slot >= 0) {
    if (minDifficulty !== verifiedAtDifficulty) {
      verifiedWire.fill(null);
      verifiedAtDifficulty = minDifficulty;
    }
    if (verifiedWire[slot] === wire) return verifiedPeer[slot]!;
  }
  const identity = identities.verify(wire.id, wire.pk, wire.nonce, minDifficulty);
  if (typeof identity === 'string') return identity;
  const peer: PeerInfo = { identity, addr, caps: wire.caps };
  if (slot >= 0) {
    verifiedWire[slot] = wire;
    verifiedPeer[slot] = Object.freeze(peer);
  }
  return peer;
}

/**
 * The verified peer of each NodeInfo the decoder holds, by its slot (decodedNodeSlot), at the
 * difficulty it was verified for. A find_node answer lists 20 peers the asker mostly knows:
 * this turns their identity checks (a lookup, compares of the ID and key) and a PeerInfo each
 * into two array reads. Those objects own their bytes and cannot change, and verifying is
 * pure, so the answer kept is the answer; a slot taken by another NodeInfo no longer matches.
 */
const verifiedWire = new Array<WireNodeInfo | null>(DECODED_NODE_SLOTS).fill(null);
const verifiedPeer = new Array<PeerInfo | null>(DECODED_NODE_SLOTS).fill(null);
let verifiedAtDifficulty = -1;

/** A pointer as the wire schema types it (mutable arrays; the values are shared, not copied). */
export function pointerToWire(pointer: Pointer): WirePointer {
  return { ...pointer, holders: [...pointer.holders], fragments: [...pointer.fragments] };
}
