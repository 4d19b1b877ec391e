import { isIP } from 'node:net';

/**
 * Peer addresses are IP literals with a port (SPEC §3.3): `203.0.113.5:4433` or
 * `[2001:db8::1]:4433`; IPv4-mapped IPv6 addresses are written as IPv4.
 */
export interface HostPort {
  readonly host: string;
  readonly port: number;
}

export function parseAddress(text: string): HostPort | null {
  const match = /^\[([^\]]+)\]:(\d{1,5})$/.exec(text) ?? /^([^:[\]]+):(\d{1,5})$/.exec(text);
  if (match === null) return null;
  const port = Number(match[2]);
  if (port < 1 || port > 65_535) return null;
  const host = normalizeHost(match[1]!);
  return host === null ? null : { host, port };
}

/**
 * The canonical text of an IP literal, or null for anything else: IPv4 as is; IPv4-mapped
 * IPv6 (`::ffff:198.18.0.1`, `::ffff:c612:1`) as the IPv4 address it maps (SPEC §3.3); other
 * IPv6 in the RFC 5952 form (lower case, no leading zeros, the longest run of two or more
 * zero groups as `::`), so one host has one text and one diversity group. Zone IDs
 * (`fe80::1%eth0`) are refused: they mean nothing on another machine.
 */
export function normalizeHost(host: string): string | null {
  const family = isIP(host);
  if (family === 4) return host;
  if (family !== 6 || host.includes('%')) return null;
  const groups = ipv6Groups(host);
  if (isIpv4Mapped(groups))
    return [groups[6]! >> 8, groups[6]! & 0xff, groups[7]! >> 8, groups[7]! & 0xff].join('.');
  return formatIpv6(groups);
}

export function formatAddress(host: string, port: number): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}

/** Canonical form of an address text, or null if it is not one. */
export function normalizeAddress(text: string): string | null {
  const parsed = parseAddress(text);
  return parsed === null ? null : formatAddress(parsed.host, parsed.port);
}

export function isLoopback(host: string): boolean {
  return host.startsWith('127.') || host === '::1';
}

/** Whether `host` (canonical, see normalizeHost) is an IPv6 address. */
export function isIpv6(host: string): boolean {
  return host.includes(':');
}

/**
 * Whether `host` (canonical) can only be reached from its own site: loopback, private
 * (RFC 1918), shared (RFC 6598, carrier-grade NAT), link-local, or IPv6 unique-local
 * (fc00::/7). The documentation and benchmark ranges are not: the test bed's "Internet" is
 * made of them. Nor is the unspecified address (`0.0.0.0`, `::`), which names no site.
 */
export function isSiteScoped(host: string): boolean {
  if (isIpv6(host)) {
    const first = ipv6Groups(host)[0]!;
    return host === '::1' || (first & 0xfe00) === 0xfc00 || (first & 0xffc0) === 0xfe80;
  }
  const [a = 0, b = 0] = host.split('.').map(Number);
  return (
    a === 10 ||
    a === 127 ||
    (a === 100 && b >= 64 && b < 128) ||
    (a === 169 && b === 254) ||
    (a === 172 && b >= 16 && b < 32) ||
    (a === 192 && b === 168)
  );
}

/**
 * The IP-diversity group of SPEC §2: the /24 of an IPv4 address, the /64 of an IPv6 one
 * (a host or one site's subnet: what one machine can cheaply hold many addresses in).
 */
export function diversityGroup(host: string): string {
  return prefixGroup(host, 24, 64);
}

/**
 * The wider network group of SPEC §3.1's ceilings: the /24 of an IPv4 address, the /48 of an
 * IPv6 one (one site's allocation holds 65,536 /64s, so a cap per /64 alone does not bound it).
 */
export function networkGroup(host: string): string {
  return prefixGroup(host, 24, 48);
}

/** One source host for admission (SPEC §3.1): an IPv4 address, or the /64 of an IPv6 one. */
export function sourceHost(host: string): string {
  return isIpv6(host) ? prefixGroup(host, 32, 64) : host;
}

function prefixGroup(host: string, ipv4Bits: 24 | 32, ipv6Bits: 48 | 64): string {
  if (!host.includes(':')) {
    if (ipv4Bits === 32) return host;
    return host.split('.').slice(0, 3).join('.') + '.0/24';
  }
  const groups = ipv6Groups(host);
  const kept = ipv6Bits / 16;
  return formatIpv6(groups.map((g, i) => (i < kept ? g : 0))) + `/${ipv6Bits}`;
}

/** The eight 16-bit groups of a valid IPv6 literal (an embedded dotted quad included). */
export function ipv6Groups(host: string): number[] {
  let text = host.toLowerCase();
  const dotted = /(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(text);
  if (dotted !== null) {
    const [a, b, c, d] = dotted.slice(1).map(Number) as [number, number, number, number];
    text =
      text.slice(0, dotted.index) + `${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const [head = '', tail] = text.split('::');
  const left = head === '' ? [] : head.split(':');
  const right = tail === undefined || tail === '' ? [] : tail.split(':');
  const zeros = Array<string>(Math.max(0, 8 - left.length - right.length)).fill('0');
  return [...left, ...zeros, ...right].map((part) => parseInt(part, 16));
}

function isIpv4Mapped(groups: readonly number[]): boolean {
  return groups.slice(0, 5).every((g) => g === 0) && groups[5] === 0xffff;
}

/** RFC 5952 §4: the first longest run of two or more zero groups becomes `::`. */
function formatIpv6(groups: readonly number[]): string {
  let bestStart = -1;
  let bestLength = 1;
  for (let i = 0; i < 8;) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLength) [bestStart, bestLength] = [i, j - i];
    i = j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (bestStart < 0) return hex.join(':');
  const left = hex.slice(0, bestStart).join(':');
  const right = hex.slice(bestStart + bestLength).join(':');
  return `${left}::${right}`;
}
