import { diversityGroup, isLoopback, networkGroup, parseAddress } from '../core/address.js';

/**
 * The IP-diversity groups of SPEC §2 for an address text, cached: parsing an address costs
 * more than the rest of a diversity check, and the same few thousand addresses come back in
 * every answer. `bucket` is the per-bucket group (IPv4 /24, IPv6 /64: one machine or one
 * subnet); `table` is the table-wide one (IPv4 /24, IPv6 /48: one site's allocation holds
 * 65,536 /64s, so a cap per /64 alone would not bound it). An address that does not parse
 * counts in the group 'invalid'.
 */
export interface AddressGroups {
  readonly bucket: string;
  readonly table: string;
  readonly loopback: boolean;
}

export const INVALID_GROUPS: AddressGroups = Object.freeze({
  bucket: 'invalid',
  table: 'invalid',
  loopback: false,
});
const CACHE_SIZE = 100_000;
const cache = new Map<string, AddressGroups>();

export function addressGroups(addr: string): AddressGroups {
  let groups = cache.get(addr);
  if (groups === undefined) {
    groups = computeGroups(addr);
    // Bounded like any cache fed from the network; dropping it only costs re-parsing.
    if (cache.size >= CACHE_SIZE) cache.clear();
    cache.set(addr, groups);
  }
  return groups;
}

function computeGroups(addr: string): AddressGroups {
  const parsed = parseAddress(addr);
  if (parsed === null) return INVALID_GROUPS;
  const { host } = parsed;
  return Object.freeze({
    bucket: diversityGroup(host),
    table: networkGroup(host),
    loopback: isLoopback(host),
  });
}
