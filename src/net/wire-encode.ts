import { frameCopy } from './frame-slab.js';
import type {
  Body,
  Request,
  Response,
  WireMessage,
  WireNodeInfo,
  WirePointer,
} from './messages.js';

/**
 * The canonical MessagePack of SPEC §3.3 written by hand for the hot path: keys in the order
 * the spec writes them, integers in their shortest form, bytes as `bin`, text as `str`,
 * absent optional keys omitted. It writes the same bytes as @msgpack/msgpack's Encoder on the
 * same message (a test compares them), at a fraction of the cost: no key enumeration, key
 * names written from constants. A NodeInfo's bytes are kept with it (withEncoding) or cached
 * per object, since a node's own `from` and the peers of its table go out again and again.
 */

const textEncoder = new TextEncoder();
/** Chunks up to this many bytes are copied by a loop (see Writer.raw). */
const SMALL_CHUNK = 16;

/** A growable byte buffer; `reset()` reuses it for the next frame. */
class Writer {
  bytes = new Uint8Array(4_096);
  view = new DataView(this.bytes.buffer);
  length = 0;

  reset(): void {
    this.length = 0;
  }

  private ensure(extra: number): void {
    if (this.length + extra <= this.bytes.length) return;
    let size = this.bytes.length * 2;
    while (size < this.length + extra) size *= 2;
    const grown = new Uint8Array(size);
    grown.set(this.bytes.subarray(0, this.length));
    this.bytes = grown;
    this.view = new DataView(grown.buffer);
  }

  u8(value: number): void {
    this.ensure(1);
    this.bytes[this.length++] = value;
  }

  raw(chunk: Uint8Array): void {
    const n = chunk.length;
    this.ensure(n);
    // Keys and short heads are a few bytes: a loop beats the builtin's call for those.
    if (n <= SMALL_CHUNK) {
      const { bytes } = this;
      let at = this.length;
      for (let i = 0; i < n; i++) bytes[at++] = chunk[i]!;
    } else {
      this.bytes.set(chunk, this.length);
    }
    this.length += n;
  }

  uint(value: number): void {
    this.ensure(9);
    const at = this.length;
    if (value < 0x80) {
      this.bytes[at] = value;
      this.length += 1;
    } else if (value < 0x100) {
      this.bytes[at] = 0xcc;
      this.bytes[at + 1] = value;
      this.length += 2;
    } else if (value < 0x1_0000) {
      this.bytes[at] = 0xcd;
      this.view.setUint16(at + 1, value);
      this.length += 3;
    } else if (value < 0x1_0000_0000) {
      this.bytes[at] = 0xce;
      this.view.setUint32(at + 1, value);
      this.length += 5;
    } else {
      this.bytes[at] = 0xcf;
      this.view.setUint32(at + 1, Math.floor(value / 0x1_0000_0000));
      this.view.setUint32(at + 5, value >>> 0);
      this.length += 9;
    }
  }

  str(value: string): void {
    if (value.length < 32 && this.ascii(value)) return;
    const encoded = textEncoder.encode(value);
    const n = encoded.length;
    if (n < 32) this.u8(0xa0 | n);
    else if (n < 0x100) this.header(0xd9, n, 1);
    else if (n < 0x1_0000) this.header(0xda, n, 2);
    else this.header(0xdb, n, 4);
    this.raw(encoded);
  }

  /**
   * A short text written as a fixstr straight from its char codes when it is all ASCII (ops,
   * addresses): no encoder call, no array. False, with nothing written, otherwise.
   */
  private ascii(value: string): boolean {
    const n = value.length;
    this.ensure(1 + n);
    const { bytes } = this;
    const start = this.length;
    for (let i = 0; i < n; i++) {
      const code = value.charCodeAt(i);
      if (code >= 0x80) return false;
      bytes[start + 1 + i] = code;
    }
    bytes[start] = 0xa0 | n;
    this.length = start + 1 + n;
    return true;
  }

