import { QUICServer, QUICSocket, events } from '@matrixai/quic';
import type { QUICConnection, QUICStream } from '@matrixai/quic';
import type Logger from '@matrixai/logger';
import {
  formatAddress,
  isLoopback,
  normalizeHost,
  parseAddress,
  sourceHost,
} from '../core/address.js';
import type { Timers } from '../core/clock.js';
import type { SigningKey } from '../core/ed25519.js';
import { TesdError } from '../core/errors.js';
import { certificatePublicKey, createCertificate } from './certificate.js';
import { dialPeer, hostPort } from './quic-dial.js';
import { ConnectionPool, type DialResult, type PooledConnection } from './connection-pool.js';
import { chooseEviction, type HeldConnection } from './connection-policy.js';
import { LENGTH_PREFIX_BYTES, MAX_FRAME_BYTES } from './frame-codec.js';
import { quicConfig, quicLogger, serverCrypto, type QuicLogLevel } from './quic-options.js';
import { warnIfQuicUnpatched } from './quic-patch-check.js';
import { describe } from './rpc-stream.js';
import { realTimers } from './real-timers.js';
import { serveStream, type StreamServing } from './stream-server.js';
import { HostPacer } from './stream-pacer.js';
import { StallSweeper } from './stream-stall.js';
import { TeardownQueue } from './stream-teardown.js';
import type {
  AdmissionHook,
  RemotePeer,
  RequestHandler,
  SendOutcome,
  Transport,
} from './transport.js';

export interface QuicTransportOptions {
  /** `host:port` to bind the one UDP socket to; port 0 picks a free port. */
  readonly bind: string;
  readonly key: SigningKey;
  readonly idleTimeoutMs?: number;
  readonly handshakeTimeoutMs?: number;
  readonly maxConnections?: number;
  /** Accepted connections one source host may hold (loopback exempt); SPEC §3.1. */
  readonly maxConnectionsPerHost?: number;
  /** A connection this young is a newcomer: never evicted to make room. */
  readonly newcomerGraceMs?: number;
  /** Loopback hosts escape the per-host ceiling (default true; false under --strict-ip-diversity). */
  readonly loopbackExempt?: boolean;
  readonly stallTimeoutMs?: number;
  /**
   * Request frames read per source host and second before that host's streams wait for the
   * next second (loopback exempt like the connection ceiling). Default: twice the engine's
   * default request quota, so the engine still answers error 4 just past the quota.
   */
  readonly readFramesPerHostPerSecond?: number;
  readonly logLevel?: QuicLogLevel;
}

// Defaults of SPEC §3.1 and §3.2.
const DEFAULT_IDLE_TIMEOUT_MS = 30_000;
const DEFAULT_HANDSHAKE_TIMEOUT_MS = 10_000;
const DEFAULT_MAX_CONNECTIONS = 512;
const DEFAULT_STALL_TIMEOUT_MS = 10_000;
/** A host behind a NAT may run a few nodes; one holding more is hoarding. */
const DEFAULT_MAX_CONNECTIONS_PER_HOST = 16;
const DEFAULT_NEWCOMER_GRACE_MS = 10_000;
/** Twice the engine's default quota of 200 requests per host and second (SPEC §3.1). */
const DEFAULT_READ_FRAMES_PER_HOST_PER_SECOND = 400;
/** A connection that carried a request this recently is in use, not idle. */
const IDLE_AFTER_MS = 1_000;

interface Incoming extends HeldConnection {
  readonly connection: QUICConnection;
  readonly remote: RemotePeer | null;
  readonly loopback: boolean;
}

interface ConnectionLimits {
  readonly max: number;
  readonly perHost: number;
  readonly newcomerGraceMs: number;
  readonly loopbackExempt: boolean;
}
/**
 * QUIC's own idle timeout sits this far past ours, so that the pool closes an idle
 * connection cleanly first and QUIC's silent timeout only catches peers that vanished.
 */
