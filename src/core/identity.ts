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
 * Verified identities by ID hex. Verifying costs two BLAKE3 hashes; a peer's identity arrives
 * in every message, so the cache turns that into a map lookup plus a 32-byte compare, and
 * hands out the one shared object. Bounded: the oldest entries are dropped first.
 */
export class IdentityCache {
  private readonly byId = new Map<string, { identity: NodeIdentity; workBits: number }>();

  constructor(private readonly maxEntries = 100_000) {}

  /** The shared verified identity, or the problem that makes it invalid. */
  verify(
    id: Uint8Array,
    pk: Uint8Array,
    nonce: number,
    minDifficulty: number,
  ): NodeIdentity | IdentityProblem {
    const idHex = toHex(id);
    const known = this.byId.get(idHex);
    const { identity: knownIdentity, workBits } = known ?? {};
    if (knownIdentity?.nonce === nonce && bytesEqual(knownIdentity.pk, pk)) {
      return (workBits ?? 0) >= minDifficulty ? knownIdentity : 'insufficient_work';
    }
    const problem = checkIdentity(id, pk, nonce, minDifficulty);
    if (problem !== null) return problem;
    const identity = Object.freeze({
      id: Uint8Array.from(id),
      idHex,
      pk: Uint8Array.from(pk),
      nonce,
    });
    this.remember(identity);
    return identity;
  }

  /** Adds an identity known to be valid (our own, or one just derived). */
  remember(identity: NodeIdentity): void {
    if (this.byId.size >= this.maxEntries) {
      const oldest = this.byId.keys().next();
      if (oldest.done !== true) this.byId.delete(oldest.value);
    }
    this.byId.set(identity.idHex, { identity, workBits: powBits(identity.pk, identity.nonce) });
  }
}