  /** `n` bytes of `chunk` from `at` (a NodeInfo of the arena: ~100 bytes, no view made). */
  span(chunk: Uint8Array, at: number, n: number): void {
    this.ensure(n);
    const { bytes } = this;
    let to = this.length;
    for (let i = at; i < at + n; i++) bytes[to++] = chunk[i]!;
    this.length = to;
  }

  bin(value: Uint8Array): void {
    const n = value.length;
    if (n < 0x100) this.header(0xc4, n, 1);
    else if (n < 0x1_0000) this.header(0xc5, n, 2);
    else this.header(0xc6, n, 4);
    this.raw(value);
  }

  array(n: number): void {
    if (n < 16) this.u8(0x90 | n);
    else if (n < 0x1_0000) this.header(0xdc, n, 2);
    else this.header(0xdd, n, 4);
  }

  map(n: number): void {
    if (n < 16) this.u8(0x80 | n);
    else this.header(0xde, n, 2);
  }

  bool(value: boolean): void {
    this.u8(value ? 0xc3 : 0xc2);
  }

  private header(tag: number, n: number, size: 1 | 2 | 4): void {
    this.ensure(1 + size);
    this.bytes[this.length] = tag;
    if (size === 1) this.bytes[this.length + 1] = n;
    else if (size === 2) this.view.setUint16(this.length + 1, n);
    else this.view.setUint32(this.length + 1, n);
    this.length += 1 + size;
  }
}

/** Map keys, encoded once (a Map: an object of 34 computed keys would be a slow dictionary). */
const KEYS = new Map(
  [
    'v',
    'rid',
    'from',
    'body',
    'req',
    'res',
    'err',
    'op',
    'id',
    'pk',
    'nonce',
    'addr',
    'caps',
    'target',
    'key',
    'pointer',
    'observed',
    'nodes',
    'pointers',
    'more',
    'ok',
    'reason',
    'code',
    'tessera',
    'holders',
    'fragments',
    'publisher',
    'seq',
    'expires',
    'sig',
    'idx',
    'holder',
    'token',
    'asked',
  ].map((name) => {
    const utf8 = textEncoder.encode(name);
    return [name, Uint8Array.from([0xa0 | utf8.length, ...utf8])] as const;
  }),
);

function key(w: Writer, name: string): void {
  w.raw(KEYS.get(name)!);
}

const nodeInfoBytes = new WeakMap<WireNodeInfo, Uint8Array>();

/** Where `withEncoding` keeps a NodeInfo's bytes on the NodeInfo itself (not enumerable). */
const ENCODED = Symbol('NodeInfo bytes');

/**
 * `node`, frozen, carrying its own MessagePack bytes: for the NodeInfos that go out again and
 * again (a node's own `from`, the shared peers of the routing tables, listed in every
 * find_node answer). The encoder copies them from the object it already holds, where the
 * weak map below is a hash lookup per listed peer, cold at 10,000 simulated nodes.
 */
export function withEncoding(node: WireNodeInfo): Readonly<WireNodeInfo> {
  const w = sizing;
  w.reset();
  nodeInfoFields(w, node);
  Object.defineProperty(node, ENCODED, { value: w.bytes.slice(0, w.length) });
  return Object.freeze(node);
}

function nodeInfo(w: Writer, node: WireNodeInfo): void {
  const own = (node as { [ENCODED]?: Uint8Array })[ENCODED];
  if (own !== undefined) {
    w.raw(own);
    return;
  }
  const cached = nodeInfoBytes.get(node);
  if (cached !== undefined) {
    w.raw(cached);
    return;
  }
  const start = w.length;
  nodeInfoFields(w, node);
  // Frozen objects are the shared ones (NodeInfos the decoder made, forwarded as they are).
  if (Object.isFrozen(node)) nodeInfoBytes.set(node, w.bytes.slice(start, w.length));
}

function nodeInfoFields(w: Writer, node: WireNodeInfo): void {
  w.map(5);
  key(w, 'id');
  w.bin(node.id);
  key(w, 'pk');
  w.bin(node.pk);
  key(w, 'nonce');
  w.uint(node.nonce);
  key(w, 'addr');
  w.str(node.addr);
  key(w, 'caps');
  w.uint(node.caps);
}

