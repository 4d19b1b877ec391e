import { fromHex } from '../core/bytes.js';
import type { NodeIdentity } from '../core/identity.js';
import { invariant } from '../core/errors.js';
import type { PeerInfo } from '../core/node-info.js';
import { prefix31 } from '../core/node-id.js';
import type { WireNodeInfo } from '../net/messages.js';
import { spanOf, withEncoding, type NodeInfoSpan } from '../net/wire-encode.js';
import { addressGroups } from './network-groups.js';

/**
 * A peer as routing tables hold it: one frozen object per peer and address, shared by every
 * table on the process, with what the tables' hot paths read worked out once.
 */
export interface TablePeer extends PeerInfo, NodeInfoSpan {
  /** Its identity's ID hex, beside the rest: read per listed peer without the identity object. */
  readonly idHex: string;
  /**
   * The ID's first 31 bits: closestPeers orders by them and reaches the ID itself only on a
   * tie, so choosing the closest of a table touches two objects per entry, not four.
   */
  readonly idPrefix: number;
  /** The per-bucket IP-diversity group of its address (IPv4 /24, IPv6 /64). */
  readonly bucketGroup: string;
  /** The table-wide group of its address as a number (AddressGroups.tableKey). */
  readonly tableKey: number;
  /**
   * Its NodeInfo as the wire carries it (SPEC §3.3), frozen and carrying its own bytes
   * (withEncoding). find_node answers list table peers: the encoder copies their bytes from
   * the arena instead (NodeInfoSpan, the fields beside).
   */
  readonly wire: Readonly<WireNodeInfo>;
}

/** Whether `peer` is an interner's shared peer (with what the tables' hot paths read). */
export function isTablePeer(peer: PeerInfo): peer is TablePeer {
  return 'idPrefix' in peer;
}

/** The peer's ID hex, read from a shared peer itself. */
export function idHexOf(peer: PeerInfo): string {
  return isTablePeer(peer) ? peer.idHex : peer.identity.idHex;
}

/** prefix31 of the peer's ID, read from a shared peer itself. */
export function idPrefixOf(peer: PeerInfo): number {
  return isTablePeer(peer) ? peer.idPrefix : prefix31(peer.identity.id);
}

/**
 * Rebuilds identities from recorded events without re-hashing: they were verified before they
 * were recorded, and the hash chain protects the log. Interned, so every projection on a
 * process shares one object per peer (10,000 simulated tables hold the same peers).
 */
export class IdentityInterner {
  private readonly byId = new Map<string, NodeIdentity>();
  private readonly addrs = new Map<string, string>();
  private readonly peers = new Map<string, TablePeer>();

  intern(idHex: string, pkHex: string, nonce: number): NodeIdentity {
    const known = this.byId.get(idHex);
    if (known !== undefined && known.nonce === nonce) return known;
    const id = fromHex(idHex);
    const pk = fromHex(pkHex);
    invariant(id !== null && pk !== null, `recorded identity ${idHex} is not hex`);
    const identity: NodeIdentity = Object.freeze({ id, idHex, pk, nonce });
    this.byId.set(idHex, identity);
    return identity;
  }

  /** One string per address: every table that holds a peer shares its address text. */
  addr(text: string): string {
    const known = this.addrs.get(text);
    if (known !== undefined) return known;
    // Bounded like any cache fed from the network; dropping it only costs sharing.
    if (this.addrs.size >= MAX_SHARED_ADDRESSES) this.addrs.clear();
    this.addrs.set(text, text);
    return text;
  }

  /**
   * The shared TablePeer of a peer at `addr` with `caps`: every routing table and reachability
   * list that holds it points at one object, so a table entry costs its own fields only (at
   * 10,000 simulated nodes, two million entries share 10,000 peers).
   */
  peer(identity: NodeIdentity, addr: string, caps: number): TablePeer {
    const known = this.peers.get(identity.idHex);
    if (
      known !== undefined &&
      known.addr === addr &&
      known.caps === caps &&
      known.identity.nonce === identity.nonce
    )
      return known;
    const groups = addressGroups(addr);
    const sharedAddr = this.addr(addr);
    const wire = withEncoding({
      id: identity.id,
      pk: identity.pk,
      nonce: identity.nonce,
      addr: sharedAddr,
      caps,
    });
    const span = spanOf(wire);
    const peer: TablePeer = Object.freeze({
      identity,
      addr: sharedAddr,
      caps,
      idHex: identity.idHex,
      idPrefix: prefix31(identity.id),
      bucketGroup: groups.bucket,
      tableKey: groups.tableKey,
      wire,
      encChunk: span.encChunk,
      encAt: span.encAt,
      encLength: span.encLength,
    });
    // Bounded like the addresses: dropping the map only costs sharing.
    if (this.peers.size >= MAX_SHARED_PEERS) this.peers.clear();
    this.peers.set(identity.idHex, peer);
    return peer;
  }

  /** Shares an identity object the engine already verified. */
  share(identity: NodeIdentity): void {
    if (!this.byId.has(identity.idHex)) this.byId.set(identity.idHex, identity);
  }
}

const MAX_SHARED_ADDRESSES = 200_000;
const MAX_SHARED_PEERS = 200_000;

export const sharedInterner = new IdentityInterner();
