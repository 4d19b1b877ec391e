/**
 * A MessagePack decoder for the hot path: every frame a node serves or receives passes here.
 * It reads what the library's `Decoder` (with frame-codec's limits) reads into the same
 * values, and refuses what it refuses, plus two things checked in the same pass instead of
 * after it: nesting past `maxDepth` and text that is not UTF-8 (the format requires it). A
 * differential test holds it to the library. Recursion is bounded by `maxDepth`; byte
 * strings are views into the frame, as the library's are, except in NodeInfos (copies,
 * shared by every frame that carries the same NodeInfo bytes).
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

/**
 * Decodes exactly one value filling `input` from `offset` (a frame's body after its length
 * prefix, read in place: no view of it made per frame); throws MsgpackError or NestingError.
 */
export function decodeMsgpack(input: Uint8Array, limits: DecodeLimits, offset = 0): unknown {
  const reader = sharedReader.start(input, limits, offset);
  try {
    const value = reader.value(0);
    if (reader.pos !== input.length)
      throw new MsgpackError(`${input.length - reader.pos} extra bytes after the value`);
    return value;
  } finally {
    // The shared reader keeps no frame alive between calls.
    reader.start(EMPTY_BYTES, NO_LIMITS);
  }
}

const utf8 = new TextDecoder('utf-8', { fatal: true });
const EMPTY_BYTES = new Uint8Array(0);
const NO_LIMITS: DecodeLimits = {
  maxStrBytes: 0,
  maxBinBytes: 0,
  maxArrayLength: 0,
  maxMapLength: 0,
  maxDepth: 0,
};

/**
 * One reader for every frame (decoding is synchronous and never nested): a frame costs no
 * reader object.
 */
class Reader {
  pos = 0;
  /** The slot of the NodeInfo just read, or -1: what an array of them notes for each item. */
  private itemSlot = -1;
  private view: DataView | null = null;
  private bytes: Uint8Array = EMPTY_BYTES;
  private limits: DecodeLimits = NO_LIMITS;

  start(bytes: Uint8Array, limits: DecodeLimits, offset = 0): this {
    this.bytes = bytes;
    this.limits = limits;
    this.pos = offset;
    this.view = null;
    return this;
  }

  private need(count: number): void {
    if (this.pos + count > this.bytes.length) throw new MsgpackError('truncated value');
  }

  private u8(): number {
    this.need(1);
    return this.bytes[this.pos++]!;
  }

  private u16(): number {
    this.need(2);
    const { bytes, pos } = this;
    this.pos = pos + 2;
    return (bytes[pos]! << 8) | bytes[pos + 1]!;
  }

  private u32(): number {
    this.need(4);
    const { bytes, pos } = this;
    this.pos = pos + 4;
    return (
      bytes[pos]! * 0x100_0000 +
      ((bytes[pos + 1]! << 16) | (bytes[pos + 2]! << 8) | bytes[pos + 3]!)
    );
  }

