import { fromHex } from '../core/bytes.js';
import type { NodeIdentity } from '../core/identity.js';
import { invariant } from '../core/errors.js';

/**
 * Rebuilds identities from recorded events without re-hashing: they were verified before they
 * were recorded, and the hash chain protects the log. Interned, so every projection on a
 * process shares one object per peer (10,000 simulated tables hold the same peers).
 */
export class IdentityInterner {
  private readonly byId = new Map<string, NodeIdentity>();
  private readonly addrs = new Map<string, string>();

  intern(idHex: string, pkHex: string, nonce: number): NodeIdentity {
    const known = this.byId.get(idHex);
    if (known !== undefined && known.nonce === nonce) return known;
    const id = fromHex(idHex);
    const pk = fromHex(pkHex);
    invariant(id !== null && pk !== null, `recorded identity ${idHex} is not hex`);
    const identity: NodeIdentity = Object.freeze({ id, idHex, pk, nonce });
    this.byId.set(idHex, identity);
    return identity;
  }

  /** One string per address: every table that holds a peer shares its address text. */
  addr(text: string): string {
    const known = this.addrs.get(text);
    if (known !== undefined) return known;
    // Bounded like any cache fed from the network; dropping it only costs sharing.
    if (this.addrs.size >= MAX_SHARED_ADDRESSES) this.addrs.clear();
    this.addrs.set(text, text);
    return text;
  }

  /** Shares an identity object the engine already verified. */
  share(identity: NodeIdentity): void {
    if (!this.byId.has(identity.idHex)) this.byId.set(identity.idHex, identity);
  }
}

const MAX_SHARED_ADDRESSES = 200_000;

export const sharedInterner = new IdentityInterner();
