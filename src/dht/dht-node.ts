import type { Clock, Timers } from '../core/clock.js';
import { JournalRecorder } from './journal-recorder.js';
import { OwnedTimers } from './owned-timers.js';
import type { SigningKey } from '../core/ed25519.js';
import { IdentityCache, type NodeIdentity } from '../core/identity.js';
import type { PeerInfo } from '../core/node-info.js';
import type { Random } from '../core/random.js';
import type { EventStore } from '../events/event-store.js';
import type { EventDataMap, EventType, StoredEvent } from '../events/event-types.js';
import type { Body, ReachabilityRequest, WireNodeInfo } from '../net/messages.js';
import type { RemotePeer, Transport } from '../net/transport.js';
import { emptyNodeState, type NodeState } from '../projections/node-state.js';
import { sharedInterner } from '../projections/peer-identity.js';
import type { DhtConfig } from './config.js';
import { RateLimiter } from './rate-limiter.js';
import { RejectionReports } from './rejection-reports.js';
import { RttEstimator } from './rtt-estimator.js';
import { admitted } from './admission.js';
import { bootstrap, rejoin, type BootstrapResult, type Seed } from './bootstrap.js';
import { find, type FindResult } from './find.js';
import { lookup, type LookupRequest, type LookupResult } from './iterative-lookup.js';
import type { LookupStep } from './lookup-steps.js';
import { startMaintenance, sweepExpired } from './maintenance.js';
import { publish, type PublishRequest, type PublishResult } from './publish.js';
import type { Decision, DecisionContext, EventRefs, NodeDriver } from './node-context.js';
import { handleIncoming } from './request-handler.js';
import { sendRpc } from './rpc-client.js';
import { peerToWire } from './wire-peers.js';
import { toHex } from '../core/bytes.js';
import { DialLimiter } from './dial-limiter.js';
import {
  advertisedCaps,
  checkReachability,
  noteObserved,
  startReachabilityChecks,
} from './reachability.js';
import { Reachability } from './reachability-state.js';
import { answerReachability, DIAL_BACK_LIMITS, DIAL_LIMITS } from './reachability-requests.js';

export type { EventRefs };

export interface DhtNodeOptions {
  readonly key: SigningKey;
  readonly identity: NodeIdentity;
  readonly transport: Transport;
  readonly timers: Timers;
  readonly random: Random;
  readonly store: EventStore;
  readonly config: DhtConfig;
  /** State restored from the log; a fresh node starts empty. */
  readonly state?: NodeState;
  /** Shared across simulated nodes: verified identities are pure facts. */
  readonly identities?: IdentityCache;
  /** Told when the journal pauses or resumes, and other things an operator should see. */
  readonly warn?: (message: string) => void;
}

/**
 * The driver: owns the ports (Transport, timers, store) and the state folded from the log.
 * The decisions beside it (handlers/, routing-decisions, pointer-decisions, lookup-machine)
 * read the state and return values; the driver records their events, which folds them into
 * the state, and only then sends their messages (decide, record, apply: SPEC §5). Its public
 * methods are the node's facade: start, stop, lookup, bootstrap, rejoin, publish, find.
 */
export class DhtNode implements NodeDriver {
  readonly key: SigningKey;
  readonly identity: NodeIdentity;
  readonly transport: Transport;
  readonly timers: Timers;
  readonly random: Random;
  readonly store: EventStore;
  readonly config: DhtConfig;
  readonly identities: IdentityCache;
  readonly state: NodeState;
  /** Ourselves as peers see us; the caps change with reachability (setCaps). */
  self: PeerInfo;
  selfWire: WireNodeInfo;
  /** Reachability checks and the advertised address by agreement (issue 15). */
  readonly reach: Reachability;
  /** Bounds the dials others make us do (`dial`) and forward (`dial_back`). */
  readonly dialLimiter = new DialLimiter(DIAL_LIMITS);
  readonly dialBackLimiter = new DialLimiter(DIAL_BACK_LIMITS);
  /** Refusals, counted and then recorded a window later as peer_rejected. */
  private readonly rejections: RejectionReports;
  readonly requestLimiter: RateLimiter;
  /** Round trips of our RPCs: the lookups' soft timeout (SPEC §4.3). */
  readonly rtt = new RttEstimator();
  readonly warn: (message: string) => void;
  /** Head pings in flight, so a burst of newcomers pings a full bucket's head once. */
  readonly pingingHeads = new Set<string>();
  /** Expiry waits until the clock has passed the log's last event (a board without a clock). */
  clockTrustedFromMs = 0;
  /** Set when the stop begins (beginStop): failures are then ours, not the peers'. */
  stopping = false;
  private nextRid: number;
  /** Appends and folds every event; pauses while the journal refuses. */
  private readonly recorder: JournalRecorder;
  /** What stop() cancels. */
  private readonly owned: OwnedTimers;