  /** A view of the frame, made once per frame when first needed. */
  private dataView(): DataView {
    const { bytes } = this;
    return (this.view ??= new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength));
  }

  /** A fixed-size number read through a DataView (floats, signed and 64-bit integers). */
  private fixed(size: number, read: (view: DataView, at: number) => number): number {
    this.need(size);
    const value = read(this.dataView(), this.pos);
    this.pos += size;
    return value;
  }

  value(depth: number): unknown {
    const head = this.u8();
    if (head < 0x80) return head;
    if (head >= 0xe0) return head - 0x100;
    if (head < 0x90) return this.map(head - 0x80, depth);
    if (head < 0xa0) return this.array(head - 0x90, depth);
    if (head < 0xc0) return this.text(head - 0xa0);
    switch (head) {
      case 0xc0:
        return null;
      case 0xc2:
        return false;
      case 0xc3:
        return true;
      case 0xc4:
        return this.binary(this.u8());
      case 0xc5:
        return this.binary(this.u16());
      case 0xc6:
        return this.binary(this.u32());
      case 0xca:
        return this.fixed(4, (v, at) => v.getFloat32(at));
      case 0xcb:
        return this.fixed(8, (v, at) => v.getFloat64(at));
      case 0xcc:
        return this.u8();
      case 0xcd:
        return this.u16();
      case 0xce:
        return this.u32();
      case 0xcf:
        return this.fixed(8, (v, at) => v.getUint32(at) * 0x1_0000_0000 + v.getUint32(at + 4));
      case 0xd0:
        return this.fixed(1, (v, at) => v.getInt8(at));
      case 0xd1:
        return this.fixed(2, (v, at) => v.getInt16(at));
      case 0xd2:
        return this.fixed(4, (v, at) => v.getInt32(at));
      case 0xd3:
        return this.fixed(8, (v, at) => v.getInt32(at) * 0x1_0000_0000 + v.getUint32(at + 4));
      case 0xd9:
        return this.text(this.u8());
      case 0xda:
        return this.text(this.u16());
      case 0xdb:
        return this.text(this.u32());
      case 0xdc:
        return this.array(this.u16(), depth);
      case 0xdd:
        return this.array(this.u32(), depth);
      case 0xde:
        return this.map(this.u16(), depth);
      case 0xdf:
        return this.map(this.u32(), depth);
      default:
        // 0xc1 is never used; 0xc7-0xc9 and 0xd4-0xd8 are extensions, which we accept none of.
        throw new MsgpackError(`type byte 0x${head.toString(16)} not accepted`);
    }
  }

  private enter(depth: number): number {
    const { maxDepth } = this.limits;
    if (depth + 1 > maxDepth) throw new NestingError(`nesting deeper than ${maxDepth}`);
    return depth + 1;
  }

  private array(length: number, depth: number): unknown[] {
    if (length > this.limits.maxArrayLength) throw new MsgpackError(`array of ${length} items`);
    const inner = this.enter(depth);
    const out = new Array<unknown>(length);
    let slots: number[] | null = null;
    for (let i = 0; i < length; i++) {
      this.itemSlot = -1;
      out[i] = this.value(inner);
      if (this.itemSlot < 0) continue;
      slots ??= new Array<number>(length).fill(-1);
      slots[i] = this.itemSlot;
    }
    this.itemSlot = -1;
    if (slots !== null) noteItemSlots(out, slots);
    return out;
  }

  private map(size: number, depth: number): Record<string, unknown> {
    if (size > this.limits.maxMapLength) throw new MsgpackError(`map of ${size} entries`);
    const inner = this.enter(depth);
    if (size === 5 && this.limits.maxBinBytes >= 32) {
      const node = this.nodeInfo();
      if (node !== null) return node;
    }
    const out: Record<string, unknown> = {};
    for (let i = 0; i < size; i++) {
      const key = this.key();
      out[key] = this.value(inner);
    }
    this.itemSlot = -1;
    return out;
  }

  /**
   * A NodeInfo as our encoder writes it (SPEC §3.3: id, pk, nonce, addr, caps, in that order,
   * with a positive fixint or uint 8-32 nonce and caps): nearly every map of an answer is
   * one. Read into one object shape without going through keys; anything else, even a
   * valid NodeInfo spelled differently, returns null with nothing consumed and takes the
   * general path, so both paths give the same value. The same peers come back in answer
   * after answer, so the same bytes give the same frozen object (see knownNodeInfo).
   */
  private nodeInfo(): Record<string, unknown> | null {
    const { bytes } = this;
    const start = this.pos;
    // Any fixstr and both byte strings fit these limits: bytes read before read the same now.
    const slot = this.limits.maxStrBytes >= 31 ? knownNodeInfo(bytes, this.dataView(), start) : -1;
    if (slot >= 0) {
      this.pos = start + nodeSlotLength[slot]!;
      this.itemSlot = slot;
      return slotValue(slot)!;
    }
    if (!this.spelled(ID_KEY) || bytes[this.pos] !== 0xc4 || bytes[this.pos + 1] !== 20)
      return this.rewind(start);
    const idAt = this.pos + 2;
    this.pos += 22;
    if (!this.spelled(PK_KEY) || bytes[this.pos] !== 0xc4 || bytes[this.pos + 1] !== 32)
      return this.rewind(start);
    const pkAt = this.pos + 2;
    this.pos += 34;
    if (this.pos > bytes.length || !this.spelled(NONCE_KEY)) return this.rewind(start);
    const nonce = this.plainUint();
    if (nonce < 0 || !this.spelled(ADDR_KEY)) return this.rewind(start);
    const head = bytes[this.pos];
    if (head === undefined || head < 0xa0 || head >= 0xc0) return this.rewind(start);
    this.pos++;
    const addrAt = this.pos;
    const addrLength = head - 0xa0;
    if (addrLength > this.limits.maxStrBytes) this.text(addrLength); // throws, as the general path
    this.need(addrLength);
    this.pos += addrLength;
    if (!this.spelled(CAPS_KEY)) return this.rewind(start);
    const caps = this.plainUint();
    if (caps < 0) return this.rewind(start);
    const end = this.pos;
    this.pos = addrAt;
    const addr = this.text(addrLength);
    this.pos = end;
    const node = {
      id: bytes.slice(idAt, idAt + 20),
      pk: bytes.slice(pkAt, pkAt + 32),
      nonce,
      addr,
      caps,
    };
    this.itemSlot = rememberNodeInfo(bytes, start, end, node);
    return Object.freeze(node);
  }

  private rewind(start: number): null {
    this.pos = start;
    return null;
  }

  /** Consumes `spelled` (a key with its fixstr head) if the next bytes are exactly it. */
  private spelled(spelled: Uint8Array): boolean {
    const { bytes, pos } = this;
    if (pos + spelled.length > bytes.length) return false;
    for (let i = 0; i < spelled.length; i++) if (bytes[pos + i] !== spelled[i]) return false;
    this.pos = pos + spelled.length;
    return true;
  }

  /** A positive fixint or uint 8/16/32, or -1 (nothing consumed) for anything else. */
  private plainUint(): number {
    const { bytes, pos } = this;
    const head = bytes[pos];
    if (head === undefined) return -1;
    if (head < 0x80) {
      this.pos = pos + 1;
      return head;
    }
    const size = head === 0xcc ? 1 : head === 0xcd ? 2 : head === 0xce ? 4 : 0;
    if (size === 0 || pos + 1 + size > bytes.length) return -1;
    let value = 0;
    for (let i = 1; i <= size; i++) value = value * 256 + bytes[pos + i]!;
    this.pos = pos + 1 + size;
    return value;
  }

  /**
   * Keys are text or numbers, as the library's; `__proto__` would reach the prototype. A key
   * that is an array or map is refused before it is read, so keys cannot nest past the limit.
   */
  private key(): string {
    const head = this.u8();
    let key: unknown;
    if (head >= 0xa0 && head < 0xc0) {
      const known = this.knownKey(head - 0xa0);
      if (known !== null) return known;
      key = this.text(head - 0xa0);
    } else if ((head >= 0x80 && head < 0xa0) || (head >= 0xdc && head <= 0xdf)) {
      throw new MsgpackError('a map key that is an array or map');
    } else {
      this.pos--;
      key = this.value(0);
    }
    if (typeof key === 'string') {
      if (key === '__proto__') throw new MsgpackError('the key __proto__ is not allowed');
      return key;
    }
    if (typeof key === 'number') return String(key);
    throw new MsgpackError(`a map key of type ${key === null ? 'null' : typeof key}`);
  }

  /** The known key spelled by the next `length` bytes (consumed), or null (nothing consumed). */
  private knownKey(length: number): string | null {
    const candidates = keysByLength[length];
    const { bytes, pos } = this;
    if (candidates === undefined || pos + length > bytes.length) return null;
    for (const { bytes: spelled, text } of candidates) {
      let i = 0;
      while (i < length && spelled[i] === bytes[pos + i]) i++;
      if (i === length) {
        this.pos = pos + length;
        return text;
      }
    }
    return null;
  }

  private text(length: number): string {
    if (length > this.limits.maxStrBytes) throw new MsgpackError(`text of ${length} bytes`);
    this.need(length);
    const start = this.pos;
    this.pos += length;
    if (length <= MAX_CACHED_TEXT) {
      const cached = cachedText(this.bytes, start, length);
      if (cached !== null) return cached;
    }
    try {
      return utf8.decode(this.bytes.subarray(start, start + length));
    } catch {
      throw new MsgpackError('text that is not UTF-8');
    }
  }

  private binary(length: number): Uint8Array {
    if (length > this.limits.maxBinBytes) throw new MsgpackError(`${length} bytes of binary`);
    this.need(length);
    const start = this.pos;
    this.pos += length;
    // A copy: a value kept (a stored pointer) must not hold the whole frame, or its slab.
    return this.bytes.slice(start, start + length);
  }
}

