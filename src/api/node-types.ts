import type { EventType, PointerData, StoredEvent } from '../events/event-types.js';
import type { LookupStep } from './lookup-steps.js';

/**
 * The public types of a running node (docs/api.md). This file imports nothing but types of
 * the event vocabulary, so the declarations the package ships stay self-contained.
 */

/** Where a node writes its lines: `console` fits, so does any { info, warn } pair. */
export interface Logger {
  info(line: string): void;
  warn(line: string): void;
}

/**
 * The options of `startNode`: every `tesd run` flag has a field (same names in camelCase,
 * same defaults) except the HTTP listeners, which are off unless asked for.
 */
export interface NodeOptions {
  /** Identity, admin token and event log; created if missing. Default `./tesd-data`. */
  readonly dataDir?: string;
  /** UDP `host:port` to listen and send from; port 0 picks a free port. Default `0.0.0.0:4433`. */
  readonly bind?: string;
  /** Peers to join through, `host:port` or `ID@host:port` (the ID is then checked). */
  readonly bootstrap?: readonly string[];
  /** The admin API: `true` for 127.0.0.1:4480, or an address (port 0: any). Default off. */
  readonly admin?: boolean | string;
  /** Prometheus `/metrics`: `true` for 127.0.0.1:9464, or an address. Default off. */
  readonly metrics?: boolean | string;
  /** Minimum proof of work accepted from peers, and made for a new identity. Default 8. */
  readonly difficulty?: number;
  /** Run without the DHT capability: never added to routing tables. */
  readonly client?: boolean;
  /**
   * Advertise the DHT capability at once. By default a node on a non-loopback address serves
   * the DHT only once a reachability check confirmed peers can dial it (docs/protocol.md).
   */
  readonly server?: boolean;
  /** Apply the per-/24 limits to loopback addresses too. */
  readonly strictIpDiversity?: boolean;
  /** Start on a broken log by keeping its valid prefix (the logger says what it drops). */
  readonly repair?: boolean;
  /** A JSON file of these settings (as `tesd run --config`); the fields above override it. */
  readonly config?: string;
  /** Where status lines and warnings go; default none. */
  readonly logger?: Logger | null;
  /**
   * Wait for the join (rejoin restored peers, else bootstrap) before resolving; default true.
   * With false, `startNode` resolves once the node serves; call `node.join()` to wait.
   */
  readonly join?: boolean;
  /** Aborts the start: the node is stopped again and the promise rejects with AbortError. */
  readonly signal?: AbortSignal;
}

/** Every operation that waits takes a signal; aborting rejects it with AbortError. */
export interface WaitOptions {
  readonly signal?: AbortSignal;
}

/** A holder of a tessera: `host:port`, `ID@host:port`, or an object. Without an ID it is pinged. */
export type HolderInput = string | { readonly id?: string; readonly addr: string };

export interface PublishOptions extends WaitOptions {
  /** Who holds the tessera (at most 16); default: this node. */
  readonly holders?: readonly HolderInput[];
}

export interface PublishResult {
  /** The pointer key, hex: BLAKE3(tessera)[0..20]. */
  readonly key: string;
  /** The version published: one more than this node's previous pointer for the tessera. */
  readonly seq: number;
  /** Unix seconds. */
  readonly expires: number;
  /** Nodes that acknowledged the store, this one included when it is among the closest. */
  readonly storedAt: number;
  /** The lookup that found the closest nodes (its events are in the log). */
  readonly lookupId: number;
}

export interface FindOptions extends WaitOptions {
  /** Run the lookup to the end instead of stopping at the first pointers. */
  readonly all?: boolean;
}

export interface FindResult {
  readonly key: string;
  /** Valid pointers, one per publisher (its highest seq), most recent first. */
  readonly pointers: readonly PointerData[];
  readonly lookupId: number;
  readonly hops: number;
  readonly rpcs: number;
  readonly durationMs: number;
  readonly reason: 'converged' | 'deadline' | 'found' | 'exhausted';
  /** The closest nodes the lookup found, closest first. */
  readonly closest: ReadonlyArray<{ readonly id: string; readonly addr: string }>;
}

export interface EventsOptions extends WaitOptions {
  /** Only these event types (docs/events.md); default all. */
  readonly types?: readonly EventType[];
  /** How far the reader may fall behind before EventsOverflowError; default 10,000. */
  readonly bufferSize?: number;
}

/** How the join went: the numbers of the bootstrap_finished event, and the table size. */
export interface JoinResult {
  readonly peers: number;
  readonly restored: number;
  readonly answered: number;
  readonly tableSize: number;
}

/** A recorded event: one row of the `events` table, `data` parsed (docs/events.md). */
export type NodeEvent = StoredEvent;

/** One routing-table entry: an element of GET /peers' `peers`. */
export interface PeerEntry {
  readonly id: string;
  readonly addr: string;
  /** Capability bits (1 DHT, 2 STORAGE, 4 RELAY, 8 REPLICATION). */
  readonly caps: number;
  readonly bucket: number;
  /** ISO time. */
  readonly last_seen_at: string;
  readonly failures: number;
}

