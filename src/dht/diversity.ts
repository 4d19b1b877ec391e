import { diversityGroup, isLoopback, parseAddress } from '../core/address.js';
import type { RoutingEntry, RoutingState } from '../projections/routing-table.js';
import type { DhtConfig } from './config.js';

/**
 * IP diversity (SPEC §2): at most 2 peers of one /24 (/64) per bucket and 10 in the table.
 * Proof of work slows Sybils down; this stops one network from filling a table.
 * Returns the group an address counts in, or null when it is exempt (loopback, not strict).
 */
export function groupOf(addr: string, config: DhtConfig): string | null {
  const parsed = parseAddress(addr);
  if (parsed === null) return 'invalid';
  if (!config.strictIpDiversity && isLoopback(parsed.host)) return null;
  return diversityGroup(parsed.host);
}

export function diversityAllows(
  state: RoutingState,
  bucketEntries: readonly RoutingEntry[],
  addr: string,
  config: DhtConfig,
): boolean {
  const group = groupOf(addr, config);
  if (group === null) return true;
  const inBucket = bucketEntries.filter((e) => groupOf(e.peer.addr, config) === group).length;
  if (inBucket >= config.maxPeersPerGroupPerBucket) return false;
  let inTable = 0;
  for (const entry of state.byId.values())
    if (groupOf(entry.peer.addr, config) === group) inTable++;
  return inTable < config.maxPeersPerGroupInTable;
}