function nodeList(w: Writer, nodes: readonly WireNodeInfo[]): void {
  w.array(nodes.length);
  const spans = nodes === listedNodes ? listedSpans : NO_SPANS;
  for (let i = 0; i < nodes.length; i++) {
    const node = nodes[i]!;
    const span = spans[i];
    // Checked per item: whoever made the list may have changed it since.
    if (span !== undefined && span.wire === node) w.span(span.encChunk, span.encAt, span.encLength);
    else nodeInfo(w, node);
  }
}

/**
 * Where a NodeInfo's bytes sit in the arena (spanOf). The routing tables' shared peers carry
 * their span: an answer lists 20 of them, and copying each one's bytes from the peer that was
 * just chosen reads the arena only, where the NodeInfo's own bytes (withEncoding) took three
 * cold reads more at 10,000 simulated nodes: the NodeInfo, its property and its byte array.
 */
export interface NodeInfoSpan {
  /** The NodeInfo whose bytes these are. */
  readonly wire: Readonly<WireNodeInfo>;
  readonly encChunk: Uint8Array;
  readonly encAt: number;
  readonly encLength: number;
}

/**
 * The arena: NodeInfo bytes packed in chunks. A chunk lives while a span in it does; a small
 * chunk keeps what a few long-lived peers pin small.
 */
const ARENA_CHUNK_BYTES = 64 * 1024;
let arenaChunk = new Uint8Array(ARENA_CHUNK_BYTES);
let arenaUsed = 0;

/** `wire`'s bytes, written once into the arena. */
export function spanOf(wire: Readonly<WireNodeInfo>): NodeInfoSpan {
  const w = sizing;
  w.reset();
  nodeInfo(w, wire);
  const n = w.length;
  if (arenaUsed + n > arenaChunk.length) {
    arenaChunk = new Uint8Array(Math.max(ARENA_CHUNK_BYTES, n));
    arenaUsed = 0;
  }
  arenaChunk.set(w.bytes.subarray(0, n), arenaUsed);
  const span = { wire, encChunk: arenaChunk, encAt: arenaUsed, encLength: n };
  arenaUsed += n;
  return span;
}

/**
 * The list an answer is about to carry, and the spans of its items (closestWire notes them as
 * it makes the list, from the peers it chose): the encoder writes those items from their
 * spans. One list is enough, as an answer is encoded right after it is made; any other list
 * is encoded item by item.
 */
let listedNodes: readonly WireNodeInfo[] | null = null;
let listedSpans: readonly NodeInfoSpan[] = [];
const NO_SPANS: readonly NodeInfoSpan[] = [];

export function noteListedSpans(
  nodes: readonly WireNodeInfo[],
  spans: readonly NodeInfoSpan[],
): void {
  listedNodes = nodes;
  listedSpans = spans;
}

function pointer(w: Writer, p: WirePointer): void {
  w.map(8);
  key(w, 'key');
  w.bin(p.key);
  key(w, 'tessera');
  w.bin(p.tessera);
  key(w, 'holders');
  w.array(p.holders.length);
  for (const holder of p.holders) {
    w.map(2);
    key(w, 'id');
    w.bin(holder.id);
    key(w, 'addr');
    w.str(holder.addr);
  }
  key(w, 'fragments');
  w.array(p.fragments.length);
  for (const fragment of p.fragments) {
    w.map(2);
    key(w, 'idx');
    w.uint(fragment.idx);
    key(w, 'holder');
    w.bin(fragment.holder);
  }
  key(w, 'publisher');
  w.bin(p.publisher);
  key(w, 'seq');
  w.uint(p.seq);
  key(w, 'expires');
  w.uint(p.expires);
  key(w, 'sig');
  w.bin(p.sig);
}

