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

/** Lower-cases IPv6, unwraps IPv4-mapped IPv6; null for anything that is not an IP literal. */
export function normalizeHost(host: string): string | null {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(host);
  if (mapped !== null) return isIP(mapped[1]!) === 4 ? mapped[1]! : null;
  const family = isIP(host);
  if (family === 4) return host;
  if (family === 6) return host.toLowerCase();
  return null;
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

/**
 * The IP-diversity group of SPEC §2: the /24 of an IPv4 address, the /64 of an IPv6 one.
 */
export function diversityGroup(host: string): string {
  if (!host.includes(':')) return host.split('.').slice(0, 3).join('.') + '.0/24';
  return expandIpv6(host).slice(0, 4).join(':') + '::/64';
}

function expandIpv6(host: string): string[] {
  const [head = '', tail] = host.split('::');
  const left = head === '' ? [] : head.split(':');
  const right = tail === undefined || tail === '' ? [] : tail.split(':');
  const zeros = Array<string>(Math.max(0, 8 - left.length - right.length)).fill('0');
  return [...left, ...zeros, ...right].map((part) => part.padStart(4, '0'));
}
