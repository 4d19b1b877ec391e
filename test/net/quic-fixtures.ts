import { randomBytes } from 'node:crypto';
import { after, afterEach } from 'node:test';
import { signingKeyFromSecret, type SigningKey } from '../../src/core/ed25519.js';
import { QuicTransport, type QuicTransportOptions } from '../../src/net/quic-transport.js';
import { isDecodeError } from '../../src/net/frame-codec.js';
import type { RequestHandler, SendOutcome } from '../../src/net/transport.js';
import { SendFaults } from '../support/dgram-sends.js';

/** Real-QUIC test helpers: transports on 127.0.0.1, closed by `closeAll`. */

export function newKey(): SigningKey {
  return signingKeyFromSecret(randomBytes(32));
}

export class Transports {
  private readonly open: QuicTransport[] = [];

  async start(options: Partial<QuicTransportOptions> = {}): Promise<QuicTransport> {
    const transport = await QuicTransport.create({
      bind: '127.0.0.1:0',
      key: newKey(),
      logLevel: 'error',
      ...options,
    });
    this.open.push(transport);
    return transport;
  }

  async closeAll(): Promise<void> {
    await Promise.all(this.open.splice(0).map((t) => t.close()));
  }
}

export function ask(
  from: QuicTransport,
  addr: string,
  frame: Uint8Array,
  timeoutMs = 5_000,
): Promise<SendOutcome> {
  return new Promise((resolve) => from.request(addr, frame, timeoutMs, resolve));
}

/** A frame `[u32 length][body]`; the transport does not look inside it. */
export function frameOf(...body: number[]): Uint8Array {
  const frame = new Uint8Array(4 + body.length);
  new DataView(frame.buffer).setUint32(0, body.length);
  frame.set(body, 4);
  return frame;
}

/** Echoes frames; answers a DecodeError with a one-byte frame holding its code. */
export const echo: RequestHandler = (input, _remote, reply) => {
  reply(isDecodeError(input) ? frameOf(0xee, input.code) : input);
};

export function answered(outcome: SendOutcome): Uint8Array {
  if (!outcome.ok) throw new Error(`request failed: ${outcome.failure}: ${outcome.message}`);
  return outcome.frame;
}

/**
 * A frame that starts like a canonical WireMessage (`{ v: 1, rid, ... }`, SPEC §3.3), so that
 * the transport can read its rid and pipeline it; the rest is opaque bytes.
 */
export function ridFrame(rid: number, ...body: number[]): Uint8Array {
  const head = [0x83, 0xa1, 0x76, 0x01, 0xa3, 0x72, 0x69, 0x64, 0xce];
  const frame = new Uint8Array(4 + head.length + 4 + body.length);
  const view = new DataView(frame.buffer);
  view.setUint32(0, frame.length - 4);
  frame.set(head, 4);
  view.setUint32(4 + head.length, rid);
  frame.set(body, 4 + head.length + 4);
  return frame;
}

/**
 * A test file's transports and dgram send faults: after each test the faults are cleared and
 * the transports closed; at the end dgram's own send is put back.
 */
export function transportsWithFaults(): { transports: Transports; faults: SendFaults } {
  const transports = new Transports();
  const faults = new SendFaults();
  afterEach(async () => {
    faults.clear();
    await transports.closeAll();
  });
  after(async () => {
    await transports.closeAll();
    faults.restore();
  });
  return { transports, faults };
}
