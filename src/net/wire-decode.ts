/**
 * A MessagePack decoder for the hot path: every frame a node serves or receives passes here.
 * It reads what the library's `Decoder` (with frame-codec's limits) reads into the same
 * values, and refuses what it refuses, plus two things checked in the same pass instead of
 * after it: nesting past `maxDepth` and text that is not UTF-8 (the format requires it). A
 * differential test holds it to the library. Recursion is bounded by `maxDepth`; byte
 * strings are views into the frame, as the library's are.
 */

export interface DecodeLimits {
  readonly maxStrBytes: number;
  readonly maxBinBytes: number;
  readonly maxArrayLength: number;
  readonly maxMapLength: number;
  /** Levels of arrays and maps; one more is a `NestingError`. */
  readonly maxDepth: number;
}

/** The bytes are not MessagePack within the limits. */
export class MsgpackError extends Error {}

/** Arrays and maps nest deeper than the limit (a nesting bomb is refused as it is read). */
export class NestingError extends Error {}

const utf8 = new TextDecoder('utf-8', { fatal: true });

// The frame being read. Decoding is synchronous and never re-entered, so module state is safe
// and spares a reader object per frame.
let bytes: Uint8Array = new Uint8Array(0);
let pos = 0;
let limits: DecodeLimits;
let view: DataView | null = null;

/** Decodes exactly one value filling `input`; throws MsgpackError or NestingError. */
export function decodeMsgpack(input: Uint8Array, decodeLimits: DecodeLimits): unknown {
  bytes = input;
  pos = 0;
  limits = decodeLimits;
  view = null;
  try {
    const value = readValue(0);
    if (pos !== bytes.length)
      throw new MsgpackError(`${bytes.length - pos} extra bytes after the value`);
    return value;
  } finally {
    bytes = EMPTY;
    view = null;
  }
}

const EMPTY: Uint8Array = new Uint8Array(0);

function need(count: number): void {
  if (pos + count > bytes.length) throw new MsgpackError('truncated value');
}

function u8(): number {
  need(1);
  return bytes[pos++]!;
}

function u16(): number {
  need(2);
  const value = (bytes[pos]! << 8) | bytes[pos + 1]!;
  pos += 2;
  return value;
}

function u32(): number {
  need(4);
  const value =
    bytes[pos]! * 0x100_0000 + ((bytes[pos + 1]! << 16) | (bytes[pos + 2]! << 8) | bytes[pos + 3]!);
  pos += 4;
  return value;
}

function dataView(): DataView {
  view ??= new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return view;
}

function fixed<T>(size: number, read: (v: DataView, at: number) => T): T {
  need(size);
  const value = read(dataView(), pos);
  pos += size;
  return value;
}

function readValue(depth: number): unknown {
  const head = u8();
  if (head < 0x80) return head;
  if (head >= 0xe0) return head - 0x100;
  if (head < 0x90) return readMap(head - 0x80, depth);
  if (head < 0xa0) return readArray(head - 0x90, depth);
  if (head < 0xc0) return readString(head - 0xa0);
  switch (head) {
    case 0xc0:
      return null;
    case 0xc2:
      return false;
    case 0xc3:
      return true;
    case 0xc4:
      return readBinary(u8());
    case 0xc5:
      return readBinary(u16());
    case 0xc6:
      return readBinary(u32());
    case 0xca:
      return fixed(4, (v, at) => v.getFloat32(at));
    case 0xcb:
      return fixed(8, (v, at) => v.getFloat64(at));
    case 0xcc:
      return u8();
    case 0xcd:
      return u16();
    case 0xce:
      return u32();
    case 0xcf:
      return fixed(8, (v, at) => v.getUint32(at) * 0x1_0000_0000 + v.getUint32(at + 4));
    case 0xd0:
      return fixed(1, (v, at) => v.getInt8(at));
    case 0xd1:
      return fixed(2, (v, at) => v.getInt16(at));
    case 0xd2:
      return fixed(4, (v, at) => v.getInt32(at));
    case 0xd3:
      return fixed(8, (v, at) => v.getInt32(at) * 0x1_0000_0000 + v.getUint32(at + 4));
    case 0xd9:
      return readString(u8());
    case 0xda:
      return readString(u16());
    case 0xdb:
      return readString(u32());
    case 0xdc:
      return readArray(u16(), depth);
    case 0xdd:
      return readArray(u32(), depth);
    case 0xde:
      return readMap(u16(), depth);
    case 0xdf:
      return readMap(u32(), depth);
    default:
      // 0xc1 is never used; 0xc7-0xc9 and 0xd4-0xd8 are extensions, which we accept none of.
      throw new MsgpackError(`type byte 0x${head.toString(16)} not accepted`);
  }
}

