import { MAX_NONCE } from '../core/proof-of-work.js';
import {
  decodedItemSlot,
  decodedNodeSlot,
  nodeSlotField,
  setSlotField,
  slotFieldOf,
} from './wire-decode.js';
import {
  K,
  MAX_POINTERS_PER_RESPONSE,
  PROTOCOL_VERSION,
  type Body,
  type ErrorBody,
  type Request,
  type Response,
  type WireMessage,
  type WireNodeInfo,
  type WirePointer,
} from './messages.js';

/**
 * The wire schemas of messages.ts checked by hand, for the hot path: every frame a node
 * serves or receives passes here, and zod's generic machinery cost about as much as the rest
 * of an RPC. It accepts and refuses exactly what `wireMessageSchema` does (a differential
 * test holds them together) and builds the same output: known keys only, in schema order.
 *
 * Each check returns the value or `undefined`; the first failure leaves its path and
 * message in `failure`, for the error answer.
 */

interface Failure {
  path: string;
  message: string;
}

let failure: Failure = { path: '', message: '' };

function fail(path: string, message: string): undefined {
  failure = { path, message };
  return undefined;
}

type Plain = Record<string, unknown>;

/** zod's object test: anything non-null of type object that is not an array. */
function isObject(value: unknown): value is Plain {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function asObject(value: unknown, path: string): Plain | undefined {
  return isObject(value) ? value : fail(path, 'expected object');
}

function isBytes(value: unknown, length: number): value is Uint8Array {
  return value instanceof Uint8Array && value.length === length;
}

function isUint(value: unknown, max: number): value is number {
  return typeof value === 'number' && Number.isInteger(value) && value >= 0 && value <= max;
}

function isAddress(value: unknown): value is string {
  return typeof value === 'string' && value.length >= 3 && value.length <= 64;
}

function isText(value: unknown, max: number): value is string {
  return typeof value === 'string' && value.length <= max;
}

/**
 * The decoder's NodeInfos found valid here, by the decoder's slot: the same peers come back in
 * answer after answer as the same frozen object, and a second check of one is a single read.
 */
const CHECKED = nodeSlotField<true>();

/**
 * A NodeInfo, item `index` of the array at `path` (-1: `path` itself; the path text is built
 * only for a failure), which the decoder holds in `slot` (-1: it does not). An object the
 * decoder made with exactly these five keys (frozen, shared by every frame that carried its
 * bytes; see decodedNodeSlot) is checked, not copied; once checked, it is not read again.
 */
function nodeInfo(
  value: unknown,
  path: string,
  index: number,
  slot: number,
): WireNodeInfo | undefined {
  if (slot >= 0 && slotFieldOf(CHECKED, slot) === true) return value as WireNodeInfo;
  if (!isObject(value)) return fail(index < 0 ? path : `${path}.${index}`, 'expected object');
  const o = value;
  const { id, pk, nonce, addr, caps } = o;
  if (!isBytes(id, 20)) return fail(keyPath(path, index, 'id'), 'expected 20 bytes');
  if (!isBytes(pk, 32)) return fail(keyPath(path, index, 'pk'), 'expected 32 bytes');
  if (!isUint(nonce, MAX_NONCE))
    return fail(keyPath(path, index, 'nonce'), 'expected an unsigned integer');
  if (!isAddress(addr))
    return fail(keyPath(path, index, 'addr'), 'expected an address of 3 to 64 characters');
  if (!isUint(caps, 0xffff))
    return fail(keyPath(path, index, 'caps'), 'expected an unsigned 16-bit integer');
  if (slot < 0) return { id, pk, nonce, addr, caps };
  setSlotField(CHECKED, slot, true);
  return o as unknown as WireNodeInfo;
}

function keyPath(path: string, index: number, key: string): string {
  return index < 0 ? `${path}.${key}` : `${path}.${index}.${key}`;
}

function nodeInfos(value: unknown, path: string): WireNodeInfo[] | undefined {
  if (!Array.isArray(value)) return fail(path, 'expected array');
  if (value.length > K) return fail(path, `more than ${K} nodes`);
  // The decoder's array holds the decoder's frozen NodeInfos, checked as they are: it is
  // returned itself (nothing else holds it) unless some item had to be rebuilt.
  let out: WireNodeInfo[] | null = null;
  for (let i = 0; i < value.length; i++) {
    const item: unknown = value[i];
    const node = nodeInfo(item, path, i, decodedItemSlot(value, i));
    if (node === undefined) return undefined;
    if (out === null && node !== item) out = (value as WireNodeInfo[]).slice(0, i);
    if (out !== null) out.push(node);
  }
  return out ?? (value as WireNodeInfo[]);
}

function holders(value: unknown, path: string): WirePointer['holders'] | undefined {
  if (!Array.isArray(value)) return fail(path, 'expected array');
  if (value.length > 16) return fail(path, 'more than 16 holders');
  const out: WirePointer['holders'] = [];
  for (let i = 0; i < value.length; i++) {
    const o = asObject(value[i], `${path}.${i}`);
    if (o === undefined) return undefined;
    const { id, addr } = o;
    if (!isBytes(id, 20)) return fail(`${path}.${i}.id`, 'expected 20 bytes');
    if (!isAddress(addr)) return fail(`${path}.${i}.addr`, 'expected an address');
    out.push({ id, addr });
  }
  return out;
}

function fragments(value: unknown, path: string): WirePointer['fragments'] | undefined {
  if (!Array.isArray(value)) return fail(path, 'expected array');
  if (value.length > 64) return fail(path, 'more than 64 fragments');
  const out: WirePointer['fragments'] = [];
  for (let i = 0; i < value.length; i++) {
    const o = asObject(value[i], `${path}.${i}`);
    if (o === undefined) return undefined;
    const { idx, holder } = o;
    if (!isUint(idx, 0xffff_ffff)) return fail(`${path}.${i}.idx`, 'expected an unsigned integer');
    if (!isBytes(holder, 20)) return fail(`${path}.${i}.holder`, 'expected 20 bytes');
    out.push({ idx, holder });
  }
  return out;
}

export function validatePointer(value: unknown, path = 'pointer'): WirePointer | undefined {
  const o = asObject(value, path);
  if (o === undefined) return undefined;
  const { key, tessera, publisher, seq, expires, sig } = o;
  if (!isBytes(key, 20)) return fail(`${path}.key`, 'expected 20 bytes');
  if (!isBytes(tessera, 32)) return fail(`${path}.tessera`, 'expected 32 bytes');
  const holderList = holders(o.holders, `${path}.holders`);
  if (holderList === undefined) return undefined;
  const fragmentList = fragments(o.fragments, `${path}.fragments`);
  if (fragmentList === undefined) return undefined;
  if (!isBytes(publisher, 32)) return fail(`${path}.publisher`, 'expected 32 bytes');
  if (!isUint(seq, MAX_NONCE)) return fail(`${path}.seq`, 'expected an unsigned integer');
  if (!isUint(expires, MAX_NONCE)) return fail(`${path}.expires`, 'expected an unsigned integer');
  if (!isBytes(sig, 64)) return fail(`${path}.sig`, 'expected 64 bytes');
  return {
    key,
    tessera,
    holders: holderList,
    fragments: fragmentList,
    publisher,
    seq,
    expires,
    sig,
  };
}

function pointers(value: unknown, path: string): WirePointer[] | undefined {
  if (!Array.isArray(value)) return fail(path, 'expected array');
  if (value.length > MAX_POINTERS_PER_RESPONSE)
    return fail(path, `more than ${MAX_POINTERS_PER_RESPONSE} pointers`);
  const out: WirePointer[] = [];
  for (let i = 0; i < value.length; i++) {
    const pointer = validatePointer(value[i], `${path}.${i}`);
    if (pointer === undefined) return undefined;
    out.push(pointer);
  }
  return out;
}

function request(value: unknown, path: string): Request | undefined {
  const o = asObject(value, path);
  if (o === undefined) return undefined;
  switch (o.op) {
    case 'ping':
      return { op: 'ping' };
    case 'find_node':
      return isBytes(o.target, 20)
        ? { op: 'find_node', target: o.target }
        : fail(`${path}.target`, 'expected 20 bytes');
    case 'find_value':
      return isBytes(o.key, 20)
        ? { op: 'find_value', key: o.key }
        : fail(`${path}.key`, 'expected 20 bytes');
    case 'store': {
      const pointer = validatePointer(o.pointer, `${path}.pointer`);
      return pointer === undefined ? undefined : { op: 'store', pointer };
    }
    case 'dial_back':
    case 'probe':
      return isBytes(o.token, 16)
        ? { op: o.op, token: o.token }
        : fail(`${path}.token`, 'expected 16 bytes');
    case 'dial':
      if (!isAddress(o.addr)) return fail(`${path}.addr`, 'expected an address');
      return isBytes(o.token, 16)
        ? { op: 'dial', addr: o.addr, token: o.token }
        : fail(`${path}.token`, 'expected 16 bytes');
    default:
      return fail(`${path}.op`, 'unknown op');
  }
}

function response(value: unknown, path: string): Response | undefined {
  const o = asObject(value, path);
  if (o === undefined) return undefined;
  switch (o.op) {
    case 'pong':
      return isAddress(o.observed)
        ? { op: 'pong', observed: o.observed }
        : fail(`${path}.observed`, 'expected an address');
    case 'nodes': {
      const nodes = nodeInfos(o.nodes, `${path}.nodes`);
      return nodes === undefined ? undefined : { op: 'nodes', nodes };
    }
    case 'value': {
      const pointerList = pointers(o.pointers, `${path}.pointers`);
      if (pointerList === undefined) return undefined;
      const nodes = nodeInfos(o.nodes, `${path}.nodes`);
      if (nodes === undefined) return undefined;
      if (typeof o.more !== 'boolean') return fail(`${path}.more`, 'expected boolean');
      return { op: 'value', pointers: pointerList, nodes, more: o.more };
    }
    case 'stored':
      return stored(o, path);
    case 'dialing':
      if (!isAddress(o.observed)) return fail(`${path}.observed`, 'expected an address');
      return typeof o.asked === 'boolean'
        ? { op: 'dialing', observed: o.observed, asked: o.asked }
        : fail(`${path}.asked`, 'expected boolean');
    case 'will_dial':
      return typeof o.ok === 'boolean'
        ? { op: 'will_dial', ok: o.ok }
        : fail(`${path}.ok`, 'expected boolean');
    case 'probed':
      return { op: 'probed' };
    default:
      return fail(`${path}.op`, 'unknown op');
  }
}

function stored(o: Plain, path: string): Response | undefined {
  if (typeof o.ok !== 'boolean') return fail(`${path}.ok`, 'expected boolean');
  const { reason } = o;
  if (reason === undefined) return { op: 'stored', ok: o.ok };
  if (!isText(reason, 200)) return fail(`${path}.reason`, 'expected text of at most 200');
  return { op: 'stored', ok: o.ok, reason };
}

function errorBody(value: unknown, path: string): ErrorBody | undefined {
  const o = asObject(value, path);
  if (o === undefined) return undefined;
  const { code, reason } = o;
  if (!isUint(code, 0xffff)) return fail(`${path}.code`, 'expected an unsigned 16-bit integer');
  if (!isText(reason, 500)) return fail(`${path}.reason`, 'expected text of at most 500');
  return { code, reason };
}

/** A body has exactly one key (the schema's strict union). */
function body(value: unknown): Body | undefined {
  const o = asObject(value, 'body');
  if (o === undefined) return undefined;
  let count = 0;
  for (const name in o) if (Object.prototype.hasOwnProperty.call(o, name)) count++;
  if (count !== 1) return fail('body', 'expected exactly one of req, res, err');
  if ('req' in o) {
    const req = request(o.req, 'body.req');
    return req === undefined ? undefined : { req };
  }
  if ('res' in o) {
    const res = response(o.res, 'body.res');
    return res === undefined ? undefined : { res };
  }
  if ('err' in o) {
    const err = errorBody(o.err, 'body.err');
    return err === undefined ? undefined : { err };
  }
  return fail('body', 'expected one of req, res, err');
}

/** A decoded MessagePack value as a WireMessage, or undefined (see `lastValidationFailure`). */
export function validateWireMessage(value: unknown): WireMessage | undefined {
  const o = asObject(value, 'root');
  if (o === undefined) return undefined;
  if (o.v !== PROTOCOL_VERSION) return fail('v', `expected ${PROTOCOL_VERSION}`);
  const { rid } = o;
  if (!isUint(rid, 0xffff_ffff)) return fail('rid', 'expected an unsigned 32-bit integer');
  const from = nodeInfo(o.from, 'from', -1, isObject(o.from) ? decodedNodeSlot(o.from) : -1);
  if (from === undefined) return undefined;
  const checked = body(o.body);
  if (checked === undefined) return undefined;
  return { v: PROTOCOL_VERSION, rid, from, body: checked };
}

/** Where and why the last failed validation failed. */
export function lastValidationFailure(): Readonly<Failure> {
  return failure;
}
