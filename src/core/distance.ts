import { ID_BITS, type NodeId } from './node-id.js';

/** XOR distance (SPEC §2) without allocating: compares a⊕t with b⊕t. */
export function compareDistance(target: NodeId, a: NodeId, b: NodeId): number {
  for (let i = 0; i < target.length; i++) {
    const da = a[i]! ^ target[i]!;
    const db = b[i]! ^ target[i]!;
    if (da !== db) return da < db ? -1 : 1;
  }
  return 0;
}

export function xorDistance(a: NodeId, b: NodeId): Uint8Array {
  const out = new Uint8Array(a.length);
  for (let i = 0; i < a.length; i++) out[i] = a[i]! ^ b[i]!;
  return out;
}

/** Leading bits a and b share: the number of leading zero bits of a⊕b (160 when equal). */
export function commonPrefixBits(a: NodeId, b: NodeId): number {
  for (let i = 0; i < a.length; i++) {
    const x = a[i]! ^ b[i]!;
    if (x !== 0) return i * 8 + Math.clz32(x) - 24;
  }
  return ID_BITS;
}

/** Bucket of `peer` in the table of `self`: 159 - leading zero bits of the distance (SPEC §2). */
export function bucketIndex(self: NodeId, peer: NodeId): number {
  return ID_BITS - 1 - commonPrefixBits(self, peer);
}

/** A random ID in bucket `index` of `self`: shares exactly 159 - index leading bits with it. */
export function randomIdInBucket(self: NodeId, index: number, randomBytes: Uint8Array): NodeId {
  const prefix = ID_BITS - 1 - index;
  const out = Uint8Array.from(randomBytes.subarray(0, self.length));
  for (let bit = 0; bit <= prefix; bit++) {
    const byte = bit >> 3;
    const mask = 0x80 >> (bit & 7);
    const selfBit = self[byte]! & mask;
    const wanted = bit < prefix ? selfBit : selfBit ^ mask;
    out[byte] = (out[byte]! & ~mask) | wanted;
  }
  return out;
}