/** The node's status: the object GET /status answers (snake_case, as the admin API). */
export interface NodeStatus {
  readonly id: string;
  readonly pk: string;
  readonly nonce: number;
  readonly addr: string;
  readonly caps: number;
  readonly client: boolean;
  /** The address peers can reach us at: what several distinct hosts observed (issue 15). */
  readonly advertised_addr: string;
  /** Whether unsolicited inbound connections reach us (docs/protocol.md, Reachability). */
  readonly reachability: {
    readonly status: 'unknown' | 'reachable' | 'unreachable';
    readonly mode: 'auto' | 'server' | 'client';
    /** ISO time of the last change. */
    readonly since: string;
    readonly reason: string;
    /** The best-supported observation of our address and how many hosts report it. */
    readonly observed: { readonly addr: string; readonly voters: number } | null;
    readonly agreed_addr: string | null;
    /** One line for an operator: serving the DHT, or a client and why. */
    readonly summary: string;
  };
  readonly version: string;
  readonly difficulty: number;
  /** ISO time. */
  readonly started_at: string;
  readonly uptime_s: number;
  readonly peers: number;
  readonly pointers: number;
  /** Pointers this node publishes (and republishes every 12 h). */
  readonly published: number;
  readonly restored: { readonly peers: number; readonly pointers: number };
  /** The last join, once it finished. */
  readonly bootstrap: {
    readonly peers: number;
    readonly restored: number;
    readonly answered: number;
    readonly table_size: number;
  } | null;
  /** The network size estimate (docs/debugging.md), null until the node has one. */
  readonly network_size: {
    readonly size: number;
    readonly method: 'counted' | 'distances';
    readonly samples: number;
    readonly peers: number;
  } | null;
  readonly journal: { readonly paused: boolean; readonly error: string | null };
  readonly events: { readonly last_seq: number };
  /** Admin and metrics addresses, '' when off. */
  readonly admin: string;
  readonly metrics: string;
}

/**
 * A running node (from `startNode`). Operations that wait return promises and take an
 * AbortSignal; streams are async iterables; every error is a TesdError with a `code`.
 */
export interface TesserasNode {
  /** Hex node ID (40 digits). */
  readonly id: string;
  /** Hex Ed25519 public key. */
  readonly pk: string;
  /** The UDP address actually bound, `host:port` (port 0 resolved). */
  readonly addr: string;
  /** The data directory, as an absolute path. */
  readonly dataDir: string;
  /** Where the admin API listens, or null when it is off. */
  readonly adminAddr: string | null;
  /** Where `/metrics` is served, or null when it is off. */
  readonly metricsAddr: string | null;
  /** What the node got back from its log at start: peers, pointers, and the last seq. */
  readonly restored: { readonly peers: number; readonly pointers: number; readonly seq: number };
  /** True once stop() was called. */
  readonly stopped: boolean;
  /**
   * Pings the peers restored from the log and bootstraps from `bootstrap` if too few answer
   * (startNode does this unless `join: false`). Rejects with BootstrapError when bootstrap
   * peers were given and nobody could be reached.
   */
  join(options?: WaitOptions): Promise<JoinResult>;
  /** Signs and stores a pointer to `tessera` (32 bytes, or 64 hex digits) at the k closest nodes. */
  publish(tessera: Uint8Array | string, options?: PublishOptions): Promise<PublishResult>;
  /** Finds the pointers of a key (20 bytes) or tessera (32 bytes), as bytes or hex. */
  find(keyOrTessera: Uint8Array | string, options?: FindOptions): Promise<FindResult>;
  /**
   * Runs an iterative node lookup of `target` (a 20-byte ID, bytes or hex) and yields its
   * steps live: `started`, one `step` per answer or failure, then `finished`. Breaking out
   * stops the reading, not the lookup (it is recorded to its end).
   */
  lookup(target: Uint8Array | string, options?: WaitOptions): AsyncIterableIterator<LookupStep>;
  /**
   * The events this node records from now on, live (for the history, openLog(dataDir).events()).
   * Ends when the node stops.
   */
  events(options?: EventsOptions): AsyncIterableIterator<NodeEvent>;
  /** The routing table, one entry per peer: GET /peers' `peers`. */
  peers(): PeerEntry[];
  /** The same object as GET /status. */
  status(): NodeStatus;
  /**
   * Stops gracefully, as SIGTERM does for `tesd run`: records node_stopped, writes a snapshot,
   * closes the transport, the log and the listeners, releases the data directory. Operations
   * still waiting reject with NodeStoppedError; live event streams end. Calling it again
   * returns the same promise. `reason` goes into the node_stopped event (default "stop").
   */
  stop(options?: { readonly reason?: string }): Promise<void>;
}

/** `checkNodeOptions`: the options as a node would run with them (defaults filled in). */
export interface CheckedNodeOptions {
  readonly bind: string;
  /** `host:port` or `ID@host:port`, canonical. */
  readonly bootstrap: readonly string[];
  /** Absolute path. */
  readonly dataDir: string;
  readonly admin: string | null;
  readonly metrics: string | null;
  readonly difficulty: number;
  readonly client: boolean;
  readonly strictIpDiversity: boolean;
  readonly repair: boolean;
}
