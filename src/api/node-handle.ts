import { fromHex, toHex } from '../core/bytes.js';
import { TesdError } from '../core/errors.js';
import type { Holder } from '../core/pointer.js';
import type { BootstrapResult } from '../dht/bootstrap.js';
import type { FindResult as EngineFindResult } from '../dht/find.js';
import type { PublishResult as EnginePublishResult } from '../dht/publish.js';
import { sendRpc } from '../dht/rpc-client.js';
import { pointerToData } from '../projections/pointer-data.js';
import { parseSeed } from '../cli/addresses.js';
import { peersView, statusView } from '../cli/node-views.js';
import { abortable } from './abortable.js';
import type { ComposedNode } from './compose-node.js';
import { asApiError, BootstrapError, NodeStoppedError, PublishError } from './errors.js';
import { EventFeed } from './event-feed.js';
import { parseEventTypes, parseKeyOrTessera, parseTarget, parseTessera } from './inputs.js';
import { LiveQueue } from './live-queue.js';
import type { LookupStep } from './lookup-steps.js';
import type {
  EventsOptions,
  FindOptions,
  FindResult,
  HolderInput,
  JoinResult,
  NodeEvent,
  NodeStatus,
  PeerEntry,
  PublishOptions,
  PublishResult,
  TesserasNode,
  WaitOptions,
} from './node-types.js';

/** Live readers may fall this many items behind before EventsOverflowError. */
const DEFAULT_BUFFER_ITEMS = 10_000;

/** The TesserasNode behind `startNode`: the engine's callbacks as promises and iterables. */
export class NodeHandle implements TesserasNode {
  /** Hex node ID (40 digits). */
  readonly id: string;
  /** Hex Ed25519 public key. */
  readonly pk: string;
  /** The UDP address actually bound, `host:port` (port 0 resolved). */
  readonly addr: string;
  readonly dataDir: string;
  /** Where the admin API listens, or null when it is off. */
  readonly adminAddr: string | null;
  /** Where `/metrics` is served, or null when it is off. */
  readonly metricsAddr: string | null;
  /** What the node got back from its log at start: peers, pointers, and the last seq. */
  readonly restored: { readonly peers: number; readonly pointers: number; readonly seq: number };
  private readonly feed = new EventFeed();
  private readonly pending = new Set<(error: Error) => void>();
  private readonly queues = new Set<LiveQueue<unknown>>();
  private stopping: Promise<void> | null = null;

  /** @internal Made by startNode. */
  constructor(
    private readonly composed: ComposedNode,
    dataDir: string,
    private readonly seeds: ReadonlyArray<{ addr: string; idHex?: string }>,
  ) {
    const { dht } = composed;
    this.id = dht.idHex;
    this.pk = toHex(dht.identity.pk);
    this.addr = dht.self.addr;
    this.dataDir = dataDir;
    this.adminAddr = composed.adminAddress;
    this.metricsAddr = composed.metricsAddress;
    this.restored = composed.restored;
    composed.events.onAppend((event) => this.feed.publish(event));
  }

  /** True once stop() was called. */
  get stopped(): boolean {
    return this.stopping !== null;
  }

  /**
   * Pings the peers restored from the log and bootstraps from `bootstrap` if too few answer
   * (startNode does this unless `join: false`). Rejects with BootstrapError when bootstrap
   * peers were given and nobody could be reached.
   */
  join(options: WaitOptions = {}): Promise<JoinResult> {
    return this.operation('join', options.signal, (resolve, reject) =>
      this.composed.dht.rejoin(this.seeds, (result: BootstrapResult) => {
        this.composed.info.bootstrap = {
          peers: result.peers,
          restored: result.restored,
          answered: result.answered,
          table_size: result.tableSize,
        };
        if (result.peers > 0 && result.answered === 0 && result.tableSize === 0) {
          const error = new BootstrapError(
            'bootstrap_failed',
            `none of the ${result.peers} bootstrap peers (${this.seeds.map((s) => s.addr).join(', ')}) ` +
              `answered${result.restored > 0 ? `, nor any of ${result.restored} restored peers` : ''}`,
          );
          error.result = { ...result };
          reject(error);
        } else resolve({ ...result });
      }),
    );
  }

