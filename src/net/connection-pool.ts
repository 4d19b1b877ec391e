import type { QUICClient } from '@matrixai/quic';
import type { RpcResult } from './rpc-stream.js';
import { StreamPool } from './stream-pool.js';
import type { RemotePeer, TransportFailure } from './transport.js';

/** One outgoing connection, bound to the certificate pk its peer presented. */
export interface PooledConnection {
  readonly addr: string;
  readonly remote: RemotePeer;
  readonly streams: StreamPool;
  lastUsedAtMs: number;
  /** Resolves once the connection is closed, by either side or by QUIC's idle timeout. */
  readonly closed: Promise<void>;
  /**
   * Runs one RPC on this connection; returns what to call when it timed out. If nothing at all
   * came from the peer meanwhile, the connection is dead and is dropped (see `rpc` below).
   */
  rpc(frame: Uint8Array, onResult: (result: RpcResult) => void): () => void;
}

export type DialResult =
  | { readonly ok: true; readonly client: QUICClient; readonly remote: RemotePeer }
  | { readonly ok: false; readonly failure: TransportFailure; readonly message: string };

type Failure = Extract<RpcResult, { ok: false }>;
type Waiter = (result: PooledConnection | Failure) => void;

/** A dial in progress and the requests waiting for it. */
interface Dial {
  readonly waiters: Waiter[];
  readonly startedAtMs: number;
}

interface Entry extends PooledConnection {
  readonly client: QUICClient;
  idleTimer: NodeJS.Timeout | null;
}

export interface ConnectionPoolOptions {
  readonly dial: (addr: string) => Promise<DialResult>;
  readonly idleTimeoutMs: number;
  readonly maxConnections: number;
  /** Connections held elsewhere (accepted ones) that count against maxConnections. */
  readonly otherConnections: () => number;
  readonly now: () => number;
}

/**
 * Outgoing connections per peer address (SPEC §3.1): reused, one dial shared by concurrent
 * first requests, closed after idleTimeoutMs without an RPC, capped at maxConnections by
 * closing the least recently used idle one (or refusing with 'overloaded').
 */
export class ConnectionPool {
  private readonly ready = new Map<string, Entry>();
  private readonly dialing = new Map<string, Dial>();
  private readonly closing = new Set<Promise<void>>();
  private closed = false;

  constructor(private readonly options: ConnectionPoolOptions) {}

  get size(): number {
    return this.ready.size + this.dialing.size;
  }

  /** The pooled connection to `addr`, dialling it if needed. */
  get(addr: string, onReady: Waiter): void {
    const entry = this.ready.get(addr);
    if (entry !== undefined) return onReady(entry);
    const pending = this.dialing.get(addr);
    if (pending !== undefined) {
      pending.waiters.push(onReady);
      return;
    }
    if (this.size + this.options.otherConnections() >= this.options.maxConnections) {
      if (!this.evictIdle()) {
        const message = `${this.options.maxConnections} connections, none idle`;
        return onReady({ ok: false, failure: 'overloaded', message });
      }
    }
    const dial = { waiters: [onReady], startedAtMs: this.options.now() };
    this.dialing.set(addr, dial);
    void this.dialAndSettle(addr, dial);
  }

  /**
   * A request waiting on the dial to `addr` timed out. A handshake that has gone on for a whole
   * RPC timeout is in QUIC's retransmission backoff (its Initials resent after 1 s, 2 s, 4 s, ...
   * up to the 10 s handshake timeout): a path that was blocked and is open again would not be
   * tried before the next resend. The dial is left to finish or fail on its own (its connection,
   * if any, is closed); the requests still waiting on it move to a fresh dial, and later ones
   * join that. A request that already timed out ignores what it is handed.
   */
  abandonDial(addr: string, olderThanMs: number): void {
    const dial = this.dialing.get(addr);
    if (dial === undefined || this.options.now() - dial.startedAtMs < olderThanMs) return;
    this.dialing.delete(addr);
    if (dial.waiters.length <= 1 || this.closed) return;
    const fresh = { waiters: dial.waiters, startedAtMs: this.options.now() };
    this.dialing.set(addr, fresh);
    void this.dialAndSettle(addr, fresh);
  }

  /** The entry of a ready connection, for tests and metrics. */
  peek(addr: string): PooledConnection | undefined {
    return this.ready.get(addr);
  }

  disconnect(addr: string): void {
    const entry = this.ready.get(addr);
    if (entry !== undefined) this.retire(entry, 'disconnected');
  }