const sharedReader = new Reader();

/**
 * The keys of our messages (SPEC §3.3), matched by their bytes: a message is mostly keys, and
 * a known one costs a few byte compares and no string. Others go through `text`.
 */
const KNOWN_KEYS = [
  ...['v', 'rid', 'from', 'body', 'req', 'res', 'err', 'op', 'id', 'pk', 'nonce', 'addr'],
  ...['caps', 'target', 'key', 'nodes', 'pointers', 'more', 'ok', 'reason', 'observed'],
  ...['asked', 'token', 'pointer', 'tessera', 'holders', 'fragments', 'publisher', 'seq'],
  ...['expires', 'sig', 'idx', 'holder', 'code'],
];
const encoder = new TextEncoder();
const keysByLength: Array<Array<{ bytes: Uint8Array; text: string }>> = [];
for (const text of KNOWN_KEYS) {
  (keysByLength[text.length] ??= []).push({ bytes: encoder.encode(text), text });
}

/** A key as a fixstr: its head byte, then its ASCII bytes. */
const fixstr = (text: string): Uint8Array =>
  Uint8Array.from([0xa0 + text.length, ...encoder.encode(text)]);
const ID_KEY = fixstr('id');
const PK_KEY = fixstr('pk');
const NONCE_KEY = fixstr('nonce');
const ADDR_KEY = fixstr('addr');
const CAPS_KEY = fixstr('caps');