const QUIC_IDLE_GRACE_MS = 5_000;
/** Parsed certificate pks of accepted connections, by certificate bytes; bounded. */
const CERT_CACHE_ENTRIES = 1_024;

/**
 * The QUIC adapter of the Transport port (SPEC §3.1): one UDP socket shared by the server and
 * the outgoing connections, mutual TLS with the nodes' Ed25519 certificates, pooled
 * connections and reused streams. Operating errors come back as values through `done`; no
 * peer behaviour makes it throw.
 */
export class QuicTransport implements Transport {
  private handler: RequestHandler | null = null;
  private admission: AdmissionHook | null = null;
  private readonly admitted = new WeakMap<QUICConnection, boolean>();
  private readonly incoming = new Map<QUICConnection, Incoming>();
  private readonly perHost = new Map<string, number>();
  private readonly certCache = new Map<string, Uint8Array | null>();
  private readonly pool: ConnectionPool;
  private readonly stalls: StallSweeper;
  private readonly pacer: HostPacer;
  private readonly teardown = new TeardownQueue();
  private closed = false;
  private closing: Promise<void> | null = null;

  private constructor(
    readonly localAddr: string,
    private readonly socket: QUICSocket,
    private readonly server: QUICServer,
    private readonly clientConfig: ReturnType<typeof quicConfig>,
    private readonly logger: Logger,
    private readonly handshakeTimeoutMs: number,
    private readonly stallTimeoutMs: number,
    idleTimeoutMs: number,
    private readonly limits: ConnectionLimits,
    readFramesPerHostPerSecond: number,
  ) {
    const maxConnections = limits.max;
    // Monotonic: a wall clock stepped back must not stall the sweep or the read budget.
    const timers: Timers = {
      now: () => performance.now(),
      setTimer: (delayMs, callback) => realTimers.setTimer(delayMs, callback),
    };
    this.stalls = new StallSweeper({ stallTimeoutMs, timers });
    this.pacer = new HostPacer(readFramesPerHostPerSecond, timers);
    this.pool = new ConnectionPool({
      dial: (addr) => this.dial(addr),
      idleTimeoutMs,
      maxConnections,
      otherConnections: () => this.incoming.size,
      now: () => performance.now(),
    });
    server.addEventListener(events.EventQUICServerConnection.name, (evt: Event) =>
      this.onConnection((evt as events.EventQUICServerConnection).detail),
    );
    // Stream events of accepted connections are re-dispatched on the server, from the very
    // first stream (which can arrive before the connection event).
    server.addEventListener(events.EventQUICConnectionStream.name, (evt: Event) =>
      this.onStream((evt as events.EventQUICConnectionStream).detail),
    );
  }

  static async create(options: QuicTransportOptions): Promise<QuicTransport> {
    warnIfQuicUnpatched();
    const { host, port } = parseBind(options.bind);
    const idleTimeoutMs = options.idleTimeoutMs ?? DEFAULT_IDLE_TIMEOUT_MS;
    const quicIdleMs = idleTimeoutMs + Math.min(QUIC_IDLE_GRACE_MS, idleTimeoutMs);
    // The library refuses a handshake timer longer than the QUIC idle timeout.
    const handshakeTimeoutMs = Math.min(
      options.handshakeTimeoutMs ?? DEFAULT_HANDSHAKE_TIMEOUT_MS,
      quicIdleMs,
    );
    const logger = quicLogger(options.logLevel ?? 'warn');
    const credentials = await createCertificate(options.key);
    const config = quicConfig(credentials, quicIdleMs);
    const socket = new QUICSocket({ logger: logger.getChild('socket') });
    try {
      await socket.start({ host, port });
    } catch (error) {
      throw new TesdError('bind_failed', `cannot bind ${options.bind}: ${describe(error)}`);
    }
    enlargeReceiveBuffer(socket);
    const server = new QUICServer({
      crypto: serverCrypto(),
      config,
      socket,
      minIdleTimeout: handshakeTimeoutMs,
      logger: logger.getChild('server'),
    });
    await server.start();
    const localAddr = formatAddress(normalizeHost(socket.host) ?? socket.host, socket.port);
    return new QuicTransport(
      localAddr,
      socket,
      server,
      config,
      logger,
      handshakeTimeoutMs,
      options.stallTimeoutMs ?? DEFAULT_STALL_TIMEOUT_MS,
      idleTimeoutMs,
      {
        max: options.maxConnections ?? DEFAULT_MAX_CONNECTIONS,
        perHost: options.maxConnectionsPerHost ?? DEFAULT_MAX_CONNECTIONS_PER_HOST,
        newcomerGraceMs: options.newcomerGraceMs ?? DEFAULT_NEWCOMER_GRACE_MS,
        loopbackExempt: options.loopbackExempt ?? true,
      },
      options.readFramesPerHostPerSecond ?? DEFAULT_READ_FRAMES_PER_HOST_PER_SECOND,
    );
  }

