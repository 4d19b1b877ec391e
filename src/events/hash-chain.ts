import { blake3 } from '@noble/hashes/blake3.js';
import { concatBytes, fromHex, toHex, utf8 } from '../core/bytes.js';

/**
 * The hash chain of SPEC §5, encoding v1 (docs/event-log.md pins it):
 *   hash = BLAKE3(prev_hash_bytes || enc(seq) || enc(at) || enc(type) || enc(peer) || enc(key)
 *                 || enc(lookup) || enc(data))
 *   enc(NULL)  = 0x00
 *   enc(value) = 0x01 || u32 big-endian byte length || bytes
 * where integers are their decimal ASCII digits and text is UTF-8. The first row chains to
 * 32 zero bytes.
 */
export const GENESIS_HASH = '0'.repeat(64);

export interface ChainRow {
  seq: number;
  at: number;
  type: string;
  peer: string | null;
  key: string | null;
  lookup: number | null;
  /** The JSON text exactly as stored in the `data` column. */
  data: string;
}

function field(value: string | number | null): Uint8Array {
  if (value === null) return Uint8Array.of(0);
  const bytes = utf8(String(value));
  const out = new Uint8Array(5 + bytes.length);
  out[0] = 1;
  new DataView(out.buffer).setUint32(1, bytes.length);
  out.set(bytes, 5);
  return out;
}

/** v1 encoding of a row, without the previous hash. */
export function encodeRowV1(row: ChainRow): Uint8Array {
  return concatBytes(
    field(row.seq),
    field(row.at),
    field(row.type),
    field(row.peer),
    field(row.key),
    field(row.lookup),
    field(row.data),
  );
}

export function chainHash(previousHash: string, row: ChainRow): string {
  const previous = fromHex(previousHash);
  if (previous === null || previous.length !== 32)
    throw new RangeError('previous hash must be 32 bytes hex');
  return toHex(blake3(concatBytes(previous, encodeRowV1(row))));
}