/**
 * Short ASCII texts (ops, addresses) come back in frame after frame: a direct-mapped cache by
 * a hash of their bytes returns the same string object for the same bytes, without a decoder
 * call and without a fresh string to hash when it becomes a map key. Bounded (a slot holds
 * one text; a colliding text takes it), so the network cannot grow it.
 */
const MAX_CACHED_TEXT = 64;
const TEXT_SLOTS = 1 << 14;
// The slots' bytes side by side (64 per slot) and their lengths (0: empty): a lookup reads one
// run of bytes, not an array object and its backing store.
const slotBytes = new Uint8Array(TEXT_SLOTS * MAX_CACHED_TEXT);
const slotLength = new Uint8Array(TEXT_SLOTS);
const slotText: string[] = new Array<string>(TEXT_SLOTS).fill('');

/** The text of bytes[start, start + length) if it is ASCII, from the cache when it is there. */
function cachedText(bytes: Uint8Array, start: number, length: number): string | null {
  const end = start + length;
  let hash = length;
  let high = 0;
  for (let i = start; i < end; i++) {
    const byte = bytes[i]!;
    high |= byte;
    hash = Math.imul(hash ^ byte, 0x0100_0193);
  }
  if (high >= 0x80 || length === 0) return high >= 0x80 ? null : '';
  const slot = (hash ^ (hash >>> 15)) & (TEXT_SLOTS - 1);
  const base = slot * MAX_CACHED_TEXT;
  if (slotLength[slot] === length) {
    let i = 0;
    while (i < length && slotBytes[base + i] === bytes[start + i]) i++;
    if (i === length) return slotText[slot]!;
  }
  const text = String.fromCharCode.apply(null, bytes.subarray(start, end) as unknown as number[]);
  slotBytes.set(bytes.subarray(start, end), base);
  slotLength[slot] = length;
  slotText[slot] = text;
  return text;
}

/**
 * NodeInfos decoded lately, by their exact bytes: a find_node answer carries 20, mostly peers
 * every node has heard of, and a hit costs one compare of ~90 bytes instead of two byte views,
 * a text and an object (and lets later stages recognise the object). Indexed by the ID's
 * first bytes (IDs are hashes), two ways per set, the one used less lately giving way to a
 * newcomer: bounded, so the network cannot grow it. Direct-mapped, a quarter of 10,000
 * simulated peers shared a slot with another and the hit rate fell below 95% as the network
 * grew; with two ways about one ID in twenty shares a set with two others. The objects are
 * frozen and own their bytes: no frame is kept. 16,384 sets (4 MB) by default; a simulation
 * of more peers, all decoding through this one cache, asks for more (holdNodeInfosFor).
 */
