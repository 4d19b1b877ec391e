import { diversityGroup, isLoopback, parseAddress } from '../core/address.js';
import type { RoutingEntry, RoutingState } from '../projections/routing-table.js';
import type { DhtConfig } from './config.js';

/**
 * IP diversity (SPEC §2): at most 2 peers of one /24 (/64) per bucket and 10 in the table.
 * Proof of work slows Sybils down; this stops one network from filling a table.
 * Returns the group an address counts in, or null when it is exempt (loopback, not strict).
 */
export function groupOf(addr: string, config: DhtConfig): string | null {
  const cache = config.strictIpDiversity ? strictGroups : lenientGroups;
  let group = cache.get(addr);
  if (group === undefined) {
    group = computeGroup(addr, config.strictIpDiversity);
    // Parsing an address costs more than the rest of a diversity check: remember a bounded few.
    if (cache.size >= GROUP_CACHE_SIZE) cache.clear();
    cache.set(addr, group);
  }
  return group;
}

const GROUP_CACHE_SIZE = 100_000;
const strictGroups = new Map<string, string | null>();
const lenientGroups = new Map<string, string | null>();

function computeGroup(addr: string, strict: boolean): string | null {
  const parsed = parseAddress(addr);
  if (parsed === null) return 'invalid';
  if (!strict && isLoopback(parsed.host)) return null;
  return diversityGroup(parsed.host);
}

/** Whether `addr` fits the caps; `leavingHex` is a peer about to be evicted, not counted. */
export function diversityAllows(
  state: RoutingState,
  bucketEntries: readonly RoutingEntry[],
  addr: string,
  config: DhtConfig,
  leavingHex?: string,
): boolean {
  const group = groupOf(addr, config);
  if (group === null) return true;
  const inBucket = bucketEntries.filter((e) => groupOf(e.peer.addr, config) === group).length;
  if (inBucket >= config.maxPeersPerGroupPerBucket) return false;
  let inTable = 0;
  for (const entry of state.byId.values())
    if (groupOf(entry.peer.addr, config) === group && entry.peer.identity.idHex !== leavingHex)
      inTable++;
  return inTable < config.maxPeersPerGroupInTable;
}
