import { networkGroup, parseAddress, sourceHost } from '../core/address.js';

/**
 * Admission by source host (SPEC §3.1, issue 11): requests are counted per host in one-second
 * windows, not per address and port, so an attacker gains nothing by opening more sockets. A
 * host is an IPv4 address or an IPv6 /64; each /24 (IPv6 /48) also has a ceiling, so one
 * network cannot multiply its quota with many hosts. Only the current second's hosts are
 * remembered, so a node that hears from thousands of peers keeps no per-peer state for it.
 */
export class RateLimiter {
  /** This second's counts; made by the first request of a second (none for a quiet node). */
  private hosts: Map<string, number> | null = null;
  private networks: Map<string, number> | null = null;
  private windowStartMs = -Infinity;

  /**
   * @param perHostPerSecond requests one host may send per second
   * @param perNetworkPerSecond requests one /24 (/48) may send per second, all hosts together
   */
  constructor(
    private readonly perHostPerSecond: number,
    private readonly perNetworkPerSecond = perHostPerSecond * NETWORK_CEILING_HOSTS,
  ) {}

  /** Whether one more request from `addr` (`host:port`) is admitted now; counts it if so. */
  allow(addr: string, nowMs: number): boolean {
    let { hosts, networks } = this;
    if (hosts === null || networks === null || nowMs - this.windowStartMs >= 1_000) {
      // Fresh maps, not cleared ones: a map keeps the capacity of its busiest second.
      this.hosts = hosts = new Map();
      this.networks = networks = new Map();
      this.windowStartMs = nowMs;
    }
    const { host, network } = admissionKeys(addr);
    const fromHost = hosts.get(host) ?? 0;
    if (fromHost >= this.perHostPerSecond) return false;
    const fromNetwork = networks.get(network) ?? 0;
    if (fromNetwork >= this.perNetworkPerSecond) return false;
    hosts.set(host, fromHost + 1);
    networks.set(network, fromNetwork + 1);
    return true;
  }
}

/**
 * A /24 may send as much as this many full-rate hosts: a NAT or a small hosting subnet with a
 * few honest nodes is served, a subnet of Sybils is not multiplied further.
 */
const NETWORK_CEILING_HOSTS = 4;

export interface AdmissionKeys {
  /** The IPv4 address, or the IPv6 /64 (`2001:db8:1:2::/64`): core's `sourceHost`. */
  readonly host: string;
  /** The IPv4 /24 or the IPv6 /48 the host's ceiling is counted in: core's `networkGroup`. */
  readonly network: string;
}

/**
 * Keys of the host and network an address is admitted under. Parsing costs more than the rest
 * of a rate check, so a bounded number of recent addresses are remembered.
 */
export function admissionKeys(addr: string): AdmissionKeys {
  let keys = keyCache.get(addr);
  if (keys === undefined) {
    keys = computeKeys(addr);
    if (keyCache.size >= KEY_CACHE_SIZE) keyCache.clear();
    keyCache.set(addr, keys);
  }
  return keys;
}

/** The host admission counts `addr` under (core's `sourceHost`), from its cache; null if invalid. */
export function admissionHost(addr: string): string | null {
  const { host } = admissionKeys(addr);
  return host === INVALID_HOST ? null : host;
}

const KEY_CACHE_SIZE = 100_000;
/** The host and network of an address that does not parse (never an IP literal's text). */
export const INVALID_HOST = 'invalid';
const keyCache = new Map<string, AdmissionKeys>();

function computeKeys(addr: string): AdmissionKeys {
  const parsed = parseAddress(addr);
  // Transports hand us canonical addresses; anything else is one shared, limited bucket.
  if (parsed === null) return { host: INVALID_HOST, network: INVALID_HOST };
  return { host: sourceHost(parsed.host), network: networkGroup(parsed.host) };
}
