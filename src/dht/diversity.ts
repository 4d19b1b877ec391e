import { addressGroups } from '../projections/network-groups.js';
import type { TablePeer } from '../projections/peer-identity.js';
import { tableGroupCount, type RoutingState } from '../projections/routing-table.js';
import type { DhtConfig } from './config.js';

/**
 * IP diversity (SPEC §2): at most 2 peers of one IPv4 /24 (IPv6 /64) per bucket and 10 of one
 * IPv4 /24 (IPv6 /48) in the table. Proof of work slows Sybils down; this stops one network
 * from filling a table. Returns the per-bucket group an address counts in (also the lookup
 * window's), or null when it is exempt (loopback, not strict).
 */
export function groupOf(addr: string, config: DhtConfig): string | null {
  const groups = addressGroups(addr);
  return groups.loopback && !config.strictIpDiversity ? null : groups.bucket;
}

/**
 * Whether `addr` fits the caps; `leavingHex` is a peer about to be evicted, not counted. The
 * table-wide count reads the routing table's array of group keys, not its entries.
 */
export function diversityAllows(
  state: RoutingState,
  bucketPeers: readonly TablePeer[],
  addr: string,
  config: DhtConfig,
  leavingHex?: string,
): boolean {
  const groups = addressGroups(addr);
  if (groups.loopback && !config.strictIpDiversity) return true;
  let inBucket = 0;
  for (let i = 0; i < bucketPeers.length; i++)
    if (bucketPeers[i]!.bucketGroup === groups.bucket) inBucket++;
  if (inBucket >= config.maxPeersPerGroupPerBucket) return false;
  let inTable = tableGroupCount(state, groups.tableKey);
  const leaving = leavingHex === undefined ? undefined : state.byId.get(leavingHex);
  if (leaving !== undefined && addressGroups(leaving.peer.addr).tableKey === groups.tableKey)
    inTable--;
  return inTable < config.maxPeersPerGroupInTable;
}
