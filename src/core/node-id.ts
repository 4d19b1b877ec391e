import { fromHex, toHex } from './bytes.js';

/** Node IDs and pointer keys: 160-bit big-endian unsigned integers (SPEC §1). */
export const ID_BYTES = 20;
export const ID_BITS = 160;

export type NodeId = Uint8Array;

export function isNodeId(bytes: Uint8Array): boolean {
  return bytes.length === ID_BYTES;
}

export function parseNodeId(hex: string): NodeId | null {
  const bytes = fromHex(hex);
  return bytes !== null && bytes.length === ID_BYTES ? bytes : null;
}

/** The first 8 hex digits: enough to tell peers apart in logs and tables. */
export function shortId(id: NodeId | string): string {
  return (typeof id === 'string' ? id : toHex(id)).slice(0, 8);
}

/**
 * The first 31 bits of an ID: a small integer, stored in place (no boxed number), by which
 * IDs are ordered until two share it.
 */
export function prefix31(id: NodeId): number {
  return ((id[0]! << 23) | (id[1]! << 15) | (id[2]! << 7) | (id[3]! >>> 1)) >>> 0;
}
