import { blake3 } from '@noble/hashes/blake3.js';
import { concatBytes, fromHex, toHex, utf8 } from '../../src/core/bytes.js';
import type { ChainRow } from '../../src/events/hash-chain.js';

/**
 * The v1 chain hash written out the slow, obvious way (docs/event-log.md), hashed with a second
 * BLAKE3: what the fast encoder of src/events/hash-chain.ts is checked against.
 */
export function referenceHash(previous: string, row: ChainRow): string {
  const field = (value: string | number | null): Uint8Array => {
    if (value === null) return Uint8Array.of(0);
    const bytes = utf8(String(value));
    const length = new Uint8Array(4);
    new DataView(length.buffer).setUint32(0, bytes.length);
    return concatBytes(Uint8Array.of(1), length, bytes);
  };
  const encoded = [row.seq, row.at, row.type, row.peer, row.key, row.lookup, row.data].map(field);
  return toHex(blake3(concatBytes(fromHex(previous)!, ...encoded)));
}
