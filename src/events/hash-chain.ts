import { createBLAKE3 } from 'hash-wasm';

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

/** One row of the `events` table as SQLite returns it. */
export interface EventRow extends ChainRow {
  hash: string;
}

// BLAKE3 in WebAssembly: about 8x faster than the pure JS one here (1.5 vs 11.7 us a row),
// which decides how many events a second the journal can take (bench/journal.ts).
const hasher = await createBLAKE3();
// One buffer for every row, written with Buffer's native string and hex writers: no
// per-field view or encoder result on the journal's hot path.
let buffer = Buffer.allocUnsafeSlow(4096);

/** Writes enc(value) at `pos` of the shared buffer (growing it); returns the next position. */
function field(value: string | number | null, pos: number): number {
  if (value === null) {
    buffer[pos] = 0;
    return pos + 1;
  }
  const text = typeof value === 'string' ? value : String(value);
  const room = pos + 5 + text.length * 3; // UTF-8 takes at most 3 bytes per UTF-16 unit
  if (buffer.length < room) {
    const grown = Buffer.allocUnsafeSlow(Math.max(buffer.length * 2, room));
    buffer.copy(grown, 0, 0, pos);
    buffer = grown;
  }
  const written = buffer.write(text, pos + 5, 'utf8');
  buffer[pos] = 1;
  buffer.writeUInt32BE(written, pos + 1);
  return pos + 5 + written;
}

/** Encodes prev hash bytes (if given) and the row into the shared buffer; returns its length. */
function encode(previousHash: string | null, row: ChainRow): number {
  let pos = 0;
  if (previousHash !== null) {
    if (previousHash.length !== 64 || buffer.write(previousHash, 0, 'hex') !== 32)
      throw new RangeError('previous hash must be 32 bytes hex');
    pos = 32;
  }
  pos = field(row.seq, pos);
  pos = field(row.at, pos);
  pos = field(row.type, pos);
  pos = field(row.peer, pos);
  pos = field(row.key, pos);
  pos = field(row.lookup, pos);
  return field(row.data, pos);
}

/** v1 encoding of a row, without the previous hash. */
export function encodeRowV1(row: ChainRow): Uint8Array {
  return new Uint8Array(buffer.subarray(0, encode(null, row)));
}

export function chainHash(previousHash: string, row: ChainRow): string {
  const length = encode(previousHash, row);
  hasher.init();
  hasher.update(buffer.subarray(0, length));
  return hasher.digest('hex');
}