  /** Signs and stores a pointer to `tessera` (32 bytes, or 64 hex digits) at the k closest nodes. */
  async publish(
    tessera: Uint8Array | string,
    options: PublishOptions = {},
  ): Promise<PublishResult> {
    try {
      this.checkRunning();
      const bytes = parseTessera(tessera);
      const holders = await this.resolveHolders(options.holders ?? [], options.signal);
      if (this.composed.dht.journalPaused)
        throw new PublishError(
          'journal_unavailable',
          'the event journal is paused: cannot publish now',
        );
      const result = await this.operation<EnginePublishResult>(
        'publish',
        options.signal,
        (resolve) => this.composed.dht.publish({ tessera: bytes, holders }, resolve),
      );
      if (!result.ok)
        throw new PublishError(
          result.error === 'journal unavailable' ? 'journal_unavailable' : 'publish_failed',
          `publish of key ${result.key} failed: ${result.error ?? 'no node stored it'}`,
        );
      return {
        key: result.key,
        seq: result.seq,
        expires: result.expires,
        storedAt: result.storedAt,
        lookupId: result.lookupId,
      };
    } catch (error) {
      throw asApiError(error);
    }
  }

  /** Finds the pointers of a key (20 bytes) or tessera (32 bytes), as bytes or hex. */
  async find(keyOrTessera: Uint8Array | string, options: FindOptions = {}): Promise<FindResult> {
    try {
      this.checkRunning();
      const key = parseKeyOrTessera(keyOrTessera);
      const result = await this.operation<EngineFindResult>('find', options.signal, (resolve) =>
        this.composed.dht.find(key, { all: options.all === true }, resolve),
      );
      const { lookup } = result;
      return {
        key: result.key,
        pointers: result.pointers.map(pointerToData),
        lookupId: lookup.id,
        hops: lookup.hops,
        rpcs: lookup.rpcs,
        durationMs: lookup.durationMs,
        reason: lookup.reason,
        closest: lookup.closest.map((p) => ({ id: p.identity.idHex, addr: p.addr })),
      };
    } catch (error) {
      throw asApiError(error);
    }
  }

  /**
   * Runs an iterative node lookup of `target` (a 20-byte ID, bytes or hex) and yields its
   * steps live: `started`, one `step` per answer or failure, then `finished`. Breaking out
   * stops the reading, not the lookup (it is recorded to its end).
   */
  lookup(
    target: Uint8Array | string,
    options: WaitOptions = {},
  ): AsyncIterableIterator<LookupStep> {
    const queue = this.queue<LookupStep>(
      'lookup',
      DEFAULT_BUFFER_ITEMS,
      options.signal,
      () => undefined,
    );
    try {
      this.checkRunning();
      // The engine's step values, as it records them (also while the journal is paused).
      const onStep = (step: LookupStep): void => {
        queue.push(step);
      };
      this.composed.dht.lookup({ target: parseTarget(target), kind: 'node', onStep }, () =>
        queue.end(),
      );
    } catch (error) {
      queue.fail(asApiError(error));
    }
    return queue;
  }

  /**
   * The events this node records from now on, live, as an async iterable (for the history,
   * openLog(dataDir).events()). Ends when the node stops.
   */
  events(options: EventsOptions = {}): AsyncIterableIterator<NodeEvent> {
    let unsubscribe = (): void => undefined;
    const size = options.bufferSize ?? DEFAULT_BUFFER_ITEMS;
    const queue = this.queue<NodeEvent>('events', size, options.signal, () => unsubscribe());
    try {
      this.checkRunning();
      if (!Number.isSafeInteger(size) || size < 1)
        throw new TesdError('bad_option', `bufferSize must be a positive integer, got ${size}`);
      const types = parseEventTypes(options.types);
      unsubscribe = this.feed.subscribe((event) => {
        if (types === null || types.has(event.type)) queue.push(event);
      });
    } catch (error) {
      queue.fail(asApiError(error));
    }
    return queue;
  }