  listen(handler: RequestHandler): void {
    this.handler = handler;
  }

  setAdmission(hook: AdmissionHook | null): void {
    this.admission = hook;
  }

  request(
    addr: string,
    frame: Uint8Array,
    timeoutMs: number,
    done: (outcome: SendOutcome) => void,
  ): void {
    const refusal = this.closed ? failed('closed', 'transport closed') : checkRequest(addr, frame);
    if (typeof refusal !== 'string') return done(refusal);
    const key = refusal;
    let settled = false;
    let timedOut: (() => void) | null = null;
    const finish = (outcome: SendOutcome): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      done(outcome);
    };
    const timer = setTimeout(() => {
      finish(failed('timeout', `request to ${key} timed out after ${timeoutMs} ms`));
      if (timedOut !== null) timedOut();
      else this.pool.abandonDial(key, timeoutMs);
    }, timeoutMs);
    this.pool.get(key, (connection) => {
      if (settled) return;
      if (!('remote' in connection)) return finish(connection);
      const { remote } = connection;
      timedOut = connection.rpc(frame, (result) =>
        finish(result.ok ? { ok: true, frame: result.frame, remote } : result),
      );
    });
  }

  disconnect(addr: string): void {
    const parsed = parseAddress(addr);
    if (parsed !== null) this.pool.disconnect(formatAddress(parsed.host, parsed.port));
  }

  /** The pooled outgoing connection to `addr`, if one is up (tests and diagnostics). */
  connectionTo(addr: string): PooledConnection | undefined {
    return this.pool.peek(addr);
  }

  /** Connection counts (tests and metrics). */
  stats(): { outgoing: number; incoming: number } {
    return { outgoing: this.pool.size, incoming: this.incoming.size };
  }

  /** Stops the server, closes every connection and the socket; safe to call twice. */
  close(): Promise<void> {
    this.closing ??= this.shutdown();
    return this.closing;
  }

  private async shutdown(): Promise<void> {
    this.closed = true;
    this.stalls.stop();
    this.pacer.stop();
    await this.pool.close();
    await this.server.stop({ isApp: true, errorCode: 0, force: true }).catch((error: unknown) => {
      this.logger.warn(`server stop: ${describe(error)}`);
    });
    await this.socket.stop({ force: true }).catch((error: unknown) => {
      this.logger.warn(`socket stop: ${describe(error)}`);
    });
  }

  private dial(addr: string): Promise<DialResult> {
    if (this.closed) return Promise.resolve(failed('closed', 'transport closed'));
    return dialPeer(addr, {
      socket: this.socket,
      config: this.clientConfig,
      logger: this.logger.getChild('client'),
      handshakeTimeoutMs: this.handshakeTimeoutMs,
    });
  }

  private onConnection(connection: QUICConnection): void {
    if (!this.admitConnection(connection)) return;
    const meta = connection.meta();
    const host = normalizeHost(meta.remoteHost) ?? meta.remoteHost;
    const nowMs = performance.now();
    const held: Incoming = {
      connection,
      remote: this.remoteOf(meta),
      host: sourceHost(host),
      loopback: this.limits.loopbackExempt && isLoopback(host),
      acceptedAtMs: nowMs,
      lastActiveMs: nowMs,
    };
    if (!held.loopback && (this.perHost.get(held.host) ?? 0) >= this.limits.perHost) {
      // That host holds its share: one of its idle connections makes room, or it is refused.
      const own = [...this.incoming.values()].filter((c) => c.host === held.host);
      if (!this.evict(own)) return this.refuse(connection);
    }
    if (this.incoming.size + this.pool.size >= this.limits.max) {
      // Full: the least valuable connection goes, never a newcomer or a busy one.
      if (!this.evict(this.incoming.values()) && !this.pool.evictIdle()) {
        return this.refuse(connection);
      }
    }
    this.incoming.set(connection, held);
    this.perHost.set(held.host, (this.perHost.get(held.host) ?? 0) + 1);
    void connection.closedP.then(() => this.forget(held));
  }

  private evict(candidates: Iterable<Incoming>): boolean {
    const valued = this.admission?.valued;
    const victim = chooseEviction(candidates, {
      nowMs: performance.now(),
      newcomerGraceMs: this.limits.newcomerGraceMs,
      idleAfterMs: IDLE_AFTER_MS,
      perHost: this.perHost,
      valued: (c) =>
        valued !== undefined &&
        (c as Incoming).remote !== null &&
        consult(() => valued((c as Incoming).remote!), false),
    });
    if (victim === null) return false;
    this.forget(victim);
    victim.connection.stop({ isApp: true, errorCode: 4, force: true }).catch(() => {});
    return true;
  }

  private forget(held: Incoming): void {
    if (this.incoming.get(held.connection) !== held) return;
    this.incoming.delete(held.connection);
    const left = (this.perHost.get(held.host) ?? 1) - 1;
    if (left > 0) this.perHost.set(held.host, left);
    else this.perHost.delete(held.host);
  }

  private refuse(connection: QUICConnection): void {
    connection.stop({ isApp: true, errorCode: 4, force: true }).catch(() => {});
  }

  /**
   * Consults the connection admission hook once per accepted connection, on whichever comes
   * first: its connection event or its first stream (which can arrive before it).
   */
  private admitConnection(connection: QUICConnection): boolean {
    const known = this.admitted.get(connection);
    if (known !== undefined) return known;
    const admit = this.admission?.connection;
    const remote = admit === undefined ? null : this.remoteOf(connection.meta());
    const admitted = admit === undefined || remote === null || consult(() => admit(remote), true);
    this.admitted.set(connection, admitted);
    if (!admitted) connection.stop({ isApp: true, errorCode: 4, force: true }).catch(() => {});
    return admitted;
  }

  private onStream(stream: QUICStream): void {
    const handler = this.handler;
    const remote = handler === null ? null : this.remotePeer(stream);
    const connection = (stream as unknown as { connection: QUICConnection }).connection;
    if (handler === null || remote === null || this.closed || !this.admitConnection(connection)) {
      try {
        stream.cancel(new Error('not serving'));
      } catch {
        // Its connection is already gone.
      }
      return;
    }
    // The handler and the admission hook are looked up per frame, so that listen() and
    // setAdmission() apply to open streams too.
    const current: RequestHandler = (input, peer, reply) => {
      if (this.handler === null) return reply(null);
      const held = this.incoming.get(connection);
      if (held !== undefined) held.lastActiveMs = performance.now();
      const admit = this.admission?.request;
      if (admit !== undefined && input instanceof Uint8Array) {
        const decision = consult(() => admit(input, peer), 'admit' as const);
        if (decision !== 'admit') return reply(decision);
      }
      this.handler(input, peer, reply);
    };
    serveStream(stream, remote, current, this.serving(stream.meta.remoteHost));
  }

  private serving(remoteHost: string): StreamServing {
    const host = normalizeHost(remoteHost) ?? remoteHost;
    const exempt = this.limits.loopbackExempt && isLoopback(host);
    return {
      stalls: this.stalls,
      stallTimeoutMs: this.stallTimeoutMs,
      pacer: exempt ? null : this.pacer,
      host: sourceHost(host),
      logger: this.logger,
      teardown: this.teardown,
    };
  }

  private remotePeer(stream: QUICStream): RemotePeer | null {
    return this.remoteOf(stream.meta);
  }

  private remoteOf(meta: QUICStream['meta']): RemotePeer | null {
    const der = meta.remoteCertsChain[0];
    if (der === undefined) return null;
    const cacheKey = Buffer.from(der).toString('base64');
    let certPk = this.certCache.get(cacheKey);
    if (certPk === undefined) {
      certPk = certificatePublicKey(der);
      if (this.certCache.size >= CERT_CACHE_ENTRIES) this.certCache.clear();
      this.certCache.set(cacheKey, certPk);
    }
    if (certPk === null) return null;
    return { addr: hostPort(meta.remoteHost, meta.remotePort), certPk };
  }
}

