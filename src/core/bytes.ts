/** Byte helpers shared by ids, keys and pointers. Binary is lowercase hex wherever it is text. */

/**
 * One flat string, written by Node's encoder. Built by `+=`, an ID's hex was a chain of 13
 * linked string pieces (~450 bytes) until something flattened it, and a key's ~800 bytes:
 * recorded events and interned identities kept those chains alive.
 */
export function toHex(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex');
}

/** Parses lowercase or uppercase hex; returns null for odd length or non-hex characters. */
export function fromHex(hex: string): Uint8Array | null {
  if (hex.length % 2 !== 0 || !/^[0-9a-fA-F]*$/.test(hex)) return null;
  const out = new Uint8Array(hex.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(hex.slice(i * 2, i * 2 + 2), 16);
  return out;
}

export function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

export function concatBytes(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let offset = 0;
  for (const p of parts) {
    out.set(p, offset);
    offset += p.length;
  }
  return out;
}

/** `nonce8` of SPEC §1: an unsigned integer below 2^53 as 8 bytes little-endian. */
export function nonce8(nonce: number): Uint8Array {
  const out = new Uint8Array(8);
  let rest = nonce;
  for (let i = 0; i < 8; i++) {
    out[i] = rest % 256;
    rest = Math.floor(rest / 256);
  }
  return out;
}

export const utf8 = (text: string): Uint8Array => new TextEncoder().encode(text);