function request(w: Writer, req: Request): void {
  switch (req.op) {
    case 'ping':
      w.map(1);
      key(w, 'op');
      w.str('ping');
      return;
    case 'find_node':
      w.map(2);
      key(w, 'op');
      w.str('find_node');
      key(w, 'target');
      w.bin(req.target);
      return;
    case 'find_value':
      w.map(2);
      key(w, 'op');
      w.str('find_value');
      key(w, 'key');
      w.bin(req.key);
      return;
    case 'store':
      w.map(2);
      key(w, 'op');
      w.str('store');
      key(w, 'pointer');
      pointer(w, req.pointer);
      return;
    case 'dial_back':
    case 'probe':
      w.map(2);
      key(w, 'op');
      w.str(req.op);
      key(w, 'token');
      w.bin(req.token);
      return;
    case 'dial':
      w.map(3);
      key(w, 'op');
      w.str('dial');
      key(w, 'addr');
      w.str(req.addr);
      key(w, 'token');
      w.bin(req.token);
  }
}

function response(w: Writer, res: Response): void {
  switch (res.op) {
    case 'pong':
      w.map(2);
      key(w, 'op');
      w.str('pong');
      key(w, 'observed');
      w.str(res.observed);
      return;
    case 'nodes':
      w.map(2);
      key(w, 'op');
      w.str('nodes');
      key(w, 'nodes');
      nodeList(w, res.nodes);
      return;
    case 'value':
      w.map(4);
      key(w, 'op');
      w.str('value');
      key(w, 'pointers');
      w.array(res.pointers.length);
      for (const p of res.pointers) pointer(w, p);
      key(w, 'nodes');
      nodeList(w, res.nodes);
      key(w, 'more');
      w.bool(res.more);
      return;
    case 'stored':
      w.map(res.reason === undefined ? 2 : 3);
      key(w, 'op');
      w.str('stored');
      key(w, 'ok');
      w.bool(res.ok);
      if (res.reason !== undefined) {
        key(w, 'reason');
        w.str(res.reason);
      }
      return;
    case 'dialing':
      w.map(3);
      key(w, 'op');
      w.str('dialing');
      key(w, 'observed');
      w.str(res.observed);
      key(w, 'asked');
      w.bool(res.asked);
      return;
    case 'will_dial':
      w.map(2);
      key(w, 'op');
      w.str('will_dial');
      key(w, 'ok');
      w.bool(res.ok);
      return;
    case 'probed':
      w.map(1);
      key(w, 'op');
      w.str('probed');
  }
}

function body(w: Writer, b: Body): void {
  w.map(1);
  if ('req' in b) {
    key(w, 'req');
    request(w, b.req);
  } else if ('res' in b) {
    key(w, 'res');
    response(w, b.res);
  } else {
    key(w, 'err');
    w.map(2);
    key(w, 'code');
    w.uint(b.err.code);
    key(w, 'reason');
    w.str(b.err.reason);
  }
}

const shared = new Writer();

/**
 * Writes `[u32 length][MessagePack of message]` into a fresh array of exactly its size, or
 * returns the body length when it exceeds `maxBodyBytes` (nothing is allocated then).
 */
export function encodeMessageFrame(
  message: WireMessage,
  maxBodyBytes: number,
): Uint8Array | number {
  const w = shared;
  w.reset();
  w.length = 4;
  w.map(4);
  key(w, 'v');
  w.uint(message.v);
  key(w, 'rid');
  w.uint(message.rid);
  key(w, 'from');
  nodeInfo(w, message.from);
  key(w, 'body');
  body(w, message.body);
  const bodyBytes = w.length - 4;
  if (bodyBytes > maxBodyBytes) return bodyBytes;
  const frame = frameCopy(w.bytes, w.length);
  frame[0] = bodyBytes >>> 24;
  frame[1] = (bodyBytes >>> 16) & 0xff;
  frame[2] = (bodyBytes >>> 8) & 0xff;
  frame[3] = bodyBytes & 0xff;
  return frame;
}

/** The MessagePack size of a pointer, for fitting pointers into a frame. */
export function encodedPointerSize(p: WirePointer): number {
  const w = sizing;
  w.reset();
  pointer(w, p);
  return w.length;
}

/** The MessagePack size of a list of NodeInfos. */
export function encodedNodesSize(nodes: readonly WireNodeInfo[]): number {
  const w = sizing;
  w.reset();
  nodeList(w, nodes);
  return w.length;
}

const sizing = new Writer();
