import type { DecodeError } from './frame-codec.js';

/**
 * The Transport port: how the engine exchanges frames with peers. Two adapters: QUIC
 * (`quic-transport.ts`) and the in-memory SimNetwork. Frames are whole SPEC §3.2 frames,
 * length prefix included; an RPC is one request frame answered by one response frame.
 */

/** Who is at the other end of a connection, as the transport observed it. */
export interface RemotePeer {
  /** The remote address as observed (canonical `host:port`), not as the peer claims it. */
  readonly addr: string;
  /** The Ed25519 pk of the peer's TLS certificate: the connection is bound to it (SPEC §3.1). */
  readonly certPk: Uint8Array;
}

export type TransportFailure = 'unreachable' | 'timeout' | 'closed' | 'overloaded' | 'protocol';

export type SendOutcome =
  | { readonly ok: true; readonly frame: Uint8Array; readonly remote: RemotePeer }
  | { readonly ok: false; readonly failure: TransportFailure; readonly message: string };

/**
 * Answers one request. `input` is a whole frame, or the DecodeError the transport's framing
 * hit (length over the limit, a stream that stalled or ended mid-frame), so that the engine
 * can answer it with an `err` carrying its own `from`. Call `reply` once with the response
 * frame, or with null to send nothing. After a DecodeError the transport closes the stream
 * once the reply is written.
 */
export type RequestHandler = (
  input: Uint8Array | DecodeError,
  remote: RemotePeer,
  reply: (frame: Uint8Array | null) => void,
) => void;

/**
 * What a request admission hook decides about a request frame it has not decoded:
 * `'admit'` hands it to the RequestHandler; a frame is written as its answer instead (the
 * caller builds it, typically an `err` with code 4, SPEC §3.4); `null` answers nothing.
 */
export type RequestAdmission = 'admit' | Uint8Array | null;

/**
 * Admission before work (SPEC §3.1, issue 11): consulted by the transport with the observed
 * remote address before it spends anything on a peer, so that a per-host limiter can refuse
 * cheaply. Both hooks are optional and must not throw; a throw admits (a bug in a limiter must
 * not take the node off the network).
 */
export interface AdmissionHook {
  /**
   * A peer's connection has completed its handshake (`remote.addr` as observed, `remote.certPk`
   * from its certificate). False closes it at once with QUIC application error code 4.
   */
  readonly connection?: (remote: RemotePeer) => boolean;
  /**
   * A whole request frame arrived from `remote`, before it is decoded or handed to the
   * RequestHandler. Framing errors (DecodeError) are not passed here: they go to the handler.
   */
  readonly request?: (frame: Uint8Array, remote: RemotePeer) => RequestAdmission;
  /**
   * Whether a connected peer is worth keeping when the node is full (it is in the routing
   * table): such connections are evicted last.
   */
  readonly valued?: (remote: RemotePeer) => boolean;
}

export interface Transport {
  /** The address this node listens on and sends from (one socket, SPEC §3.1). */
  readonly localAddr: string;
  listen(handler: RequestHandler): void;
  /**
   * Installs (or with null removes) the admission hook consulted before incoming connections
   * and request frames cost anything. Optional: an adapter without it admits everything.
   */
  setAdmission?(hook: AdmissionHook | null): void;
  /** Sends one request frame to `addr`; `done` is called exactly once. */
  request(
    addr: string,
    frame: Uint8Array,
    timeoutMs: number,
    done: (outcome: SendOutcome) => void,
  ): void;
  /** Drops the pooled connection to `addr` (e.g. it answered with the wrong identity). */
  disconnect(addr: string): void;
  close(): Promise<void>;
}
