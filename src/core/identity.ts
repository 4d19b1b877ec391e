import { bytesEqual, toHex } from './bytes.js';
import { PUBLIC_KEY_BYTES } from './ed25519.js';
import { ID_BYTES, type NodeId } from './node-id.js';
import { deriveNodeId, MAX_NONCE, powBits } from './proof-of-work.js';

/**
 * NodeIdentity = { id, pk, nonce } (SPEC §1). Objects are immutable and shared: one per
 * identity per process (see IdentityCache), so thousands of tables can hold the same peer.
 */
export interface NodeIdentity {
  readonly id: NodeId;
  readonly idHex: string;
  readonly pk: Uint8Array;
  readonly nonce: number;
}

export type IdentityProblem = 'bad_length' | 'bad_nonce' | 'id_mismatch' | 'insufficient_work';

/** Checks SPEC §1: the id derives from (pk, nonce) and the nonce meets `minDifficulty`. */
export function checkIdentity(
  id: Uint8Array,
  pk: Uint8Array,
  nonce: number,
  minDifficulty: number,
): IdentityProblem | null {
  if (id.length !== ID_BYTES || pk.length !== PUBLIC_KEY_BYTES) return 'bad_length';
  if (!Number.isSafeInteger(nonce) || nonce < 0 || nonce > MAX_NONCE) return 'bad_nonce';
  if (powBits(pk, nonce) < minDifficulty) return 'insufficient_work';
  if (!bytesEqual(deriveNodeId(pk, nonce), id)) return 'id_mismatch';
  return null;
}

export function makeIdentity(pk: Uint8Array, nonce: number): NodeIdentity {
  const id = deriveNodeId(pk, nonce);
  return Object.freeze({ id, idHex: toHex(id), pk, nonce });
}

/**
 * Verified identities, keyed by the first 32 bits of the ID (IDs are hashes). Verifying costs
 * two BLAKE3 hashes, and a peer's identity arrives in every message and in every answer that
 * lists it, so the cache turns that into a number-keyed lookup and a compare of the ID, key
 * and nonce (no hex text built), and hands out the one shared object. A different ID under
 * the same key is only a miss: it is verified and takes the slot. Bounded: the oldest entries
 * are dropped first.
 */
export class IdentityCache {
  private readonly byPrefix = new Map<number, { identity: NodeIdentity; workBits: number }>();

  constructor(private readonly maxEntries = 100_000) {}

  /** The shared verified identity, or the problem that makes it invalid. */
  verify(
    id: Uint8Array,
    pk: Uint8Array,
    nonce: number,
    minDifficulty: number,
  ): NodeIdentity | IdentityProblem {
    const known = id.length === ID_BYTES ? this.byPrefix.get(prefixOf(id)) : undefined;
    if (
      known !== undefined &&
      known.identity.nonce === nonce &&
      bytesEqual(known.identity.id, id) &&
      bytesEqual(known.identity.pk, pk)
    ) {
      return known.workBits >= minDifficulty ? known.identity : 'insufficient_work';
    }
    const problem = checkIdentity(id, pk, nonce, minDifficulty);
    if (problem !== null) return problem;
    const identity = Object.freeze({
      id: Uint8Array.from(id),
      idHex: toHex(id),
      pk: Uint8Array.from(pk),
      nonce,
    });
    this.remember(identity);
    return identity;
  }

  /** Adds an identity known to be valid (our own, or one just derived). */
  remember(identity: NodeIdentity): void {
    const prefix = prefixOf(identity.id);
    this.byPrefix.delete(prefix);
    if (this.byPrefix.size >= this.maxEntries) {
      const oldest = this.byPrefix.keys().next();
      if (oldest.done !== true) this.byPrefix.delete(oldest.value);
    }
    this.byPrefix.set(prefix, { identity, workBits: powBits(identity.pk, identity.nonce) });
  }
}

function prefixOf(id: Uint8Array): number {
  return ((id[0]! << 24) | (id[1]! << 16) | (id[2]! << 8) | id[3]!) >>> 0;
}
