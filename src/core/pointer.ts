import { Encoder } from '@msgpack/msgpack';
import { blake3 } from '@noble/hashes/blake3.js';
import { bytesEqual, concatBytes, utf8 } from './bytes.js';
import { signBytes, verifySignature, type SigningKey } from './ed25519.js';
import { ID_BYTES } from './node-id.js';

/** TesseraPointer (SPEC §4.1): who holds a tessera, signed by its publisher. */
export interface Pointer {
  readonly key: Uint8Array;
  readonly tessera: Uint8Array;
  readonly holders: readonly Holder[];
  readonly fragments: readonly Fragment[];
  readonly publisher: Uint8Array;
  readonly seq: number;
  /** Absolute expiry, unix seconds. */
  readonly expires: number;
  readonly sig: Uint8Array;
}

export interface Holder {
  readonly id: Uint8Array;
  readonly addr: string;
}

export interface Fragment {
  readonly idx: number;
  readonly holder: Uint8Array;
}

export type UnsignedPointer = Omit<Pointer, 'sig' | 'key'>;

export const TESSERA_BYTES = 32;
export const MAX_HOLDERS = 16; // SPEC §4.1
export const MAX_FRAGMENTS = 64; // SPEC §4.1
/** SPEC §4.1: a pointer may not expire more than 24 h + 5 min ahead (5 min of clock skew). */
export const MAX_POINTER_LIFETIME_S = 24 * 3600 + 5 * 60;

const SIGNING_DOMAIN = utf8('tesseras-pointer-v1');
// Canonical MessagePack (SPEC §3.3): shortest integers, bin for bytes, str for text.
const canonical = new Encoder({ ignoreUndefined: true });

export function pointerKey(tessera: Uint8Array): Uint8Array {
  return blake3(tessera, { dkLen: ID_BYTES });
}

/** The bytes a publisher signs: the domain tag, then the canonical array of SPEC §4.1. */
export function pointerSigningBytes(p: Omit<Pointer, 'sig'>): Uint8Array {
  const body = [
    p.key,
    p.tessera,
    p.holders.map((h) => [h.id, h.addr]),
    p.fragments.map((f) => [f.idx, f.holder]),
    p.publisher,
    p.seq,
    p.expires,
  ];
  return concatBytes(SIGNING_DOMAIN, canonical.encode(body));
}

export function signPointer(unsigned: UnsignedPointer, key: SigningKey): Pointer {
  const withKey = { ...unsigned, key: pointerKey(unsigned.tessera) };
  return { ...withKey, sig: signBytes(key, pointerSigningBytes(withKey)) };
}

export type PointerProblem =
  | 'bad_key'
  | 'bad_signature'
  | 'expired'
  | 'expires_too_far'
  | 'too_many_holders'
  | 'too_many_fragments'
  | 'bad_field';

/** SPEC §4.1 checks, cheapest first; the signature last since it costs the most. */
export function checkPointer(p: Pointer, nowMs: number): PointerProblem | null {
  if (p.key.length !== ID_BYTES || p.tessera.length !== TESSERA_BYTES) return 'bad_field';
  if (p.holders.length > MAX_HOLDERS) return 'too_many_holders';
  if (p.fragments.length > MAX_FRAGMENTS) return 'too_many_fragments';
  if (p.holders.some((h) => h.id.length !== ID_BYTES)) return 'bad_field';
  if (p.fragments.some((f) => f.holder.length !== ID_BYTES)) return 'bad_field';
  const nowS = Math.floor(nowMs / 1000);
  if (p.expires <= nowS) return 'expired';
  if (p.expires > nowS + MAX_POINTER_LIFETIME_S) return 'expires_too_far';
  if (!bytesEqual(pointerKey(p.tessera), p.key)) return 'bad_key';
  if (!verifySignature(p.publisher, pointerSigningBytes(p), p.sig)) return 'bad_signature';
  return null;
}

export function pointersEqual(a: Pointer, b: Pointer): boolean {
  return bytesEqual(a.sig, b.sig) && bytesEqual(pointerSigningBytes(a), pointerSigningBytes(b));
}
