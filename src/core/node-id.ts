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
