import { fromHex, toHex } from '../core/bytes.js';
import { invariant } from '../core/errors.js';
import type { Pointer } from '../core/pointer.js';
import type { PointerData } from '../events/event-types.js';

/** A pointer as event data: every binary field as lowercase hex (SPEC §5). */
export function pointerToData(p: Pointer): PointerData {
  return {
    key: toHex(p.key),
    tessera: toHex(p.tessera),
    holders: p.holders.map((h) => ({ id: toHex(h.id), addr: h.addr })),
    fragments: p.fragments.map((f) => ({ idx: f.idx, holder: toHex(f.holder) })),
    publisher: toHex(p.publisher),
    seq: p.seq,
    expires: p.expires,
    sig: toHex(p.sig),
  };
}

function bin(hex: string): Uint8Array {
  const bytes = fromHex(hex);
  invariant(bytes !== null, `recorded field ${hex.slice(0, 16)} is not hex`);
  return bytes;
}

export function pointerFromData(d: PointerData): Pointer {
  return {
    key: bin(d.key),
    tessera: bin(d.tessera),
    holders: d.holders.map((h) => ({ id: bin(h.id), addr: h.addr })),
    fragments: d.fragments.map((f) => ({ idx: f.idx, holder: bin(f.holder) })),
    publisher: bin(d.publisher),
    seq: d.seq,
    expires: d.expires,
    sig: bin(d.sig),
  };
}
