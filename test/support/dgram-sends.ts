import dgram from 'node:dgram';

/**
 * Datagrams from one local port to one remote port vanish or fail, as behind a firewall that
 * drops or a socket whose sendto(2) fails. The QUIC library reaches the network through the
 * dgram socket it shares between server and clients, so its `send` is where faults go in.
 * Install once per test file; `restore()` in its `after`.
 */

/** What happens to a datagram on a route: it vanishes, or its send fails with this errno code. */
export type SendFault = { readonly drop: true } | { readonly errno: string };

type Send = (this: dgram.Socket, ...args: unknown[]) => void;

/** Anything bound to a local UDP address (a QuicTransport). */
export interface Bound {
  readonly localAddr: string;
}

export function portOf(bound: Bound): number {
  return Number(bound.localAddr.split(':').pop());
}

export class SendFaults {
  private readonly faults = new Map<string, SendFault>();
  private readonly sockets = dgram.Socket.prototype as unknown as { send: Send };
  private readonly realSend: Send;

  constructor() {
    const { faults, sockets } = this;
    const realSend = (this.realSend = sockets.send);
    sockets.send = function send(this: dgram.Socket, ...args: unknown[]) {
      // send(msg, port, address, cb) or send(msg, offset, length, port, address, cb).
      const port = typeof args[1] === 'number' && typeof args[2] === 'string' ? args[1] : args[3];
      const callback = args.findLast((arg) => typeof arg === 'function') as
        ((error: Error | null) => void) | undefined;
      const fault = faults.get(`${this.address().port}>${String(port)}`);
      if (fault === undefined) return realSend.apply(this, args);
      if ('drop' in fault) {
        if (callback !== undefined) process.nextTick(callback, null);
        return;
      }
      // A send without a callback has nobody to tell of its failure: it goes out.
      if (callback === undefined) return realSend.apply(this, args);
      const { errno: code } = fault;
      const error = Object.assign(new Error(`send ${code}`), { code, errno: -1, syscall: 'send' });
      process.nextTick(callback, error);
    };
  }

  /** Datagrams from `from` to `to` vanish. */
  drop(from: Bound, to: Bound): void {
    this.faults.set(`${portOf(from)}>${portOf(to)}`, { drop: true });
  }

  /** Sends from `from` to `to` fail with `errno` (EPERM, ENOBUFS...). */
  refuse(from: Bound, to: Bound, errno: string): void {
    this.faults.set(`${portOf(from)}>${portOf(to)}`, { errno });
  }

  clear(): void {
    this.faults.clear();
  }

  /** Puts dgram's own send back. */
  restore(): void {
    this.faults.clear();
    this.sockets.send = this.realSend;
  }
}