  constructor(options: DhtNodeOptions) {
    this.key = options.key;
    this.identity = options.identity;
    this.transport = options.transport;
    this.timers = options.timers;
    this.random = options.random;
    this.store = options.store;
    this.config = options.config;
    this.identities = options.identities ?? new IdentityCache();
    this.identities.remember(options.identity);
    sharedInterner.share(options.identity);
    this.state = options.state ?? emptyNodeState(options.identity.id, options.identity.idHex);
    this.reach = new Reachability(
      options.config.reachabilityMode,
      options.config.minAddressVoters,
      options.timers.now(),
    );
    this.self = { identity: options.identity, addr: options.transport.localAddr, caps: 0 };
    this.selfWire = peerToWire(this.self);
    this.setCaps(advertisedCaps(this));
    this.rejections = new RejectionReports(
      options.timers,
      options.config.rejectionWindowMs,
      ({ addr, reason, count }) => this.record('peer_rejected', { addr, reason, count }),
    );
    this.requestLimiter = new RateLimiter(options.config.requestsPerSecondPerSource);
    this.warn = options.warn ?? (() => undefined);
    this.nextRid = options.random.u32();
    this.recorder = new JournalRecorder(options.store, this.state, options.timers, this.warn);
    this.owned = new OwnedTimers(options.timers);
  }

  /**
   * Starts serving: records node_started, expires pointers whose time passed while the node
   * was down, then answers requests. The state must already be restored from the log.
   */
  start(options: { maintenance?: boolean } = {}): void {
    const now = this.timers.now();
    if (now < this.state.lastEventAtMs) {
      this.clockTrustedFromMs = this.state.lastEventAtMs;
      this.warn(
        `the clock (${new Date(now).toISOString()}) is behind the last recorded event ` +
          `(${new Date(this.state.lastEventAtMs).toISOString()}): nothing expires until it passes it`,
      );
    }
    const { identity } = this;
    this.record('node_started', {
      id: identity.idHex,
      pk: toHex(identity.pk),
      nonce: identity.nonce,
      addr: this.self.addr,
      version: this.config.version,
      difficulty: this.config.difficulty,
    });
    sweepExpired(this);
    const admit = (addr: string): boolean =>
      admitted(this.requestLimiter, this.config, addr, this.timers.now());
    this.transport.listen((input, remote, reply) =>
      handleIncoming(this, admit, input, remote, reply),
    );
    if (options.maintenance !== false) startMaintenance(this);
    if (this.config.reachabilityChecks) startReachabilityChecks(this);
  }

  /** What we advertise in every `from`: the DHT bit follows reachability (issue 15). */
  setCaps(caps: number): void {
    if (caps === this.self.caps && this.selfWire.caps === caps) return;
    this.self = { ...this.self, caps };
    this.selfWire = peerToWire(this.self);
  }

  /** A one-shot timer that stop() cancels. */
  afterMs(delayMs: number, task: () => void): void {
    this.owned.afterMs(delayMs, task);
  }

  /**
   * The node is going away: RPCs still in flight are about to fail because our own transport
   * closes, which says nothing about the peers (no strikes from now on; node_stopped follows).
   */
  beginStop(): void {
    this.stopping = true;
  }

  stop(reason: string): void {
    this.stopping = true;
    this.cancelMaintenance();
    this.rejections.flush();
    this.record('node_stopped', { reason });
    this.store.flush();
  }

  lookup(request: LookupRequest, done: (result: LookupResult) => void): void {
    lookup(this, request, done);
  }

  bootstrap(seeds: readonly Seed[], done: (result: BootstrapResult) => void): void {
    this.reach.joining = true;
    bootstrap(this, seeds, this.checkAfter(done));
  }

  /** After a restart: ping restored peers, bootstrap from `seeds` only if too few answer. */
  rejoin(seeds: readonly Seed[], done: (result: BootstrapResult) => void): void {
    this.reach.joining = true;
    rejoin(this, seeds, this.checkAfter(done));
  }