const DEFAULT_NODE_SETS = 1 << 14;
/** 64 MB of bytes at most, whatever a caller asks. */
const MAX_NODE_SETS = 1 << 18;
const NODE_WAYS = 2;
const NODE_SLOT_BYTES = 128; // a NodeInfo of our encoder is at most ~120 bytes
let nodeSets = 0;
let nodeSlotBytes = new Uint8Array(0);
let nodeSlotView = new DataView(nodeSlotBytes.buffer);
let nodeSlotLength = new Uint8Array(0);
/** Per set, the way used last (a hit or a newcomer): the other one gives way. */
let lastUsedWay = new Uint8Array(0);

/**
 * Per slot, the NodeInfo held and then what later stages worked out about it (checked,
 * verified: see nodeSlotField), side by side: an answer's 20 peers cost one cold cache line
 * each for all of it, where an array per stage cost one per stage. The object comes first.
 */
const SLOT_STATE = 4;
let slotState: unknown[] = [];

/** A place in each slot's state for one later stage; emptied whenever the slot is refilled. */
export interface NodeSlotField<T> {
  readonly at: number;
  /** Types the field's values; never set. */
  readonly holds?: T;
}

let fieldsTaken = 1;

/** A field of every slot's state, for as long as the process runs (taken at module load). */
export function nodeSlotField<T>(): NodeSlotField<T> {
  if (fieldsTaken === SLOT_STATE) throw new Error('no NodeInfo slot field left');
  return { at: fieldsTaken++ };
}

/** What `field` holds for the NodeInfo now in `slot` (decodedNodeSlot), or null. */
export function slotFieldOf<T>(field: NodeSlotField<T>, slot: number): T | null {
  return slotState[slot * SLOT_STATE + field.at] as T | null;
}

export function setSlotField<T>(field: NodeSlotField<T>, slot: number, value: T): void {
  slotState[slot * SLOT_STATE + field.at] = value;
}

/** Empties `field` in every slot (what it held no longer applies). */
export function clearSlotField<T>(field: NodeSlotField<T>): void {
  for (let at = field.at; at < slotState.length; at += SLOT_STATE) slotState[at] = null;
}

function slotValue(slot: number): Readonly<Record<string, unknown>> | null {
  return slotState[slot * SLOT_STATE] as Readonly<Record<string, unknown>> | null;
}

/**
 * Sizes the cache for about `peers` distinct NodeInfos (a set per peer, rounded up to a power
 * of two, never below the default nor above 64 MB). It only grows; growing starts it empty,
 * every field of every slot with it. A node meets far fewer peers than the default holds; a
 * simulation decodes every node's frames here, and 100,000 peers on the default's 32,768
 * slots would keep evicting one another.
 */
export function holdNodeInfosFor(peers: number): void {
  let sets = DEFAULT_NODE_SETS;
  while (sets < peers && sets < MAX_NODE_SETS) sets *= 2;
  if (sets > nodeSets) resizeNodeCache(sets);
}

function resizeNodeCache(sets: number): void {
  const slots = sets * NODE_WAYS;
  nodeSets = sets;
  nodeSlotBytes = new Uint8Array(slots * NODE_SLOT_BYTES);
  nodeSlotView = new DataView(nodeSlotBytes.buffer);
  nodeSlotLength = new Uint8Array(slots);
  slotState = new Array<unknown>(slots * SLOT_STATE).fill(null);
  lastUsedWay = new Uint8Array(sets);
}

resizeNodeCache(DEFAULT_NODE_SETS);

/** The ID starts 5 bytes into a NodeInfo's map: after the key `id` (3 bytes) and a bin8 head. */
const ID_OFFSET = 5;

/** Each held NodeInfo carries its slot, not enumerable: found with one read, not from its ID. */
const NODE_SLOT = Symbol('NodeInfo slot');