function enter(depth: number): number {
  if (depth + 1 > limits.maxDepth) throw new NestingError(`nesting deeper than ${limits.maxDepth}`);
  return depth + 1;
}

function readArray(length: number, depth: number): unknown[] {
  if (length > limits.maxArrayLength) throw new MsgpackError(`array of ${length} items`);
  const inner = enter(depth);
  const out = new Array<unknown>(length);
  for (let i = 0; i < length; i++) out[i] = readValue(inner);
  return out;
}

function readMap(size: number, depth: number): Record<string, unknown> {
  if (size > limits.maxMapLength) throw new MsgpackError(`map of ${size} entries`);
  const inner = enter(depth);
  const out: Record<string, unknown> = {};
  for (let i = 0; i < size; i++) {
    const key = readKey();
    out[key] = readValue(inner);
  }
  return out;
}

/**
 * Keys are text or numbers, as the library's; `__proto__` would reach the prototype. A key
 * that is an array or map is refused before it is read, so keys cannot nest past the limit.
 */
function readKey(): string {
  const head = u8();
  let key: unknown;
  if (head >= 0xa0 && head < 0xc0) key = readString(head - 0xa0);
  else if ((head >= 0x80 && head < 0xa0) || (head >= 0xdc && head <= 0xdf))
    throw new MsgpackError('a map key that is an array or map');
  else {
    pos--;
    key = readValue(0);
  }
  if (typeof key === 'string') {
    if (key === '__proto__') throw new MsgpackError('the key __proto__ is not allowed');
    return key;
  }
  if (typeof key === 'number') return String(key);
  throw new MsgpackError(`a map key of type ${key === null ? 'null' : typeof key}`);
}

function readString(length: number): string {
  if (length > limits.maxStrBytes) throw new MsgpackError(`text of ${length} bytes`);
  need(length);
  const start = pos;
  pos += length;
  if (length <= MAX_CACHED_TEXT) {
    const cached = cachedText(start, length);
    if (cached !== null) return cached;
  }
  try {
    return utf8.decode(bytes.subarray(start, start + length));
  } catch {
    throw new MsgpackError('text that is not UTF-8');
  }
}

/**
 * Short ASCII texts (keys, ops, addresses) come back in frame after frame: a direct-mapped
 * cache by a hash of their bytes returns the same string object for the same bytes, without
 * a decoder call and without a fresh string to hash when it becomes a property or map key.
 * Bounded (a slot holds one text; a colliding text takes it), so the network cannot grow it.
 */
const MAX_CACHED_TEXT = 64;
const TEXT_SLOTS = 1 << 14;
const slotBytes: Array<Uint8Array | undefined> = new Array<Uint8Array | undefined>(TEXT_SLOTS);
const slotText: string[] = new Array<string>(TEXT_SLOTS);

/** The text of bytes[start, start + length) if it is ASCII, from the cache when it is there. */
function cachedText(start: number, length: number): string | null {
  const end = start + length;
  let hash = length;
  let high = 0;
  for (let i = start; i < end; i++) {
    const byte = bytes[i]!;
    high |= byte;
    hash = Math.imul(hash ^ byte, 0x0100_0193);
  }
  if (high >= 0x80) return null;
  const slot = (hash ^ (hash >>> 15)) & (TEXT_SLOTS - 1);
  const known = slotBytes[slot];
  if (known !== undefined && known.length === length) {
    let same = true;
    for (let i = 0; i < length; i++)
      if (known[i] !== bytes[start + i]) {
        same = false;
        break;
      }
    if (same) return slotText[slot]!;
  }
  const copy = bytes.slice(start, end);
  const text = String.fromCharCode.apply(null, copy as unknown as number[]);
  slotBytes[slot] = copy;
  slotText[slot] = text;
  return text;
}

function readBinary(length: number): Uint8Array {
  if (length > limits.maxBinBytes) throw new MsgpackError(`${length} bytes of binary`);
  need(length);
  const out = bytes.subarray(pos, pos + length);
  pos += length;
  return out;
}
