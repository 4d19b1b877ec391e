import { randomBytes } from 'node:crypto';

/**
 * Hand-made QUIC packets for hostile tests and bench:hostile: an Initial whose payload is junk
 * (it needs no cryptography to send, only a well-formed long header) and the parts of a Retry.
 */

export const QUIC_V1 = 0x00000001;
export const INITIAL_DATAGRAM_BYTES = 1_200;

/** A long-header Initial with `token`, junk where the protected payload goes (RFC 9000 §17.2.2). */
export function junkInitial(
  dcid: Uint8Array,
  scid: Uint8Array,
  token: Uint8Array,
  datagramBytes = INITIAL_DATAGRAM_BYTES,
): Buffer {
  const head: number[] = [0xc3, 0, 0, 0, QUIC_V1, dcid.length, ...dcid, scid.length, ...scid];
  head.push(...varint(token.length), ...token);
  const rest = datagramBytes - head.length - 2;
  head.push(
    ...varint(rest)
      .slice(-2)
      .map((b, i) => (i === 0 ? b | 0x40 : b)),
  );
  return Buffer.concat([Buffer.from(head), randomBytes(rest)]);
}

function varint(n: number): number[] {
  if (n < 64) return [n];
  return [0x40 | (n >> 8), n & 0xff];
}

/** The token and the server's new connection ID from a Retry (RFC 9000 §17.2.5). */
export function parseRetry(packet: Buffer): { token: Buffer; scid: Buffer } | null {
  if ((packet[0]! & 0xf0) !== 0xf0) return null;
  let at = 5;
  const dcidLength = packet[at++]!;
  at += dcidLength;
  const scidLength = packet[at++]!;
  const scid = packet.subarray(at, at + scidLength);
  at += scidLength;
  return { scid, token: packet.subarray(at, packet.length - 16) };
}
