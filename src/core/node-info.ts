import type { NodeIdentity } from './identity.js';

/** Capability flags carried in NodeInfo.caps (SPEC §3.3). */
export const Caps = {
  DHT: 1,
  STORAGE: 2,
  RELAY: 4,
  REPLICATION: 8,
} as const;

/** A peer as the engine knows it: a shared verified identity, where to reach it, what it serves. */
export interface PeerInfo {
  readonly identity: NodeIdentity;
  readonly addr: string;
  readonly caps: number;
}

export function servesDht(caps: number): boolean {
  return (caps & Caps.DHT) !== 0;
}
