import { signingKeyFromSecret, type SigningKey } from '../../src/core/ed25519.js';
import { signPointer, type Pointer } from '../../src/core/pointer.js';

/** Validly signed pointers for the store's tests (decisions and fold), by small numbers. */
/** Publisher `n`'s signing key (the same for the same `n`). */
export function publisherKey(n: number): SigningKey {
  return signingKeyFromSecret(new Uint8Array(32).fill(n));
}

/** What a test pointer varies; the rest is a valid pointer with no holders. */
export interface PointerSpec {
  /** Tessera `n`: 32 bytes of `n` (the key is derived from them, SPEC §4.1). */
  readonly tessera: number;
  readonly seq?: number;
  readonly publisher?: number;
  /** Seconds; default an hour after `nowMs`. */
  readonly expires?: number;
  readonly holders?: Pointer['holders'];
  readonly nowMs?: number;
}

/** A pointer validly signed by publisher `spec.publisher` (default 1). */
export function signedPointer(spec: PointerSpec): Pointer {
  const key = publisherKey(spec.publisher ?? 1);
  const nowS = Math.floor((spec.nowMs ?? 0) / 1000);
  return signPointer(
    {
      tessera: new Uint8Array(32).fill(spec.tessera),
      holders: spec.holders ?? [],
      fragments: [],
      publisher: key.pk,
      seq: spec.seq ?? 1,
      expires: spec.expires ?? nowS + 3600,
    },
    key,
  );
}
