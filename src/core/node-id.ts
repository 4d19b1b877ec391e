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

/** prefix31 of an ID given as hex (lower case, as toHex writes it; meaningless for other text). */
export function prefix31OfHex(idHex: string): number {
  let bits = 0;
  for (let i = 0; i < 8; i++) bits = (bits << 4) | (hexValue(idHex.charCodeAt(i)) & 15);
  return bits >>> 1;
}

/** The value of a lower-case hex digit's char code; 16 or more for anything else. */
export function hexValue(code: number): number {
  if (code >= 48 && code <= 57) return code - 48;
  if (code >= 97 && code <= 102) return code - 87;
  return 32;
}
