import { QUICClient, errors, type QUICServerConfigInput, type QUICSocket } from '@matrixai/quic';
import type Logger from '@matrixai/logger';
import { formatAddress, normalizeHost, parseAddress } from '../core/address.js';
import { certificatePublicKey } from './certificate.js';
import type { DialResult } from './connection-pool.js';
import { clientCrypto } from './quic-options.js';
import { describe } from './rpc-stream.js';

export interface DialContext {
  readonly socket: QUICSocket;
  readonly config: QUICServerConfigInput;
  readonly logger: Logger;
  readonly handshakeTimeoutMs: number;
}

/**
 * Opens a connection to `addr` from the node's own socket (SPEC §3.1) and binds it to the pk
 * of the certificate the peer presented. Failures come back as values.
 */
export async function dialPeer(addr: string, context: DialContext): Promise<DialResult> {
  const parsed = parseAddress(addr);
  if (parsed === null) return failed('unreachable', `invalid address ${addr}`);
  let client: QUICClient;
  try {
    client = await QUICClient.createQUICClient(
      {
        host: parsed.host,
        port: parsed.port,
        socket: context.socket,
        crypto: clientCrypto(),
        config: context.config,
        logger: context.logger,
      },
      { timer: context.handshakeTimeoutMs },
    );
  } catch (error) {
    return dialFailure(addr, error, context.handshakeTimeoutMs);
  }
  const certPk = certificatePublicKey(client.connection.getRemoteCertsChain()[0] ?? '');
  if (certPk === null) {
    void client.destroy({ force: true }).catch(() => {});
    return failed('protocol', `${addr} has no Ed25519 certificate`);
  }
  const addrSeen = hostPort(client.connection.remoteHost, client.connection.remotePort);
  return { ok: true, client, remote: { addr: addrSeen, certPk } };
}

/** The observed address, IPv4-mapped IPv6 written as IPv4 (SPEC §3.3). */
export function hostPort(host: string, port: number): string {
  return formatAddress(normalizeHost(host) ?? host, port);
}

function dialFailure(addr: string, error: unknown, handshakeTimeoutMs: number): DialResult {
  if (
    error instanceof errors.ErrorQUICClientCreateTimeout ||
    error instanceof errors.ErrorQUICConnectionStartTimeout ||
    error instanceof errors.ErrorQUICConnectionIdleTimeout
  ) {
    return failed('unreachable', `handshake with ${addr} timed out after ${handshakeTimeoutMs} ms`);
  }
  if (
    error instanceof errors.ErrorQUICConnectionLocalTLS ||
    error instanceof errors.ErrorQUICConnectionPeerTLS
  ) {
    return failed('protocol', `TLS handshake with ${addr} failed: ${describe(error)}`);
  }
  return failed('unreachable', `cannot connect to ${addr}: ${describe(error)}`);
}

function failed(failure: 'unreachable' | 'protocol', message: string): DialResult {
  return { ok: false, failure, message };
}
