import { compareDistance } from '../../src/core/distance.js';
import type { NodeIdentity } from '../../src/core/identity.js';

/** The hex IDs of the `k` identities closest to `target`, leaving out the one asking. */
export function trueClosest(
  identities: readonly NodeIdentity[],
  target: Uint8Array,
  k: number,
  askerHex: string,
): string[] {
  return identities
    .filter((id) => id.idHex !== askerHex)
    .sort((a, b) => compareDistance(target, a.id, b.id))
    .slice(0, k)
    .map((id) => id.idHex);
}