/**
 * The slot where this decoder holds `node`, or -1: a NodeInfo it made and still holds is
 * frozen, owns its bytes and was read from our encoder's spelling. Later stages keep what
 * they worked out about such an object in its slot's fields (nodeSlotField), where a weak
 * map would be a hash lookup per peer of every answer. An object no longer held (its slot
 * taken since) is simply not recognised.
 */
export function decodedNodeSlot(node: object): number {
  const slot = (node as { [NODE_SLOT]?: number })[NODE_SLOT];
  return slot !== undefined && slotValue(slot) === node ? slot : -1;
}

function nodeSet(bytes: Uint8Array, idAt: number): number {
  return ((bytes[idAt]! << 16) | (bytes[idAt + 1]! << 8) | bytes[idAt + 2]!) & (nodeSets - 1);
}

/** The slot whose bytes the map body at `start` begins with, or -1. */
function knownNodeInfo(bytes: Uint8Array, view: DataView, start: number): number {
  if (start + ID_OFFSET + 3 > bytes.length) return -1;
  const set = nodeSet(bytes, start + ID_OFFSET);
  for (let way = 0; way < NODE_WAYS; way++) {
    const slot = set * NODE_WAYS + way;
    if (holdsNodeInfo(slot, bytes, view, start)) {
      lastUsedWay[set] = way;
      return slot;
    }
  }
  return -1;
}

/** Whether `slot` holds exactly the bytes the map body at `start` begins with. */
function holdsNodeInfo(slot: number, bytes: Uint8Array, view: DataView, start: number): boolean {
  const length = nodeSlotLength[slot]!;
  if (length === 0 || start + length > bytes.length) return false;
  const base = slot * NODE_SLOT_BYTES;
  // Four bytes per compare: 20 NodeInfos of ~90 bytes in every find_node answer.
  let i = 0;
  for (; i + 4 <= length; i += 4)
    if (nodeSlotView.getInt32(base + i) !== view.getInt32(start + i)) return false;
  for (; i < length; i++) if (nodeSlotBytes[base + i] !== bytes[start + i]) return false;
  return true;
}

/**
 * Holds `node`, read from `bytes[start, end)`, in the set's other way, frozen; returns its
 * slot, or -1 when it is too long to hold.
 */
function rememberNodeInfo(
  bytes: Uint8Array,
  start: number,
  end: number,
  node: Record<string, unknown>,
): number {
  const length = end - start;
  if (length > NODE_SLOT_BYTES) return -1;
  const set = nodeSet(bytes, start + ID_OFFSET);
  const way = lastUsedWay[set] === 0 ? 1 : 0;
  const slot = set * NODE_WAYS + way;
  lastUsedWay[set] = way;
  nodeSlotBytes.set(bytes.subarray(start, end), slot * NODE_SLOT_BYTES);
  nodeSlotLength[slot] = length;
  Object.defineProperty(node, NODE_SLOT, { value: slot });
  const base = slot * SLOT_STATE;
  slotState[base] = Object.freeze(node);
  // What later stages knew was about the NodeInfo that gave way.
  for (let at = base + 1; at < base + SLOT_STATE; at++) slotState[at] = null;
  return slot;
}

/**
 * The last array the decoder made of NodeInfos it holds, with each item's slot (-1 for an item
 * it does not hold). An answer's 20 peers are validated and taken right after their frame is
 * decoded: with their slots at hand, those stages find each peer's state without reading the
 * NodeInfo objects, cold at 10,000 simulated nodes (two cache misses each, for the object and
 * the property that names its slot). One array is enough: any other is looked up item by item.
 */
let slotItems: readonly unknown[] | null = null;
let itemSlots: readonly number[] = [];

function noteItemSlots(items: readonly unknown[], slots: readonly number[]): void {
  slotItems = items;
  itemSlots = slots;
}

/**
 * The slot where this decoder holds `items[index]`, or -1 (decodedNodeSlot for an item of an
 * array). For the decoder's last array of NodeInfos, the item itself is not read.
 */
export function decodedItemSlot(items: readonly unknown[], index: number): number {
  const item = items[index];
  if (items !== slotItems) {
    return typeof item === 'object' && item !== null ? decodedNodeSlot(item) : -1;
  }
  const slot = itemSlots[index] ?? -1;
  return slot >= 0 && slotValue(slot) === item ? slot : -1;
}
