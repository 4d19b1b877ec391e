import type { Timers } from '../core/clock.js';
import type { SigningKey } from '../core/ed25519.js';
import type { IdentityCache, NodeIdentity } from '../core/identity.js';
import type { PeerInfo } from '../core/node-info.js';
import type { Random } from '../core/random.js';
import type { EventStore } from '../events/event-store.js';
import type { EventDataMap, EventType, StoredEvent } from '../events/event-types.js';
import type { Body, ReachabilityRequest, WireNodeInfo } from '../net/messages.js';
import type { RemotePeer, Transport } from '../net/transport.js';
import type { NodeState } from '../projections/node-state.js';
import type { DhtConfig } from './config.js';
import type { RttEstimator } from './rtt-estimator.js';
import type { DialLimiter } from './dial-limiter.js';
import type { Reachability } from './reachability-state.js';

/**
 * The small types the engine's parts share, so that none of them depends on the driver
 * (dht-node.ts) that composes them: decisions read an `EngineView` and return a `Decision`;
 * the driver-side helpers (lookups, bootstrap, publish) work through `NodeDriver`.
 */

/** Columns of an event besides type and data: who and what it is about. */
export interface EventRefs {
  peer?: string | null;
  key?: string | null;
  lookup?: number | null;
}

/** An event a decision asks the driver to record (time and seq are the driver's). */
export type EventDraft = {
  [T in EventType]: { readonly type: T; readonly data: EventDataMap[T]; readonly refs: EventRefs };
}[EventType];

export function draft<T extends EventType>(
  type: T,
  data: EventDataMap[T],
  refs: EventRefs = {},
): EventDraft {
  return { type, data, refs } as EventDraft;
}

/**
 * What a decision returns: the events to record, in order, then the messages to send.
 * The driver records the events first and sends only if all of them were recorded
 * (decide, record, apply: SPEC §5).
 */
export interface Decision {
  readonly events: readonly EventDraft[];
  /** Peers to ping (a full bucket's head before it may be evicted). */
  readonly pings: readonly PeerInfo[];
}

export const NO_DECISION: Decision = { events: [], pings: [] };

/** What the pure decisions read: the folded state, the settings and who we are. */
export interface EngineView {
  readonly identity: NodeIdentity;
  readonly config: DhtConfig;
  readonly state: NodeState;
  /** A memo of verified identities: verifying is pure, the cache only saves the hashes. */
  readonly identities: IdentityCache;
}

/** Inputs of a decision that are not in the state: the time and our own liveness. */
export interface DecisionContext {
  readonly nowMs: number;
  /** Last successful exchange with anyone: tells our own outage from peers' failures. */
  readonly lastSuccessAtMs: number;
}

/**
 * The driver as its helpers see it: it owns the ports (Transport, timers, store), records
 * what the engine decides and then applies it.
 */
export interface NodeDriver extends EngineView {
  readonly key: SigningKey;
  readonly self: PeerInfo;
  readonly selfWire: WireNodeInfo;
  readonly transport: Transport;
  readonly timers: Timers;
  readonly random: Random;
  readonly store: EventStore;
  readonly idHex: string;
  readonly advertisedAddr: string;
  readonly clockTrustedFromMs: number;
  /** The inputs of a decision taken now. */
  context(): DecisionContext;
  /** Records one event; null when the journal cannot take it (nothing changes then). */
  record<T extends EventType>(type: T, data: EventDataMap[T], refs?: EventRefs): StoredEvent | null;
  /** Records a decision's events, then sends its messages. False if the journal refused. */
  apply(decision: Decision): boolean;
  canRecord(): boolean;
  /** True once the node began to stop: failures of RPCs in flight are then its own. */
  readonly stopping: boolean;
  /** A fresh request id. */
  rid(): number;
  /** Round trips of our successful RPCs: the lookups' soft timeout (SPEC §4.3). */
  readonly rtt: RttEstimator;
  /** The peer at `observerAddr` observed our address as `addr` (its `pong` or `dialing`). */
  observedAs(addr: string, observerAddr: string): void;
  /** Reachability checks and the votes on our address (issue 15). */
  readonly reach: Reachability;
  /** Bounds the dials others make us do (`dial`) and forward (`dial_back`). */
  readonly dialLimiter: DialLimiter;
  readonly dialBackLimiter: DialLimiter;
  /** Changes the caps we advertise in every `from` (the DHT bit follows reachability). */
  setCaps(caps: number): void;
  /** A one-shot timer that stop() cancels. */
  afterMs(delayMs: number, task: () => void): void;
  /** Answers `dial_back`, `dial` or `probe`; unlike the pure handlers these may send. */
  answerReachability(
    request: ReachabilityRequest,
    peer: PeerInfo,
    remote: RemotePeer,
    answer: (body: Body) => void,
  ): void;
  /** Counts a rejection of `addr`, recorded aggregated per source and reason. */
  reject(addr: string, reason: string): void;
  /** Keeps a maintenance timer so stop() can cancel it. */
  every(intervalMs: number, task: () => void): void;
}
