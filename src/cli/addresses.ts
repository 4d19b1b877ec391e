import { formatAddress, parseAddress, type HostPort } from '../core/address.js';
import { TesdError } from '../core/errors.js';
import { parseNodeId } from '../core/node-id.js';
import type { Seed } from '../dht/bootstrap.js';

/**
 * Addresses given on the command line: a listening address (`--bind`, `--admin`,
 * `--metrics`: an IP literal and a port, port 0 meaning any free port) and a bootstrap seed
 * (`[ID@]host:port`). Errors are TesdErrors whose message names the flag and the bad value.
 */

export function parseListenAddress(text: string, flag: string): HostPort {
  const anyPort = /:0$/.test(text);
  const parsed = parseAddress(anyPort ? `${text.slice(0, -2)}:1` : text);
  if (parsed === null)
    throw new TesdError(
      'bad_address',
      `${flag} ${JSON.stringify(text)} is not an IP address and port (e.g. 127.0.0.1:4480, [::1]:4480)`,
    );
  return anyPort ? { host: parsed.host, port: 0 } : parsed;
}

export function formatListenAddress(address: HostPort): string {
  return formatAddress(address.host, address.port);
}

/** `host:port` or `ID@host:port` (the 40-hex-digit ID is then checked when the seed answers). */
export function parseSeed(text: string, flag = '--bootstrap'): Seed {
  const at = text.indexOf('@');
  const idHex = at >= 0 ? text.slice(0, at) : undefined;
  const addrText = at >= 0 ? text.slice(at + 1) : text;
  const addr = parseAddress(addrText);
  if (addr === null)
    throw new TesdError(
      'bad_address',
      `${flag} ${JSON.stringify(text)}: expected host:port or ID@host:port with an IP address`,
    );
  const canonical = formatAddress(addr.host, addr.port);
  if (idHex === undefined) return { addr: canonical };
  if (parseNodeId(idHex) === null)
    throw new TesdError(
      'bad_address',
      `${flag} ${JSON.stringify(text)}: the ID must be 40 hex digits`,
    );
  return { addr: canonical, idHex: idHex.toLowerCase() };
}
