import {
  diversityGroup,
  ipv6Groups,
  isLoopback,
  networkGroup,
  parseAddress,
} from '../core/address.js';

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
  /**
   * The table group as a number (IPv4 /24: 2^48 + its 24 bits; IPv6 /48: its 48 bits; -1 for
   * 'invalid'): each routing table keeps one per entry in a plain array of numbers, which
   * costs far less memory than a map per table and is scanned in a fraction of a microsecond.
   */
  readonly tableKey: number;
  readonly loopback: boolean;
}

export const INVALID_GROUPS: AddressGroups = Object.freeze({
  bucket: 'invalid',
  table: 'invalid',
  tableKey: -1,
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
    tableKey: tableKeyOf(host),
    loopback: isLoopback(host),
  });
}

function tableKeyOf(host: string): number {
  if (host.includes(':')) {
    const [a = 0, b = 0, c = 0] = ipv6Groups(host);
    return a * 2 ** 32 + b * 2 ** 16 + c;
  }
  const [a = 0, b = 0, c = 0] = host.split('.').map(Number);
  return 2 ** 48 + ((a << 16) | (b << 8) | c);
}
