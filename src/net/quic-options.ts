import { createHmac, randomBytes, randomFillSync, timingSafeEqual } from 'node:crypto';
import Logger, { LogLevel, StreamHandler } from '@matrixai/logger';
import type { QUICClientCrypto, QUICServerConfigInput, QUICServerCrypto } from '@matrixai/quic';
import { native } from '@matrixai/quic';
import { selfSignedPublicKey, type TlsCredentials } from './certificate.js';

/** How @matrixai/quic is configured for `tesseras/1` (SPEC §3.1); shared by client and server. */

export const ALPN = 'tesseras/1';
/**
 * Streams a peer may have open at once on one of our connections (issue 11: bounded to what a
 * DHT needs). A pipelining client uses one; one that sends a request per stream keeps at most
 * 28 alive (stream-pool.ts), and a client that opens one past the peer's credit breaks that
 * connection's stream ids for good in this library, so the credit stays just above that. QUIC
 * grants more as streams finish, so an honest client never waits long. The credit is also the
 * most streams a peer can open with one datagram, each costing the library ~0.5-1 ms to set up
 * and as much to tear down: at 100 such a burst stopped the event loop for 40-70 ms.
 */
export const PEER_STREAM_CREDIT = 32;

export type QuicLogLevel = 'debug' | 'info' | 'warn' | 'error' | 'silent';

const LEVELS: Record<QuicLogLevel, LogLevel> = {
  debug: LogLevel.DEBUG,
  info: LogLevel.INFO,
  warn: LogLevel.WARN,
  error: LogLevel.ERROR,
  silent: LogLevel.SILENT,
};

/** The library logs every stream at INFO; WARN keeps a busy node's stderr readable. */
export function quicLogger(level: QuicLogLevel): Logger {
  return new Logger('quic', LEVELS[level], [new StreamHandler()]);
}

/**
 * TLS configuration for both directions: present our certificate, require the peer's, and
 * accept any well-formed self-signed Ed25519 certificate (trust comes from the node ID check).
 * The callback must never throw: the library awaits it inside its packet loop.
 */
export function quicConfig(
  credentials: TlsCredentials,
  maxIdleTimeoutMs: number,
): QUICServerConfigInput {
  return {
    key: credentials.keyPem,
    cert: credentials.certPem,
    verifyPeer: true,
    verifyCallback: async (certs) => {
      const leaf = certs[0];
      if (leaf === undefined) return native.CryptoError.CertificateRequired;
      try {
        const pk = await selfSignedPublicKey(leaf);
        return pk === null ? native.CryptoError.BadCertificate : undefined;
      } catch {
        return native.CryptoError.BadCertificate;
      }
    },
    applicationProtos: [ALPN],
    maxIdleTimeout: maxIdleTimeoutMs,
    initialMaxStreamsBidi: PEER_STREAM_CREDIT,
    // Nothing here uses unidirectional streams or datagrams: grant none.
    initialMaxStreamsUni: 0,
    // Nothing here listens for stream events on a connection or the server: the patched
    // library then does not re-dispatch them (half of a stream's teardown; docs/transport.md).
    ...({ forwardStreamEvents: false } as object),
  };
}

export function clientCrypto(): QUICClientCrypto {
  return {
    ops: {
      randomBytes: (data: ArrayBuffer) => {
        randomFillSync(new Uint8Array(data));
        return Promise.resolve();
      },
    },
  };
}

/** HMAC-SHA256 under a per-process key: the server signs its stateless retry tokens with it. */
export function serverCrypto(): QUICServerCrypto {
  const key = randomBytes(32);
  const sign = (secret: ArrayBuffer, data: ArrayBuffer): ArrayBuffer => {
    const mac = createHmac('sha256', Buffer.from(secret)).update(Buffer.from(data)).digest();
    return mac.buffer.slice(mac.byteOffset, mac.byteOffset + mac.byteLength);
  };
  return {
    key: key.buffer.slice(key.byteOffset, key.byteOffset + key.byteLength),
    ops: {
      sign: (secret, data) => Promise.resolve(sign(secret, data)),
      verify: (secret, data, signature) => {
        const expected = new Uint8Array(sign(secret, data));
        const given = new Uint8Array(signature);
        return Promise.resolve(
          expected.length === given.length && timingSafeEqual(expected, given),
        );
      },
    },
  };
}