/**
 * A burst of datagrams (a flood of junk Initials, a busy turn) waits in the kernel's receive
 * buffer; at the default ~200 KB the kernel drops honest handshakes behind ~150 junk ones, and
 * a dropped Initial costs its sender a 1 s retransmission. Linux caps the size at rmem_max.
 */
const RECEIVE_BUFFER_BYTES = 4 * 1024 * 1024;

function enlargeReceiveBuffer(socket: QUICSocket): void {
  try {
    (
      socket as unknown as { socket: { setRecvBufferSize(bytes: number): void } }
    ).socket.setRecvBufferSize(RECEIVE_BUFFER_BYTES);
  } catch {
    // Not supported here: the default buffer still works, only bursts lose more.
  }
}

/** Runs an admission hook; one that throws is a bug in it, and admits (`fallback`). */
function consult<T>(hook: () => T, fallback: T): T {
  try {
    return hook();
  } catch {
    return fallback;
  }
}

/** `host:port` to bind; unlike a peer address, port 0 (any free port) is allowed. */
function parseBind(text: string): { host: string; port: number } {
  const anyPort = text.endsWith(':0');
  const parsed = parseAddress(anyPort ? `${text.slice(0, -2)}:1` : text);
  if (parsed === null) throw new TesdError('bad_address', `invalid bind address ${text}`);
  return { host: parsed.host, port: anyPort ? 0 : parsed.port };
}

/** The canonical address to dial, or why the request cannot be sent at all. */
function checkRequest(addr: string, frame: Uint8Array): string | SendFailure {
  if (frame.length > LENGTH_PREFIX_BYTES + MAX_FRAME_BYTES) {
    return failed('protocol', `request frame of ${frame.length} bytes is too large`);
  }
  return canonicalAddress(addr) ?? failed('unreachable', `invalid address ${addr}`);
}

/** Canonical `host:port` of the addresses requested lately; parsing one per RPC showed up. */
const canonical = new Map<string, string | null>();
const CANONICAL_ENTRIES = 4_096;

function canonicalAddress(addr: string): string | null {
  let key = canonical.get(addr);
  if (key === undefined) {
    const parsed = parseAddress(addr);
    key = parsed === null ? null : formatAddress(parsed.host, parsed.port);
    if (canonical.size >= CANONICAL_ENTRIES) canonical.clear();
    canonical.set(addr, key);
  }
  return key;
}

type SendFailure = Extract<SendOutcome, { ok: false }>;

function failed(failure: SendFailure['failure'], message: string): SendFailure {
  return { ok: false, failure, message };
}