  /** Closes the least recently used connection with no RPC running; false if none is idle. */
  evictIdle(): boolean {
    let oldest: Entry | null = null;
    for (const entry of this.ready.values()) {
      if (entry.streams.busy) continue;
      if (oldest === null || entry.lastUsedAtMs < oldest.lastUsedAtMs) oldest = entry;
    }
    if (oldest === null) return false;
    this.retire(oldest, 'evicted: connection limit');
    return true;
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const entry of [...this.ready.values()]) this.retire(entry, 'transport closed');
    for (const [addr, dial] of this.dialing) {
      this.dialing.delete(addr);
      for (const waiter of dial.waiters) waiter(closed('transport closed'));
    }
    while (this.closing.size > 0) await Promise.all([...this.closing]);
  }

  private async dialAndSettle(addr: string, dial: Dial): Promise<void> {
    const result = await this.options.dial(addr);
    // Abandoned (abandonDial, close): a newer dial to the same address may be in its place.
    const current = this.dialing.get(addr) === dial;
    if (current) this.dialing.delete(addr);
    if (!result.ok) {
      if (current) for (const waiter of dial.waiters) waiter(result);
      return;
    }
    if (this.closed || !current) {
      this.destroy(result.client);
      return;
    }
    const entry = this.admit(addr, result.client, result.remote);
    for (const waiter of dial.waiters) waiter(entry);
    this.armIdle(entry);
  }

  private admit(addr: string, client: QUICClient, remote: RemotePeer): Entry {
    const entry: Entry = {
      addr,
      remote,
      client,
      lastUsedAtMs: this.options.now(),
      idleTimer: null,
      closed: client.closedP,
      rpc: (frame, onResult) => {
        entry.lastUsedAtMs = this.options.now();
        const heardBefore = datagramsReceived(client);
        const cancel = entry.streams.call(frame, onResult);
        return () => {
          cancel();
          // A live peer acknowledges a request within a round trip, however slow its answer:
          // silence for a whole RPC timeout means the path or the peer's end of the connection
          // is gone (a peer that dropped it cannot tell us), and QUIC would only notice at its
          // idle timeout. Later requests dial afresh; the other RPCs on it were lost anyway.
          if (heardBefore !== null && datagramsReceived(client) === heardBefore) {
            this.retire(entry, 'nothing received from the peer for a whole RPC timeout');
          }
        };
      },
      streams: new StreamPool(
        client.connection,
        () => this.armIdle(entry),
        // No stream left to open: new requests dial a fresh connection, this one drains.
        () => {
          if (this.ready.get(addr) === entry) this.ready.delete(addr);
        },
      ),
    };
    this.ready.set(addr, entry);
    // Closed by the peer, by the QUIC idle timeout or by us: forget it.
    void client.closedP.then(() => {
      if (this.ready.get(addr) === entry) this.ready.delete(addr);
      this.disarmIdle(entry);
      entry.streams.close('connection closed');
    });
    return entry;
  }

  /**
   * The connection went idle. One timer per connection stays armed and, when it fires, looks
   * at the last use: re-arming it on every RPC cost a timer insertion and removal per request.
   */
  private armIdle(entry: Entry): void {
    entry.lastUsedAtMs = this.options.now();
    if (entry.idleTimer === null) this.idleCheckIn(entry, this.options.idleTimeoutMs);
  }

  private idleCheckIn(entry: Entry, delayMs: number): void {
    entry.idleTimer = setTimeout(() => {
      entry.idleTimer = null;
      if (entry.streams.busy) return; // the next idle transition arms it again
      const idleForMs = this.options.now() - entry.lastUsedAtMs;
      if (idleForMs >= this.options.idleTimeoutMs) this.retire(entry, 'idle');
      else this.idleCheckIn(entry, this.options.idleTimeoutMs - idleForMs);
    }, delayMs);
    entry.idleTimer.unref();
  }

  private disarmIdle(entry: Entry): void {
    if (entry.idleTimer !== null) clearTimeout(entry.idleTimer);
    entry.idleTimer = null;
  }

  private retire(entry: Entry, reason: string): void {
    if (this.ready.get(entry.addr) === entry) this.ready.delete(entry.addr);
    this.disarmIdle(entry);
    entry.streams.close(reason);
    this.destroy(entry.client);
  }

  private destroy(client: QUICClient): void {
    const done = client
      .destroy({ isApp: true, errorCode: 0, force: true })
      .catch(() => {})
      .finally(() => this.closing.delete(done));
    this.closing.add(done);
  }
}

/**
 * Datagrams the connection has taken in (a counter of this project's patch of the library,
 * docs/transport.md); null without the patch, and then no connection is judged dead by it.
 */
function datagramsReceived(client: QUICClient): number | null {
  const count = (client.connection as unknown as { datagramsReceived?: unknown }).datagramsReceived;
  return typeof count === 'number' ? count : null;
}

function closed(message: string): Failure {
  return { ok: false, failure: 'closed', message };
}