  /**
   * Once joined there are peers to ask, and every seed has had our first request: check
   * reachability then (no round starts while joining: reachability.ts `checkReachability`).
   */
  private checkAfter(done: (result: BootstrapResult) => void): (result: BootstrapResult) => void {
    return (result) => {
      this.reach.joining = false;
      if (this.config.reachabilityChecks) checkReachability(this);
      done(result);
    };
  }

  publish(request: PublishRequest, done: (result: PublishResult) => void): void {
    publish(this, request, done);
  }

  find(
    key: Uint8Array,
    options: { all?: boolean; onStep?: (step: LookupStep) => void },
    done: (result: FindResult) => void,
  ): void {
    find(this, key, options, done);
  }

  /**
   * Where peers can reach us (issue 15 item 3): the address several distinct hosts observed;
   * until they agree, the bind address, or for an unspecified bind (0.0.0.0, [::], which must
   * never be published) the best-supported observation.
   */
  get advertisedAddr(): string {
    const agreed = this.reach.observed.agreed;
    if (agreed !== null) return agreed;
    const unspecified = /^(0\.0\.0\.0|\[::\]):/.test(this.self.addr);
    const leading = unspecified ? this.reach.observed.leading(this.timers.now()) : null;
    return leading?.addr ?? this.self.addr;
  }

  get clock(): Clock {
    return this.timers;
  }

  get idHex(): string {
    return this.identity.idHex;
  }

  get journalPaused(): boolean {
    return this.recorder.paused;
  }

  /** True when events can be recorded; records the pause and resumption once the store recovered. */
  canRecord(): boolean {
    return this.recorder.canRecord();
  }

  /**
   * Told by the driver when the store's status changes (a background group commit failed, or
   * a retry succeeded), so the pause and the resumption are recorded even between appends.
   */
  journalStatusChanged(): void {
    this.recorder.canRecord();
  }

  /**
   * A decision's inputs besides the state: the time, and our last successful exchange with
   * anyone, folded from the recorded rpc_received / rpc_completed since node_started (our own
   * outage, SPEC §5), so a replay sees what the decision saw.
   */
  context(): DecisionContext {
    return { nowMs: this.timers.now(), lastSuccessAtMs: this.state.session.lastExchangeAtMs };
  }

  answerReachability(
    request: ReachabilityRequest,
    peer: PeerInfo,
    remote: RemotePeer,
    answer: (body: Body) => void,
  ): void {
    answerReachability(this, request, peer, remote, answer);
  }

  /** A peer at `observerAddr` sees us at `addr`: one vote for the advertised address. */
  observedAs(addr: string, observerAddr: string): void {
    noteObserved(this, addr, observerAddr);
  }

  /** Counts a refusal, recorded aggregated per host and reason (rejection-reports.ts). */
  reject(addr: string, reason: string): void {
    this.rejections.reject(addr, reason);
  }

  /**
   * Records a decision's events in order, then sends its pings. Stops at the first event the
   * journal refuses and sends nothing then: a decision is applied whole or not acted on.
   */
  apply(decision: Decision): boolean {
    for (const event of decision.events) {
      if (this.record(event.type, event.data, event.refs) === null) return false;
    }
    for (const peer of decision.pings) this.pingHead(peer);
    return true;
  }

  /** One ping in flight per head, so a burst of newcomers pings a full bucket's head once. */
  private pingHead(peer: PeerInfo): void {
    const idHex = peer.identity.idHex;
    if (this.pingingHeads.has(idHex)) return;
    this.pingingHeads.add(idHex);
    sendRpc(this, peer, { op: 'ping' }, null, () => this.pingingHeads.delete(idHex));
  }

  rid(): number {
    this.nextRid = (this.nextRid + 1) >>> 0;
    return this.nextRid;
  }

  /**
   * Appends an event, then folds it into the state. Returns null, changing nothing, when the
   * journal cannot record it (SPEC §5: degraded, never inconsistent).
   */
  record<T extends EventType>(
    type: T,
    data: EventDataMap[T],
    refs: EventRefs = {},
  ): StoredEvent | null {
    return this.recorder.record(type, data, refs);
  }

  /** Keeps a maintenance timer so stop() can cancel it. */
  every(intervalMs: number, task: () => void): void {
    this.owned.every(intervalMs, task);
  }

  cancelMaintenance(): void {
    this.owned.cancelAll();
  }
}