  /** The routing table, one entry per peer: GET /peers' `peers`. */
  peers(): PeerEntry[] {
    const { peers }: { peers: PeerEntry[] } = peersView(this.composed.dht);
    return peers;
  }

  /** The node's status: the same object as GET /status. */
  status(): NodeStatus {
    const status: NodeStatus = statusView(this.composed.dht, this.composed.info);
    return status;
  }

  /**
   * Stops gracefully, as SIGTERM does for `tesd run`: records node_stopped, writes a snapshot,
   * closes the transport, the log and the listeners, releases the data directory. Operations
   * still waiting reject with NodeStoppedError; live event streams end. Calling it again
   * returns the same promise. `reason` goes into the node_stopped event (default "stop").
   */
  stop(options: { readonly reason?: string } = {}): Promise<void> {
    this.stopping ??= this.stopNow(options.reason ?? 'stop');
    return this.stopping;
  }

  private async stopNow(reason: string): Promise<void> {
    const stopped = new NodeStoppedError('the node was stopped while this operation waited');
    for (const reject of [...this.pending]) reject(stopped);
    for (const queue of [...this.queues]) queue.end();
    try {
      await this.composed.stop(reason);
    } catch (error) {
      throw asApiError(error);
    }
  }

  private checkRunning(): void {
    if (this.stopping !== null) throw new NodeStoppedError();
  }

  private operation<T>(
    what: string,
    signal: AbortSignal | undefined,
    run: (resolve: (value: T) => void, reject: (error: Error) => void) => void,
  ): Promise<T> {
    if (this.stopping !== null) return Promise.reject(new NodeStoppedError());
    let rejectPending: (error: Error) => void = () => undefined;
    const promise = abortable<T>(what, signal, (resolve, reject) => {
      rejectPending = reject;
      run(resolve, reject);
    });
    this.pending.add(rejectPending);
    const forget = (): void => void this.pending.delete(rejectPending);
    promise.then(forget, forget);
    return promise;
  }

  private queue<T>(
    what: string,
    size: number,
    signal: AbortSignal | undefined,
    onClose: () => void,
  ): LiveQueue<T> {
    const queue: LiveQueue<T> = new LiveQueue<T>(
      Math.max(1, size),
      signal,
      () => {
        this.queues.delete(queue as LiveQueue<unknown>);
        onClose();
      },
      what,
    );
    this.queues.add(queue as LiveQueue<unknown>);
    return queue;
  }

  private resolveHolders(inputs: readonly HolderInput[], signal?: AbortSignal): Promise<Holder[]> {
    if (!Array.isArray(inputs))
      throw new TesdError(
        'bad_holder',
        'holders must be an array of host:port, ID@host:port or { id, addr }',
      );
    return Promise.all(inputs.map((input: HolderInput) => this.resolveHolder(input, signal)));
  }

  /** A holder given without its ID is asked for it (a ping, which checks its identity). */
  private resolveHolder(input: HolderInput, signal?: AbortSignal): Promise<Holder> {
    const text =
      typeof input === 'string'
        ? input
        : typeof input === 'object' && input !== null && typeof input.addr === 'string'
          ? input.id === undefined
            ? input.addr
            : `${input.id}@${input.addr}`
          : null;
    if (text === null)
      throw new TesdError(
        'bad_holder',
        `holder ${JSON.stringify(input)}: expected host:port, ID@host:port or { id, addr }`,
      );
    const seed = parseSeed(text, 'holder');
    if (seed.idHex !== undefined)
      return Promise.resolve({ id: fromHex(seed.idHex)!, addr: seed.addr });
    const { dht } = this.composed;
    return this.operation('holder ping', signal, (resolve, reject) =>
      sendRpc(dht, { identity: null, addr: seed.addr }, { op: 'ping' }, null, (result) => {
        if (result.ok) resolve({ id: result.peer.identity.id, addr: seed.addr });
        else
          reject(
            new TesdError(
              'bad_holder',
              `holder ${seed.addr} did not answer a ping: ${result.error}`,
            ),
          );
      }),
    );
  }
}
